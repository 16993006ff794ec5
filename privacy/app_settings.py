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
    def REQUEST_STATUS_LINK_MAX_AGE(self) -> timedelta:
        """How long a signed link to a request's public status page keeps working."""
        return self._setting("REQUEST_STATUS_LINK_MAX_AGE", timedelta(days=180))

    @property
    def BREACH_NOTIFICATION_DEADLINE(self) -> str:
        return self._setting("BREACH_NOTIFICATION_DEADLINE", "72 hours")

    @property
    def BREACH_NOTIFY_BATCH_SIZE(self) -> int:
        """Affected members emailed per transaction when a breach is notified."""
        return self._setting("BREACH_NOTIFY_BATCH_SIZE", 200)

    @property
    def TRANSPARENCY_CACHE_SECONDS(self) -> int:
        """How long the public transparency figures are cached."""
        return self._setting("TRANSPARENCY_CACHE_SECONDS", 600)

    @property
    def EXPORT_DIR(self) -> Path:
        return Path(self._setting("EXPORT_DIR", "exports"))

    @property
    def EXPORT_TTL(self) -> timedelta:
        return self._setting("EXPORT_TTL", timedelta(days=7))

    # --- Erasure (privacy/services/erasure.py) ---

    @property
    def DELETION_GRACE(self) -> timedelta:
        """How long a deletion waits (account deactivated, cancellable) before erasure."""
        return self._setting("DELETION_GRACE", timedelta(days=7))

    @property
    def ERASURE_BATCH_SIZE(self) -> int:
        """Rows per erasure batch (fewer when rows pass through the worker)."""
        return self._setting("ERASURE_BATCH_SIZE", 500_000)

    @property
    def ERASURE_BATCH_PAUSE(self) -> float:
        """Seconds to sleep after each erasure batch (throttle; 0 for none)."""
        return self._setting("ERASURE_BATCH_PAUSE", 0.0)

    @property
    def ERASURE_STALL_AFTER(self) -> timedelta:
        return self._setting("ERASURE_STALL_AFTER", timedelta(minutes=15))

    @property
    def ERASURE_MAX_ATTEMPTS(self) -> int:
        return self._setting("ERASURE_MAX_ATTEMPTS", 5)

    @property
    def ERASURE_JOURNAL_FILE(self) -> str:
        return self._setting("ERASURE_JOURNAL_FILE", "")

    @property
    def ERASURE_NOTICE_WINDOW(self) -> timedelta:
        return self._setting("ERASURE_NOTICE_WINDOW", timedelta(hours=48))

    @property
    def BACKUP_RETENTION(self) -> timedelta:
        return self._setting("BACKUP_RETENTION", timedelta(days=35))

    # --- Retention (privacy/services/retention.py) ---

    @property
    def RETENTION_BATCH_SIZE(self) -> int:
        """Rows per retention batch: one short transaction and one checkpoint each."""
        return self._setting("RETENTION_BATCH_SIZE", 5000)

    @property
    def RETENTION_BATCH_TARGET(self) -> timedelta:
        """Batches adapt their size to take about this long (0: fixed size)."""
        return self._setting("RETENTION_BATCH_TARGET", timedelta(milliseconds=100))

    @property
    def RETENTION_BATCH_PAUSE(self) -> timedelta:
        return self._setting("RETENTION_BATCH_PAUSE", timedelta(0))

    @property
    def RETENTION_STALE_AFTER(self) -> timedelta:
        """A running retention run without progress for this long lost its worker."""
        return self._setting("RETENTION_STALE_AFTER", timedelta(minutes=10))

    @property
    def CONSENT_LEDGER_RETENTION(self) -> timedelta | None:
        """None keeps the consent ledger."""
        return self._setting("CONSENT_LEDGER_RETENTION", None)

    @property
    def AUDIT_LOG_RETENTION(self) -> timedelta | None:
        """None keeps the audit log."""
        return self._setting("AUDIT_LOG_RETENTION", None)

    @property
    def DORMANT_AFTER(self) -> timedelta:
        """No sign-in for this long makes an account dormant (0 switches the sweep off)."""
        return self._setting("DORMANT_AFTER", timedelta(days=3 * 365))

    @property
    def DORMANT_NOTICE_PERIOD(self) -> timedelta:
        return self._setting("DORMANT_NOTICE_PERIOD", timedelta(days=30))


app_settings = PrivacySettings("PRIVACY_")
