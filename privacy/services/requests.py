"""The data-subject request workflow: every request, self-service or staff-handled.

Life of a request::

    awaiting_verification --(code / staff check)--> received --> in_progress --> completed
            |                                          |              |       \\-> rejected
            \\--(no code in time)--> expired            \\--------------+--> withdrawn

Members' requests start verified (they are signed in). Requests from people without an
account wait for a one-time code sent to the address they gave. Self-service rights
(export, restriction, objection, consent withdrawal) are recorded and completed at once,
without emails, so the queue and the yearly figures count every right exercised.

Every step writes a ``RequestEvent`` (the request's trail, shown to staff and the
requester) and an audit-log entry (ids only). Emails go in the requester's language.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.conf import settings as django_settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cinema.mail import send_templated_email
from privacy.app_settings import app_settings
from privacy.models import PrivacyRequest, RequestEvent, VerificationCode
from privacy.services import audit, deadlines

logger = logging.getLogger(__name__)

Type = PrivacyRequest.Type
Status = PrivacyRequest.Status
Verification = PrivacyRequest.Verification
Event = RequestEvent.Action

# Types that people without an account may send (through the contact forms).
PUBLIC_TYPES = {Type.INQUIRY, Type.COMPLAINT, Type.LEAK_REPORT, Type.GUARDIAN_REPORT}
CODE_LENGTH = 6


class RequestError(Exception):
    """A step that is not allowed in the request's current state.

    The message is translated, for staff to read in the admin or members on a page.
    """


# --- Emails -------------------------------------------------------------------------------


STATUS_SALT = "privacy.request-status"


def status_path(req: PrivacyRequest) -> str:
    """Link (path) to the request's page: the member's list, or a signed public page."""
    from django.core import signing

    if req.user_id:
        return reverse("privacy:request_detail", args=[req.public_id])
    token = signing.dumps(str(req.public_id), salt=STATUS_SALT)
    return reverse("privacy:request_status", args=[token])


def status_url(req: PrivacyRequest) -> str:
    """Absolute link to the request's page: the member's list, or a signed public page."""
    from django.conf import settings

    return settings.SITE_URL + status_path(req)


def request_for_status_token(token: str) -> PrivacyRequest | None:
    """Return the request a status-page token names, or None if the token is bad or expired.

    Tokens are signed (salt ``privacy.request-status``) and accepted for
    ``PRIVACY_REQUEST_STATUS_LINK_MAX_AGE`` after they were made; every email about the
    request carries a fresh one.
    """
    import uuid

    from django.core import signing

    try:
        value = signing.loads(
            token, salt=STATUS_SALT, max_age=app_settings.REQUEST_STATUS_LINK_MAX_AGE
        )
        public_id = uuid.UUID(str(value))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return PrivacyRequest.objects.filter(public_id=public_id).first()


def notify(req: PrivacyRequest, kind: str, **context) -> None:
    """Email the requester about ``kind`` (received, verify, completed, rejected, extended)."""
    to = req.contact_email
    if not to:
        return
    send_templated_email(
        f"privacy_request_{kind}",
        to=to,
        language=req.language,
        context={
            "req": req,
            "status_url": status_url(req),
            # Where a refused requester may complain (named when the deployment says).
            "authority_name": getattr(django_settings, "PRIVACY_AUTHORITY_NAME", ""),
            "authority_url": getattr(django_settings, "PRIVACY_AUTHORITY_URL", ""),
            **context,
        },
    )
    RequestEvent.objects.create(request=req, action=Event.EMAILED, note=kind)


# --- Opening ------------------------------------------------------------------------------


def open_request(
    type: str,
    *,
    user=None,
    email: str = "",
    name: str = "",
    description: str = "",
    details: dict | None = None,
    self_service: bool = False,
    language: str = "",
    received_at: datetime | None = None,
) -> PrivacyRequest:
    """Record a new request and acknowledge it (or ask the requester to verify).

    ``user`` is the signed-in member making it; without one, ``email`` is required and
    the request waits for the code emailed there.
    """
    if type not in Type.values:
        raise ValueError(f"Unknown request type {type!r}")
    if user is None and not email:
        raise ValueError("A request without a member needs an email address.")
    received_at = received_at or timezone.now()
    verified = user is not None
    with transaction.atomic():
        req = PrivacyRequest.objects.create(
            type=type,
            user=user,
            email="" if user is not None else email,
            name=name,
            description=description,
            details=details or {},
            self_service=self_service,
            language=language or getattr(user, "preferred_language", "") or get_language() or "",
            received_at=received_at,
            due_at=deadlines.due_at(type, received_at),
            verification=Verification.SIGNED_IN if verified else Verification.PENDING,
            verified_at=received_at if verified else None,
            status=Status.RECEIVED if verified else Status.AWAITING_VERIFICATION,
        )
        RequestEvent.objects.create(request=req, at=received_at, action=Event.RECEIVED)
        audit.record(audit.Action.REQUEST_OPENED, actor=user, subject=user, target=req, type=type)
        if self_service:
            return req
        if verified:
            notify(req, "received")
        else:
            send_code(req)
    return req


def enter_request(
    type: str,
    *,
    actor,
    channel: str,
    received_at: datetime,
    user=None,
    email: str = "",
    name: str = "",
    description: str = "",
    details: dict | None = None,
    language: str = "",
    verified_note: str | None = None,
    acknowledge: bool = True,
) -> PrivacyRequest:
    """Record a request staff received by post, phone, in person or by email.

    The due date counts from ``received_at`` (when the letter or call came), not from
    now. ``user`` is the member the request is about, when staff found the account; else
    ``email`` is where we answer. ``verified_note`` says how staff checked the requester's
    identity (None: not checked yet, the request waits for the *verify* step; no code is
    sent, since the request did not come through the site). A visitor whose identity was
    checked and whose address is a member's verified address is attached to that member.
    With ``acknowledge`` the requester is emailed the acknowledgement at once.

    The trail says who entered it and how it came; the audit log records the same (ids
    and codes only).
    """
    if type not in Type.values:
        raise RequestError(_("Unknown request type."))
    if channel not in PrivacyRequest.STAFF_CHANNELS:
        raise RequestError(_("Choose how the request reached us: post, phone, in person or email."))
    if received_at > timezone.now():
        raise RequestError(_("The date the request was received cannot be in the future."))
    email = (email or "").strip()
    if user is None and not email:
        raise RequestError(_("Give the requester's email address, or choose their member account."))
    if user is not None and email and not address_of_member(email, user):
        raise RequestError(_("That email address is not one of this member's addresses."))
    verified = verified_note is not None
    now = timezone.now()
    with transaction.atomic():
        req = PrivacyRequest.objects.create(
            type=type,
            user=user,
            email=email,  # a member's own address when given: they wrote from it
            name=name,
            description=description,
            details=details or {},
            channel=channel,
            language=language
            or getattr(user, "preferred_language", "")
            or django_settings.LANGUAGE_CODE,
            received_at=received_at,
            due_at=deadlines.due_at(type, received_at),
            verification=Verification.STAFF if verified else Verification.PENDING,
            verified_at=now if verified else None,
            # Never "awaiting verification": that state waits for an emailed code and
            # closes by itself; staff check these requests themselves.
            status=Status.RECEIVED,
        )
        RequestEvent.objects.create(
            request=req,
            at=received_at,
            actor=actor,
            action=Event.RECEIVED,
            note=_("Entered by staff; received by %(channel)s")
            % {"channel": req.get_channel_display().lower()},
        )
        audit.record(
            audit.Action.REQUEST_OPENED,
            actor=actor,
            subject=user,
            target=req,
            type=type,
            channel=channel,
        )
        if verified:
            RequestEvent.objects.create(
                request=req, at=now, actor=actor, action=Event.VERIFIED, note=verified_note
            )
            audit.record(
                audit.Action.REQUEST_VERIFIED,
                actor=actor,
                subject=req.user_id,
                target=req,
                method=Verification.STAFF,
            )
            if user is None:
                member = member_for_request(req)
                if member is not None:
                    link_member(req, member, actor=actor)
        if acknowledge:
            notify(req, "received")
    return req


def record_self_service(
    type: str, *, user, details: dict | None = None, description: str = ""
) -> PrivacyRequest:
    """Record a right the member exercised themselves, already completed."""
    with transaction.atomic():
        req = open_request(
            type, user=user, details=details, description=description, self_service=True
        )
        _close(req, Status.COMPLETED, actor=user, event=Event.COMPLETED)
    return req


# --- Identity verification ----------------------------------------------------------------


def send_code(req: PrivacyRequest) -> str:
    """Email a fresh one-time code for ``req`` (earlier codes stop working); return it."""
    if req.status != Status.AWAITING_VERIFICATION:
        raise RequestError(_("This request does not need verification."))
    code = "".join(secrets.choice("0123456789") for _digit in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        req.verification_codes.filter(used_at__isnull=True).update(used_at=now)
        VerificationCode.objects.create(
            request=req,
            code_hash=make_password(code),
            created_at=now,
            expires_at=now + app_settings.VERIFICATION_CODE_TTL,
        )
        RequestEvent.objects.create(request=req, action=Event.CODE_SENT)
        notify(
            req,
            "verify",
            code=code,
            minutes=int(app_settings.VERIFICATION_CODE_TTL.total_seconds() // 60),
        )
    return code


def check_code(req: PrivacyRequest, code: str) -> bool:
    """Verify ``req`` if ``code`` is its current code; count a failed attempt otherwise."""
    if req.status != Status.AWAITING_VERIFICATION:
        return req.verification != Verification.PENDING
    now = timezone.now()
    with transaction.atomic():
        current = (
            req.verification_codes.select_for_update()
            .filter(used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if current is None or current.attempts >= app_settings.VERIFICATION_CODE_ATTEMPTS:
            return False
        if not check_password((code or "").strip(), current.code_hash):
            current.attempts += 1
            current.save(update_fields=["attempts"])
            RequestEvent.objects.create(request=req, action=Event.VERIFICATION_FAILED)
            return False
        current.used_at = now
        current.save(update_fields=["used_at"])
        _mark_verified(req, method=Verification.EMAIL_CODE, actor=None)
    notify(req, "received")
    return True


def verify_identity(
    req: PrivacyRequest, *, actor, note: str = "", attach_member: bool = False
) -> None:
    """Staff confirm the requester's identity (L1: before acting on an account).

    A request that was waiting for its code becomes "received", and the requester gets
    the acknowledgement they would have had after entering the code. With
    ``attach_member``, a request sent without an account from a member's verified address
    is attached to that member (see :func:`member_for_request`), so that what it asks
    can be carried out on the account.
    """
    if not req.is_open:
        raise RequestError(_("Closed requests cannot be verified."))
    was_waiting = req.status == Status.AWAITING_VERIFICATION
    with transaction.atomic():
        _mark_verified(req, method=Verification.STAFF, actor=actor, note=note)
        if attach_member and req.user_id is None:
            member = member_for_request(req)
            if member is not None:
                link_member(req, member, actor=actor)
        if was_waiting:
            notify(req, "received")


# --- Requests from people without an account who are members ------------------------------


def member_with_address(email: str):
    """The member whose *verified* address ``email`` is, or None.

    Only verified addresses count: anyone can type an address into a sign-up form, but
    only its owner can confirm it.
    """
    from allauth.account.models import EmailAddress

    email = (email or "").strip()
    if not email:
        return None
    owners = list(
        EmailAddress.objects.filter(email__iexact=email, verified=True)
        .values_list("user", flat=True)
        .distinct()[:2]
    )
    if len(owners) != 1:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=owners[0], is_active=True).first()


def address_of_member(email: str, user) -> bool:
    """Whether ``email`` is ``user``'s account address or one of their verified addresses."""
    from allauth.account.models import EmailAddress

    email = (email or "").strip()
    if not email:
        return False
    if (user.email or "").lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def member_for_request(req: PrivacyRequest):
    """The member a request sent without an account could be attached to, or None.

    A request from the member's own verified address, by someone whose identity was (or
    is being) checked, is theirs.
    """
    if req.user_id is not None or not req.email:
        return None
    return member_with_address(req.email)


