"""Account erasure: the job that erases one member, and the journal that outlives it.

An ``ErasureJob`` is the work, recorded before anything is erased: who (the account id,
not a foreign key, since the account row is the last thing to go), when (the end of the
grace period, and the legal deadline), how far it got (phase, model and primary key of the
last finished batch) and, once done, a report of what was deleted, anonymized and kept,
with counts only.

An ``ErasureJournal`` entry is written when an erasure completes. It holds no personal
data: the job's random tombstone id and salted hashes of the member's addresses (the
suppression list's keyed HMAC). After a database backup is restored, ``manage.py
replay_erasures`` finds accounts whose addresses hash to a journalled erasure and erases
them again. The entries are also appended to a file outside the database
(``PRIVACY_ERASURE_JOURNAL_FILE``), since a restore rolls the table back too.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureJob(models.Model):
    class Source(models.TextChoices):
        MEMBER = "member", _("The member, in the privacy center")
        STAFF = "staff", _("Staff, for a verified request")
        DORMANT = "dormant", _("Dormant-account sweep")
        REPLAY = "replay", _("Replay after a backup restore")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled (grace period)")
        CANCELLED = "cancelled", _("Cancelled")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        PREPARE = "prepare", _("Cancel bookings, add suppression hashes")
        OUTSIDE = "outside", _("Sessions, files, cache, buffered events")
        WALK = "walk", _("Declared models, batch by batch")
        FINISH = "finish", _("Final email, account row, journal")

    # A job that can still act on the account: at most one per member.
    ACTIVE_STATUSES = (Status.SCHEDULED, Status.RUNNING, Status.FAILED)

    tombstone = models.UUIDField(
        _("tombstone"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Random id that kept records (bookings) are linked to instead of the member."),
    )
    user_id = models.BigIntegerField(
        _("account id"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Not a foreign key: the account row is deleted by the job."),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
        blank=True,
        help_text=_("Why staff erased the account (no names or addresses)."),
    )
    request = models.ForeignKey(
        "privacy.PrivacyRequest",
        verbose_name=_("privacy request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure_jobs",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    due_at = models.DateTimeField(_("erase after"), help_text=_("End of the grace period."))
    deadline = models.DateTimeField(
        _("legal deadline"), help_text=_("When the erasure must be complete at the latest.")
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    phase = models.CharField(
        _("phase"), max_length=16, choices=Phase.choices, default=Phase.PREPARE
    )
    checkpoint_model = models.CharField(_("checkpoint: model"), max_length=100, blank=True)
    checkpoint_pk = models.CharField(_("checkpoint: last key"), max_length=100, blank=True)
    checkpoint_rows = models.PositiveBigIntegerField(
        _("checkpoint: rows"), default=0, help_text=_("Rows of the checkpoint's model done.")
    )
    # Keyed hashes (privacy.services.suppression.hash_value), taken when the job starts so
    # that the journal can be written after the addresses are gone.
    email_hashes = models.JSONField(_("address hashes"), default=list, blank=True)
    phone_hash = models.CharField(_("phone hash"), max_length=64, blank=True)
    state = models.JSONField(
        _("work state"),
        default=dict,
        blank=True,
        help_text=_("Storage names of files to remove; counts of the steps done."),
    )
    report = models.JSONField(
        _("report"),
        default=dict,
        blank=True,
        help_text=_("What was deleted, anonymized and kept, per model, with counts only."),
    )
    error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("erasure job")
        verbose_name_plural = _("erasure jobs")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="privacy_erasure_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id"],
                condition=Q(status__in=["scheduled", "running", "failed"]),
                name="privacy_erasure_one_active_per_user",
            )
        ]
        permissions = [("erase_member", _("Can erase a member's account"))]

    def __str__(self):
        return f"Erasure {self.tombstone} ({self.status})"

    @property
    def is_pending(self) -> bool:
        """Still in its grace period: the member may cancel."""
        return self.status == self.Status.SCHEDULED


class ErasureJournal(models.Model):
    """One completed erasure, without personal data: replayed after a backup restore."""

    tombstone = models.UUIDField(_("tombstone"), unique=True, editable=False)
    email_hash = models.CharField(_("email hash"), max_length=64, db_index=True, blank=True)
    phone_hash = models.CharField(_("phone hash"), max_length=64, db_index=True, blank=True)
    other_hashes = models.TextField(
        _("other address hashes"),
        blank=True,
        help_text=_("Hashes of the member's further email addresses, separated by spaces."),
    )
    erased_at = models.DateTimeField(_("erased"), db_index=True)

    class Meta:
        verbose_name = _("erasure journal entry")
        verbose_name_plural = _("erasure journal")
        ordering = ["erased_at"]

    def __str__(self):
        return f"Erased {self.tombstone}"

    @property
    def email_hashes(self) -> set[str]:
        """Hashes of every email address of the erased account."""
        return {h for h in [self.email_hash, *self.other_hashes.split()] if h}
