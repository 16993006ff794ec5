"""Versioned policy documents (privacy policy, cookie policy), members' acceptances and the
progress of the emails announcing a material change (K9, M15, G4, G8, S11)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """One version of a policy document in one language.

    The body is plain text that staff type: paragraphs separated by blank lines, ``## ``
    and ``### `` headings, ``- `` list items. It is never trusted as HTML; the pages
    escape every character and build the markup themselves. Once published a version is
    frozen (the admin shows it read-only): a change is a new version, so what a member
    accepted can always be shown again word for word.
    """

    class Document(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        COOKIES = "cookies", _("Cookie policy")

    document = models.CharField(_("document"), max_length=20, choices=Document.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    version = models.CharField(
        _("version"),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                _("Use letters, digits, dots, dashes or underscores, for example 2026-11-01."),
            )
        ],
        help_text=_('A label such as "2026-11-01"; unique per document and language.'),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Plain text. Separate paragraphs with a blank line; start a heading with "
            '"## " and a list item with "- ". HTML is shown as typed, never interpreted.'
        ),
    )
    summary_of_changes = models.TextField(
        _("summary of changes"),
        blank=True,
        help_text=_("Plain words for members: what changed and why. Shown when they review it."),
    )
    is_material = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_(
            "Members are emailed and asked to review it on their next visit once published."
        ),
    )
    effective_from = models.DateField(_("effective from"))
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("Empty while a draft: drafts are never shown to the public."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["document", "language", "-effective_from", "-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "language", "version"],
                name="privacy_policyversion_unique_label",
            )
        ]
        indexes = [
            models.Index(
                fields=["document", "language", "-effective_from"],
                name="privacy_policy_current_idx",
            )
        ]
        permissions = [("publish_policyversion", _("Can publish policy versions"))]

    def __str__(self):
        return f"{self.get_document_display()} {self.version} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PolicyAcceptance(models.Model):
    """A member confirmed a policy version: at sign-up or on the review page (G4)."""

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Sign-up form")
        INTERSTITIAL = "interstitial", _("Review of a changed policy")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="policy_acceptances",
    )
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("policy version"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)

    class Meta:
        verbose_name = _("policy acceptance")
        verbose_name_plural = _("policy acceptances")
        ordering = ["-accepted_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "policy_version"], name="privacy_policyacc_user_version")
        ]

    def __str__(self):
        return f"PolicyAcceptance #{self.pk}"


class PolicyNotification(models.Model):
    """Progress of the email to all members about one material change.

    Members are mailed in primary-key order; ``last_user_id`` is the last member whose
    email was queued, committed together with those emails, so a worker killed mid-way
    resumes after it and nobody is mailed twice.
    """

    policy_version = models.OneToOneField(
        PolicyVersion, on_delete=models.CASCADE, related_name="notification"
    )
    last_user_id = models.BigIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("policy change notification")
        verbose_name_plural = _("policy change notifications")

    def __str__(self):
        return f"PolicyNotification #{self.pk}"
