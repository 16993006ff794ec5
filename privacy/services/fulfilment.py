"""Carrying out an approved request from the staff queue: restriction, objection, export.

A request staff approved ("in progress") and that belongs to a member account is answered
by the same services members use themselves, told which request they answer and which
staff member acts, so no self-service record is made:

- **restriction**: :func:`privacy.services.restriction.restrict`, then the request is
  completed and the member emailed;
- **objection**: :func:`privacy.services.objection.object_to` for each objection the
  request names (``details["objections"]``, or ``details["objection"]``), then completed
  and emailed;
- **access / export**: :func:`privacy.services.export.request_export`; the worker
  completes the request when the ZIP is ready, and the completion email links to the
  download in the privacy center.

Each function locks the request's row first and checks its type and state under the
lock, so a second click (or a colleague's click at the same moment) is refused with the
reason instead of doing the work twice. The refusal is a ``RequestError`` whose message
staff read in the admin. Every change is audited with the staff member as actor.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from privacy.models import DataExport, PrivacyRequest, RequestEvent
from privacy.services import audit, export, objection, restriction
from privacy.services import requests as workflow
from privacy.services.requests import RequestError

Type = PrivacyRequest.Type
Status = PrivacyRequest.Status

RESTRICT = "restrict"
OBJECT = "object"
EXPORT = "export"

# Which request types each action answers.
TYPES = {
    RESTRICT: (Type.RESTRICTION,),
    OBJECT: (Type.OBJECTION,),
    EXPORT: (Type.ACCESS, Type.EXPORT),
}


def refusal(req: PrivacyRequest, action: str) -> str:
    """Why ``action`` cannot be taken on ``req`` now, or "" when it can.

    Checked before the work and again under the row lock.
    """
    if req.type not in TYPES[action]:
        wanted = ", ".join(str(Type(t).label) for t in TYPES[action])
        return _("It is a request of type “%(type)s”; this action is for: %(wanted)s.") % {
            "type": req.get_type_display(),
            "wanted": wanted,
        }
    if not req.is_open:
        return _("This request is already closed.")
    if req.verification == PrivacyRequest.Verification.PENDING:
        return _("Verify the requester's identity first.")
    if req.status != Status.IN_PROGRESS:
        return _("Approve the request first (Approve and start work).")
    if req.user_id is None:
        return _(
            "The request is not attached to a member account. If it came from a member's "
            "verified address, attach it when verifying the identity."
        )
    if action == OBJECT and not objection.named_in(req.details):
        return _("The request does not say what the requester objects to.")
    return ""


def _locked(req: PrivacyRequest, action: str) -> PrivacyRequest:
    """Re-read ``req`` under a row lock and check it again (raises RequestError)."""
    locked = (
        PrivacyRequest.objects.select_for_update(of=("self",)).select_related("user").get(pk=req.pk)
    )
    reason = refusal(locked, action)
    if reason:
        raise RequestError(reason)
    return locked


def apply_restriction(req: PrivacyRequest, *, actor) -> None:
    """Restrict the processing of the member's data and complete the request."""
    with transaction.atomic():
        locked = _locked(req, RESTRICT)
        restriction.restrict(locked.user, request=locked, actor=actor)
        with translation.override(locked.language or None):  # stored and emailed to them
            resolution = _(
                "We have restricted the processing of your data: from now on we only use it "
                "for your bookings, your account and what the law requires. You can lift "
                "the restriction in your privacy center at any time."
            )
        workflow.complete(locked, actor=actor, resolution=resolution)
    req.refresh_from_db()


def apply_objection(req: PrivacyRequest, *, actor) -> list[str]:
    """Stop the processing the request objects to; complete it; return the objections."""
    with transaction.atomic():
        locked = _locked(req, OBJECT)
        named = objection.named_in(locked.details)
        for which in named:
            objection.object_to(locked.user, which, privacy_request=locked, actor=actor)
        with translation.override(locked.language or None):  # stored and emailed to them
            resolution = "\n".join(
                [
                    _("We have stopped, as you asked:"),
                    *(f"- {objection.LABELS[which]}" for which in named),
                    _("You may agree again in your privacy center if you change your mind."),
                ]
            )
        workflow.complete(locked, actor=actor, resolution=resolution)
    req.refresh_from_db()
    return named


def build_export(req: PrivacyRequest, *, actor) -> tuple[DataExport, bool]:
    """Start building the member's export for the request; return it and whether it is new.

    The request stays open until the worker has built the ZIP; then it is completed and
    the member emailed the link. Asking again while that export is on its way returns it
    (``False``): nothing is built twice.
    """
    with transaction.atomic():
        locked = _locked(req, EXPORT)
        running = export.running_export(locked.user)
        if running is not None and running.request_id == locked.pk:
            return running, False
        if running is not None:
            raise RequestError(
                _(
                    "A copy of this member's data is already being built for another "
                    "request; build this one when it is ready."
                )
            )
        data_export = export.request_export(locked.user, privacy_request=locked)
        RequestEvent.objects.create(
            request=locked,
            actor=actor,
            action=RequestEvent.Action.NOTE,
            note=f"export #{data_export.pk} started",
        )
        audit.record(
            audit.Action.EXPORT_REQUESTED,
            actor=actor,
            subject=locked.user_id,
            target=locked,
            export_id=data_export.pk,
        )
    return data_export, True
