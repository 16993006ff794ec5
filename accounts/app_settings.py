"""Settings of the accounts app, read lazily so that tests can override them."""

from django.conf import settings


class AppSettings:
    def __init__(self, prefix: str):
        self.prefix = prefix

    def _setting(self, name: str, default):
        return getattr(settings, self.prefix + name, default)

    @property
    def MINIMUM_AGE(self) -> int:
        """Youngest age, in whole years, at which a person may sign up."""
        return self._setting("MINIMUM_AGE", 16)


app_settings = AppSettings("ACCOUNTS_")