def link_member(req: PrivacyRequest, member, *, actor) -> None:
    """Attach a request sent without an account to ``member`` (by staff, once verified).

    Only when the request came from one of the member's verified addresses and the
    requester's identity is confirmed: the request then acts on that account. The trail
    (staff only) and the audit log record it; the requester is not emailed.
    """
    _require_open(req)
    _require_verified(req)
    if req.user_id is not None:
        if req.user_id == member.pk:
            return
        raise RequestError(_("This request already belongs to a member account."))
    if not address_of_member(req.email, member) or member_with_address(req.email) != member:
        raise RequestError(
            _("The request did not come from one of this member's verified addresses.")
        )
    with transaction.atomic():
        req.user = member
        req.save(update_fields=["user", "updated_at"])
        RequestEvent.objects.create(
            request=req, actor=actor, action=Event.LINKED, note=f"#{member.pk}"
        )
        audit.record(audit.Action.REQUEST_LINKED, actor=actor, subject=member, target=req)


def _mark_verified(req, *, method, actor, note: str = "") -> None:
    req.verification = method
    req.verified_at = timezone.now()
    fields = ["verification", "verified_at", "updated_at"]
    if req.status == Status.AWAITING_VERIFICATION:
        req.status = Status.RECEIVED
        fields.append("status")
    req.save(update_fields=fields)
    RequestEvent.objects.create(request=req, actor=actor, action=Event.VERIFIED, note=note)
    audit.record(
        audit.Action.REQUEST_VERIFIED,
        actor=actor,
        subject=req.user_id,
        target=req,
        method=method,
    )


