"""Retention: per-deployment tightening of rules, legal holds, recorded runs, dormant notices.

The rules themselves are not stored: they come from the personal-data registry and from
``privacy.services.retention`` (see docs/retention.md). What is stored is what changes at
run time: a shorter period a deployment chose, members whose data must not be touched,
what each run did, and the notices sent to dormant accounts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionOverride(models.Model):
    """A deployment's shorter period for one rule ("tighten only"), with the reason."""

    rule = models.CharField(_("rule"), max_length=64, unique=True)
    period = models.DurationField(_("period"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("retention period override")
        verbose_name_plural = _("retention period overrides")
        ordering = ["rule"]

    def __str__(self):
        return self.rule


class RetentionHoldQuerySet(models.QuerySet):
    def active(self, now=None):
        """Holds in force at ``now``: not lifted, and not past their end date if they have one."""
        now = now or timezone.now()
        return self.filter(Q(until__isnull=True) | Q(until__gt=now), lifted_at__isnull=True)


class RetentionHold(models.Model):
    """A member's data that retention must not delete or anonymize (a dispute, a claim).

    While a hold is active, every retention rule skips the member's rows, and the dormant
    account sweep leaves the member alone. Placing and lifting are audited.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="retention_holds",
    )
    reason = models.TextField(
        _("reason"), help_text=_("Why the data must be kept, e.g. the dispute it belongs to.")
    )
    reference = models.CharField(
        _("case reference"),
        max_length=100,
        blank=True,
        help_text=_("A case or ticket number, never a name."),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    until = models.DateTimeField(
        _("until"), null=True, blank=True, help_text=_("Leave empty to keep it until lifted.")
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    objects = RetentionHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["user", "lifted_at"], name="privacy_hold_user_lifted")]

    def __str__(self):
        return f"Hold #{self.pk} on member #{self.user_id}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.lifted_at is None and (self.until is None or self.until > now)


class RetentionRun(models.Model):
    """One execution of one retention rule: what it did, how long it took, where it got to.

    A run walks the rule's rows in primary-key order and moves ``checkpoint`` (the last key
    done) in the same transaction as each batch. A run that fails keeps its checkpoint; a
    run whose worker was killed stays "running" until its heartbeat is stale. Either way
    the next start of the rule continues it as a new run (``resumed_from``), with the same
    cut-off and upper bound, from that checkpoint.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted (worker stopped)")

    class Action(models.TextChoices):
        DELETE = "delete", _("delete")
        ANONYMIZE = "anonymize", _("anonymize")
        NOTIFY = "notify", _("send notice")
        ERASE = "erase", _("schedule erasure")

    rule = models.CharField(_("rule"), max_length=64)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(_("started by"), max_length=16, blank=True)
    cutoff = models.DateTimeField(_("cut-off"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("last progress"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    longest_batch_ms = models.PositiveIntegerField(_("longest batch (ms)"), default=0)
    checkpoint = models.CharField(
        _("checkpoint"),
        max_length=255,
        blank=True,
        help_text=_(
            "Where the run stopped: the last primary key done, or the last date done for "
            "rules that purge by date."
        ),
    )
    upper_bound = models.CharField(
        _("upper bound"), max_length=255, blank=True, help_text=_("Last primary key to visit.")
    )
    resumed_from = models.ForeignKey(
        "self",
        verbose_name=_("continues run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.CharField(
        _("error"), max_length=300, blank=True, help_text=_("The kind of error; never row data.")
    )

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["rule", "-started_at"], name="privacy_retrun_rule_started")]
        constraints = [
            # Two workers never run the same rule at once: the second insert fails.
            models.UniqueConstraint(
                fields=["rule"],
                condition=Q(status="running"),
                name="privacy_retrun_one_running",
            )
        ]

    def __str__(self):
        return f"{self.rule} run #{self.pk}"

    @property
    def duration(self):
        end = self.finished_at or self.heartbeat_at
        return end - self.started_at if end else None


class DormantNotice(models.Model):
    """The notice a dormant member was sent: sign in before ``erase_after`` or be erased.

    Signing in deletes the notice (``privacy.services.dormant.cancel_notice``); the sweep
    then asks the erasure engine to erase members whose notice period passed.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="dormant_notice",
    )
    inactive_since = models.DateTimeField(
        _("inactive since"), help_text=_("The last sign-in (or sign-up) the notice was based on.")
    )
    sent_at = models.DateTimeField(_("notice sent"), default=timezone.now)
    erase_after = models.DateTimeField(_("erase after"), db_index=True)
    erasure_requested_at = models.DateTimeField(_("erasure requested"), null=True, blank=True)

    class Meta:
        verbose_name = _("dormant-account notice")
        verbose_name_plural = _("dormant-account notices")
        ordering = ["erase_after"]

    def __str__(self):
        return f"Dormant notice of member #{self.user_id}"
