"""Per-app settings read lazily from Django settings, so that tests can override them."""

from django.conf import settings


class AppSettings:
    """Base of each app's ``app_settings``: ``_setting("X", default)`` reads ``<prefix>X``."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _setting(self, name: str, default):
        return getattr(settings, self.prefix + name, default)