def expire_unverified(*, now: datetime | None = None) -> int:
    """Close requests whose requester never confirmed their address; return how many.

    Each request is closed in its own short transaction, re-read under a row lock, so a
    code entered at the same moment wins and a second run closes nothing twice. No email
    goes out: the address was never shown to belong to the requester.
    """
    cutoff = (now or timezone.now()) - app_settings.UNVERIFIED_REQUEST_TTL
    candidates = list(
        PrivacyRequest.objects.filter(
            status=Status.AWAITING_VERIFICATION, received_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    expired = 0
    for pk in candidates:
        with transaction.atomic():
            req = (
                PrivacyRequest.objects.select_for_update()
                .filter(pk=pk, status=Status.AWAITING_VERIFICATION)
                .first()
            )
            if req is None:
                continue
            _close(req, Status.EXPIRED, actor=None, event=Event.EXPIRED)
        expired += 1
    return expired


# --- Staff steps --------------------------------------------------------------------------


def _require_open(req: PrivacyRequest) -> None:
    if not req.is_open:
        raise RequestError(_("This request is already closed."))


def _require_verified(req: PrivacyRequest) -> None:
    if req.verification == Verification.PENDING:
        raise RequestError(_("Verify the requester's identity first."))


def assign(req: PrivacyRequest, *, assignee, actor) -> None:
    """Give the request to ``assignee`` (a staff member), or to nobody with None."""
    _require_open(req)
    if assignee is not None and not assignee.is_staff:
        raise RequestError(_("Requests can only be assigned to staff."))
    with transaction.atomic():
        req.assignee = assignee
        req.save(update_fields=["assignee", "updated_at"])
        RequestEvent.objects.create(
            request=req,
            actor=actor,
            action=Event.ASSIGNED,
            note=f"#{assignee.pk}" if assignee is not None else "-",
        )
        audit.record(
            audit.Action.REQUEST_ASSIGNED,
            actor=actor,
            subject=req.user_id,
            target=req,
            assignee=assignee.pk if assignee is not None else None,
        )


def start(req: PrivacyRequest, *, actor) -> None:
    """Staff approve the request and start working on it."""
    _require_open(req)
    _require_verified(req)
    if req.status == Status.IN_PROGRESS:
        return
    with transaction.atomic():
        req.status = Status.IN_PROGRESS
        if req.assignee_id is None and actor is not None:
            req.assignee = actor
        req.save(update_fields=["status", "assignee", "updated_at"])
        RequestEvent.objects.create(request=req, actor=actor, action=Event.STARTED)
        audit.record(
            audit.Action.REQUEST_STATUS,
            actor=actor,
            subject=req.user_id,
            target=req,
            status=req.status,
        )


def complete(
    req: PrivacyRequest, *, actor, resolution: str = "", email_context: dict | None = None
) -> None:
    """Close the request as done and tell the requester what was done.

    ``email_context`` adds to what the email shows (a download link, for an export).
    """
    _require_open(req)
    _require_verified(req)
    with transaction.atomic():
        req.resolution = resolution or req.resolution
        _close(req, Status.COMPLETED, actor=actor, event=Event.COMPLETED, note=resolution)
        if not req.self_service:
            notify(req, "completed", **(email_context or {}))


def reject(req: PrivacyRequest, *, actor, reason: str) -> None:
    """Close the request unanswered; the reason is required and emailed."""
    _require_open(req)
    if not (reason or "").strip():
        raise RequestError(_("Give the reason for rejecting the request: it is sent to them."))
    with transaction.atomic():
        req.resolution = reason
        _close(req, Status.REJECTED, actor=actor, event=Event.REJECTED, note=reason)
        notify(req, "rejected")


def withdraw(req: PrivacyRequest, *, actor) -> None:
    """The requester takes the request back."""
    _require_open(req)
    with transaction.atomic():
        _close(req, Status.WITHDRAWN, actor=actor, event=Event.WITHDRAWN)


def extend(req: PrivacyRequest, *, actor, reason: str) -> None:
    """Extend the deadline once (by PRIVACY_REQUEST_EXTENSION); the reason is emailed.

    The law allows it only while the first deadline runs (GDPR Art. 12(3): "within one
    month of receipt"; CCPA: "within the first 45 days"), so an overdue request cannot be
    extended.
    """
    _require_open(req)
    if req.extended_at is not None:
        raise RequestError(_("The deadline of this request was already extended once."))
    if not (reason or "").strip():
        raise RequestError(_("Give the reason for the extension: it is sent to the requester."))
    if req.due_at < timezone.now():
        raise RequestError(
            _("The deadline has passed: an extension must be announced before it ends.")
        )
    with transaction.atomic():
        req.due_at = deadlines.extension_period().after(req.due_at)
        req.extended_at = timezone.now()
        req.extension_reason = reason
        req.save(update_fields=["due_at", "extended_at", "extension_reason", "updated_at"])
        RequestEvent.objects.create(request=req, actor=actor, action=Event.EXTENDED, note=reason)
        audit.record(audit.Action.REQUEST_EXTENDED, actor=actor, subject=req.user_id, target=req)
        notify(req, "extended")


def add_note(req: PrivacyRequest, *, actor, note: str) -> RequestEvent:
    """Add an internal note to the request's trail (staff only; never emailed)."""
    if not (note or "").strip():
        raise RequestError(_("Write the note first."))
    return RequestEvent.objects.create(request=req, actor=actor, action=Event.NOTE, note=note)


def _close(req, status, *, actor, event, note: str = "") -> None:
    req.status = status
    req.closed_at = timezone.now()
    req.save(update_fields=["status", "closed_at", "resolution", "updated_at"])
    RequestEvent.objects.create(request=req, actor=actor, action=event, note=note)
    audit.record(
        audit.Action.REQUEST_STATUS,
        actor=actor,
        subject=req.user_id,
        target=req,
        status=status,
    )
