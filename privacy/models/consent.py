from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentPurpose(models.Model):
    """A purpose a person can agree to; texts are edited by staff (M6, S5).

    The keys are fixed in code (``privacy.services.consent.PURPOSES``): code asks about a
    purpose by key, staff only change how it is described.
    """

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(
        _("name"),
        max_length=120,
        blank=True,
        help_text=_("Leave empty to use the built-in text, which is translated."),
    )
    description = models.TextField(
        _("plain-language description"),
        blank=True,
        help_text=_("Leave empty to use the built-in text, which is translated."),
    )
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=30,
        choices=[
            ("consent", _("Consent")),
            ("contract", _("Contract")),
            ("legal_obligation", _("Legal obligation")),
            ("legitimate_interest", _("Legitimate interest")),
        ],
    )
    essential = models.BooleanField(
        _("always on"), default=False, help_text=_("Strictly necessary; cannot be declined.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        ordering = ["position", "key"]

    def __str__(self):
        return self.key

    @property
    def display_name(self):
        from privacy.services.consent import PURPOSE_TEXTS

        return self.name or PURPOSE_TEXTS[self.key][0]

    @property
    def display_description(self):
        from privacy.services.consent import PURPOSE_TEXTS

        return self.description or PURPOSE_TEXTS[self.key][1]


class ConsentRecord(models.Model):
    """One entry of the append-only consent ledger (G4): who, what, which policy, how.

    Rows are only ever inserted; retention and erasure are the only deleters.
    """

    class Source(models.TextChoices):
        BANNER = "banner", _("Cookie banner")
        SETTINGS = "settings", _("Privacy settings")
        SIGNUP = "signup", _("Sign-up form")
        GPC = "gpc", _("Global Privacy Control signal")
        DNT = "dnt", _("Do Not Track signal")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        SMS_REPLY = "sms_reply", _("SMS reply")
        STAFF = "staff", _("Staff")
        CARRY_OVER = "carry_over", _("Carried over from the visitor's choices at sign-up")
        SIGN_IN = "sign_in", _("Carried over from the choices made on this device at sign-in")
        OBJECTION = "objection", _("Objection in the privacy center")
        SIGN_OUT = "sign_out", _("Carried over to this device at sign-out for account deletion")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consent_records",
    )
    visitor_id = models.UUIDField(_("visitor id"), null=True, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=40)
    granted = models.BooleanField(_("granted"))
    policy_version = models.CharField(_("policy version"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    overrides_signal = models.BooleanField(
        _("confirmed despite a browser signal"),
        default=False,
        help_text=_("The member explicitly chose this although their browser sent GPC/DNT."),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    ip_prefix = models.CharField(_("network (truncated IP)"), max_length=50, blank=True)
    user_agent_family = models.CharField(_("browser family"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(visitor_id__isnull=False),
                name="privacy_consentrecord_has_subject",
            )
        ]

    def __str__(self):
        return f"ConsentRecord #{self.pk}"


class ConsentState(models.Model):
    """The current answer per subject and purpose: a fast read kept beside the ledger."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consent_states",
    )
    visitor_id = models.UUIDField(null=True, blank=True)
    purpose = models.CharField(max_length=40)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentRecord.Source.choices)
    overrides_signal = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("current consent")
        verbose_name_plural = _("current consents")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"],
                condition=models.Q(user__isnull=False),
                name="privacy_consentstate_user_purpose",
            ),
            models.UniqueConstraint(
                fields=["visitor_id", "purpose"],
                condition=models.Q(user__isnull=True),
                name="privacy_consentstate_visitor_purpose",
            ),
        ]

    def __str__(self):
        return f"ConsentState #{self.pk}"
