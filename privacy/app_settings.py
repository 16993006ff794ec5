"""Settings of the privacy app, read lazily so that tests can override them."""

from datetime import timedelta
from pathlib import Path

from cinema.conf import AppSettings


class PrivacySettings(AppSettings):
    @property
    def REQUEST_DEADLINES(self) -> dict[str, str]:
        """Deadline per request type ("default" for the rest), as the law words it."""
        return self._setting("REQUEST_DEADLINES", {"default": "1 month"})

    @property
    def REQUEST_EXTENSION(self) -> str:
        """How much longer one extension gives (once per request)."""
        return self._setting("REQUEST_EXTENSION", "2 months")

    @property
    def HOLIDAYS_COUNTRY(self) -> str:
        """ISO country code whose public holidays are not working days ("" for none)."""
        return self._setting("HOLIDAYS_COUNTRY", "")

    @property
    def EXTRA_HOLIDAYS(self) -> list[str]:
        """Further days off, as ISO dates."""
        return self._setting("EXTRA_HOLIDAYS", [])

    @property
    def UNVERIFIED_REQUEST_TTL(self) -> timedelta:
        return self._setting("UNVERIFIED_REQUEST_TTL", timedelta(days=14))

    @property
    def VERIFICATION_CODE_TTL(self) -> timedelta:
        return self._setting("VERIFICATION_CODE_TTL", timedelta(minutes=15))

    @property
    def VERIFICATION_CODE_ATTEMPTS(self) -> int:
        return self._setting("VERIFICATION_CODE_ATTEMPTS", 5)

    @property
    def BREACH_NOTIFICATION_DEADLINE(self) -> str:
        return self._setting("BREACH_NOTIFICATION_DEADLINE", "72 hours")

    @property
    def EXPORT_DIR(self) -> Path:
        return Path(self._setting("EXPORT_DIR", "exports"))

    @property
    def EXPORT_TTL(self) -> timedelta:
        return self._setting("EXPORT_TTL", timedelta(days=7))


app_settings = PrivacySettings("PRIVACY_")
