"""Data-subject requests: every right exercised, by a member or by anyone, is one row.

Self-service rights (export, restriction, objection, consent withdrawal) complete at once
and are recorded here too, so the queue, the deadlines and the transparency figures cover
every request, not only the ones staff handle.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrivacyRequest(models.Model):
    class Type(models.TextChoices):
        ACCESS = "access", _("Access to my data")
        EXPORT = "export", _("Copy of my data (portability)")
        RECTIFICATION = "rectification", _("Correction of my data")
        ERASURE = "erasure", _("Deletion of my account and data")
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")
        CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdrawal of consent")
        INQUIRY = "inquiry", _("Question to the privacy team")
        COMPLAINT = "complaint", _("Complaint")
        LEAK_REPORT = "leak_report", _("Report of a suspected leak")
        GUARDIAN_REPORT = "guardian_report", _("Parent or guardian report of a child's account")

    class Status(models.TextChoices):
        AWAITING_VERIFICATION = "awaiting_verification", _("Waiting for identity check")
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Closed: identity not confirmed in time")
        WITHDRAWN = "withdrawn", _("Withdrawn by the requester")

    class Verification(models.TextChoices):
        PENDING = "pending", _("Not yet verified")
        SIGNED_IN = "signed_in", _("Signed-in member")
        EMAIL_CODE = "email_code", _("Code sent to the email address")
        STAFF = "staff", _("Checked by staff")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online (the privacy center or a form on the site)")
        POST = "post", _("Post")
        PHONE = "phone", _("Phone")
        IN_PERSON = "in_person", _("In person")
        EMAIL = "email", _("Email to the privacy team")

    # How requests entered by staff reached us (online ones open themselves).
    STAFF_CHANNELS = (Channel.POST, Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL)

    OPEN_STATUSES = (Status.AWAITING_VERIFICATION, Status.RECEIVED, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.COMPLETED, Status.REJECTED, Status.EXPIRED, Status.WITHDRAWN)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.RECEIVED
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
    )
    email = models.EmailField(
        _("requester's email"),
        blank=True,
        help_text=_("Where we answer; for requests from people without an account."),
    )
    name = models.CharField(_("requester's name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("Structured parts of the request: the field to correct, the purposes..."),
    )
    self_service = models.BooleanField(_("self-service"), default=False)
    channel = models.CharField(
        _("received by"),
        max_length=16,
        choices=Channel.choices,
        default=Channel.ONLINE,
        help_text=_("How the request reached us; staff enter those not made online."),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    due_at = models.DateTimeField(_("due"))
    extended_at = models.DateTimeField(_("deadline extended"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)

    verification = models.CharField(
        _("identity verification"),
        max_length=16,
        choices=Verification.choices,
        default=Verification.PENDING,
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_privacy_requests",
        limit_choices_to={"is_staff": True},
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(
        _("answer to the requester"),
        blank=True,
        help_text=_("Sent to the requester: what was done, or why the request was rejected."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="privacy_req_status_due"),
            models.Index(fields=["user", "received_at"], name="privacy_req_user_received"),
        ]
        permissions = [
            ("handle_privacyrequest", _("Can handle privacy requests")),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_type_display()})"

    @property
    def reference(self) -> str:
        """A short reference to quote in emails and on the phone."""
        return f"PR-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def contact_email(self) -> str:
        if self.email:
            return self.email
        return self.user.email if self.user_id and self.user else ""


class RequestEvent(models.Model):
    """One step in a request's life: its audit trail, shown to staff and the requester."""

    class Action(models.TextChoices):
        RECEIVED = "received", _("Received")
        CODE_SENT = "code_sent", _("Verification code sent")
        VERIFIED = "verified", _("Identity verified")
        VERIFICATION_FAILED = "verification_failed", _("Wrong verification code")
        ASSIGNED = "assigned", _("Assigned")
        STARTED = "started", _("Work started")
        EXTENDED = "extended", _("Deadline extended")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Closed without verification")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        NOTE = "note", _("Note")
        LINKED = "linked", _("Attached to the member's account")
        EMAILED = "emailed", _("Email sent to the requester")

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class VerificationCode(models.Model):
    """A one-time code emailed to a requester without an account (stored as a hash)."""

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="verification_codes"
    )
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")

    def __str__(self):
        return f"Code for request #{self.request_id}"


class ProcessingRestriction(models.Model):
    """While this row exists, nothing but the essential runs on the member's data ("blocking")."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="processing_restriction"
    )
    since = models.DateTimeField(default=timezone.now)
    request = models.ForeignKey(
        PrivacyRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("processing restriction")
        verbose_name_plural = _("processing restrictions")

    def __str__(self):
        return f"Restriction of member #{self.user_id}"
