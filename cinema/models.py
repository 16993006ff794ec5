from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """A message waiting for delivery by a worker; deleted once delivered."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        FAILED = "failed", _("Failed")

    payload = models.JSONField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self):
        return f"OutboundEmail #{self.pk} ({self.status})"
