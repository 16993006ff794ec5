"""Marketing: the suppression list, pending email opt-ins, campaigns and their deliveries.

Who may receive marketing is decided by the consent ledger (purposes ``marketing_email``
and ``marketing_sms``); these models hold what the ledger cannot: addresses that must never
be contacted again (kept as salted hashes, beyond account deletion), opt-ins waiting for the
member's confirmation link, and which member got which campaign.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class SuppressionEntry(models.Model):
    """An address that marketing must never reach, as a salted hash (M13, G3, L8).

    It has no link to any account on purpose: it survives account deletion, so a deleted
    member is never mailed again, and it holds no plain address (see
    ``privacy.services.suppression``).
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        SMS_STOP = "sms_stop", _("Replied STOP to an SMS")
        ERASURE = "erasure", _("Account erased")
        COMPLAINT = "complaint", _("Spam complaint")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    value_hash = models.CharField(_("address hash"), max_length=64)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "value_hash"], name="privacy_suppression_channel_hash"
            )
        ]

    def __str__(self):
        return f"SuppressionEntry #{self.pk}"


class EmailOptInRequest(models.Model):
    """A member asked for marketing email and has not followed the confirmation link yet.

    Double opt-in: the grant is recorded in the consent ledger only when the link is
    followed; until then this row makes the settings page say "waiting for your
    confirmation". ``email_hash`` binds the request to the address it was sent to.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_optin_request",
        verbose_name=_("member"),
    )
    email_hash = models.CharField(_("address hash"), max_length=64)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("pending marketing email opt-in")
        verbose_name_plural = _("pending marketing email opt-ins")

    def __str__(self):
        return f"EmailOptInRequest #{self.pk}"


class Campaign(models.Model):
    """A marketing message written by staff, sent once to everyone who agreed (M5)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(
        _("subject"), max_length=200, blank=True, help_text=_("Email subject; unused for SMS.")
    )
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    sent_count = models.PositiveIntegerField(_("messages sent"), default=0)
    # Checkpoint: every member with a smaller id has been handled (sent or skipped), so a
    # re-run continues after it. CampaignDelivery's unique constraint is the second guard.
    last_member_id = models.BigIntegerField(_("handled up to member id"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Heartbeat of the sender: the sweeper resumes a "sending" campaign that stopped moving.
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("marketing campaign")
        verbose_name_plural = _("marketing campaigns")
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject or f"Campaign #{self.pk}"


class CampaignDelivery(models.Model):
    """One member received one campaign; at most once (the unique constraint)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_deliveries"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign delivery")
        verbose_name_plural = _("campaign deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user"], name="privacy_campaigndelivery_once"
            )
        ]

    def __str__(self):
        return f"CampaignDelivery #{self.pk}"
