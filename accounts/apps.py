from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    # "Accounts" is allauth's app (email addresses): two admin sections of one name.
    verbose_name = _("Members")

    def ready(self):
        from accounts import signals  # noqa: F401 - registers the receivers
