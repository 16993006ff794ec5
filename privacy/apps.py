from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        from django.db.models.signals import post_migrate

        from privacy import checks  # noqa: F401 - registers the system checks
        from privacy.roles import sync_roles_after_migrate

        # Staff roles get what privacy/roles.py grants them after every migrate.
        post_migrate.connect(sync_roles_after_migrate, sender=self)

        # Each app's privacy.py declares its models, as admin.py does for the admin.
        autodiscover_modules("privacy")
