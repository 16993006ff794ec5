from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        from privacy import checks  # noqa: F401 - registers the system checks

        # Each app's privacy.py declares its models, as admin.py does for the admin.
        autodiscover_modules("privacy")
