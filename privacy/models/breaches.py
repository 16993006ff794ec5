from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataBreach(models.Model):
    """An entry in the data-breach register (leak reports feed it)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Under investigation")
        CONTAINED = "contained", _("Contained")
        CLOSED = "closed", _("Closed")

    class Risk(models.TextChoices):
        UNLIKELY = "unlikely", _("Unlikely to result in a risk to people")
        RISK = "risk", _("Risk to people's rights")
        HIGH = "high", _("High risk: the people affected must be told")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("what happened"),
        help_text=_(
            "Emailed to the affected members: write it for them, in plain words. What "
            "happened, what it means for them, and what we did about it. No personal data."
        ),
    )
    categories = models.JSONField(_("data categories affected"), default=list, blank=True)
    risk = models.CharField(_("risk"), max_length=16, choices=Risk.choices, default=Risk.RISK)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default="open")
    discovered_at = models.DateTimeField(_("discovered"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notification_due_at = models.DateTimeField(_("authority must be notified by"))
    authority_notified_at = models.DateTimeField(_("authority notified"), null=True, blank=True)
    members_notified_at = models.DateTimeField(_("members notified"), null=True, blank=True)
    reports = models.ManyToManyField(
        "privacy.PrivacyRequest",
        verbose_name=_("leak reports"),
        blank=True,
        related_name="breaches",
    )
    affected_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("affected members"),
        through="BreachAffectedMember",
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("data breach")
        verbose_name_plural = _("data breaches")
        ordering = ["-discovered_at"]

    def __str__(self):
        return f"B-{self.pk or 0:04d} {self.title}"


class BreachAffectedMember(models.Model):
    breach = models.ForeignKey(DataBreach, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("affected member")
        verbose_name_plural = _("affected members")
        constraints = [
            models.UniqueConstraint(fields=["breach", "user"], name="privacy_breach_member_once")
        ]

    def __str__(self):
        return f"Member #{self.user_id} in breach #{self.breach_id}"
