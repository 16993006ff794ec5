"""Objection to processing (GDPR Art. 21; K6, S7): to profiling, and to marketing.

Two separate switches, apart from restriction (which pauses everything optional):

- **profiling**: personalised recommendations and personalised advertising, the two
  purposes that build a picture of the member's taste;
- **marketing**: marketing email and marketing SMS (direct marketing, which must stop
  unconditionally on objection).

An objection is a withdrawal of the consent behind those purposes, recorded in the consent
ledger with the source ``objection``, so every place that processes (recommendations,
campaigns, ``{% ifconsent %}``) stops through the checks it already makes. Marketing goes
through :func:`privacy.services.marketing.opt_out`, which also cancels a pending email
opt-in and puts the addresses on the suppression list. Each objection is also a completed
self-service ``PrivacyRequest`` (type ``objection``, details ``{"objection": which}``) and
an audit entry. The member may agree again later, in the cookie or marketing settings: an
objection is their choice, not a lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from privacy.models import Channel, PrivacyRequest
from privacy.services import audit, consent, marketing

logger = logging.getLogger(__name__)

PROFILING = "profiling"
MARKETING = "marketing"

PURPOSES: dict[str, tuple[str, ...]] = {
    PROFILING: (consent.RECOMMENDATIONS, consent.ADVERTISING),
    MARKETING: (consent.MARKETING_EMAIL, consent.MARKETING_SMS),
}
LABELS = {
    PROFILING: _("Profiling: personalised recommendations and advertising"),
    MARKETING: _("Marketing by email and SMS"),
}


def named_in(details: dict) -> list[str]:
    """The objections a request's details name, in a stable order.

    Self-service requests store one (``{"objection": "profiling"}``); requests staff enter
    may name several (``{"objections": ["profiling", "marketing"]}``).
    """
    details = details or {}
    named = list(details.get("objections") or [])
    if details.get("objection"):
        named.append(details["objection"])
    return [which for which in PURPOSES if which in named]


@dataclass(frozen=True)
class ObjectionState:
    """Whether the member's own choices still let us do what an objection would stop."""

    which: str
    label: str
    active_purposes: tuple[str, ...]  # purposes the member currently agrees to

    @property
    def processing(self) -> bool:
        return bool(self.active_purposes)

    @property
    def active_labels(self) -> list[str]:
        return [str(consent.PURPOSE_TEXTS[p][0]) for p in self.active_purposes]


def states(user) -> dict[str, ObjectionState]:
    """Return, per objection, which of its purposes the member agrees to (one query)."""
    choices = consent.current_choices(consent.Subject.of(user))
    return {
        which: ObjectionState(
            which=which,
            label=str(LABELS[which]),
            active_purposes=tuple(p for p in purposes if choices[p]),
        )
        for which, purposes in PURPOSES.items()
    }


def object_to(
    user, which: str, *, request=None, privacy_request: PrivacyRequest | None = None, actor=None
) -> PrivacyRequest:
    """Stop the processing ``which`` names for ``user`` now; return the recorded request.

    ``request`` is the HTTP request the objection came with (its network and browser family
    go in the ledger, as for every consent answer). Objecting again is allowed and
    recorded; it changes nothing that is already off.

    ``privacy_request`` is the request this answers when staff act on one from the queue
    (``actor`` is that staff member): no self-service request is recorded then, and
    closing the request is the caller's step.
    """
    from privacy.services import requests

    if which not in PURPOSES:
        raise ValueError(f"Unknown objection {which!r}")
    actor = user if actor is None else actor
    source = consent.Source.OBJECTION
    with transaction.atomic():
        if which == PROFILING:
            consent.record_choices(
                consent.Subject.of(user),
                dict.fromkeys(PURPOSES[PROFILING], False),
                source=source,
                request=request,
            )
        else:
            for channel in (Channel.EMAIL, Channel.SMS):
                marketing.opt_out(user, channel=channel, source=source, request=request)
        req = privacy_request or requests.record_self_service(
            PrivacyRequest.Type.OBJECTION,
            user=user,
            details={"objection": which, "purposes": list(PURPOSES[which])},
        )
        audit.record(audit.Action.OBJECTION, actor=actor, subject=user, target=req, objection=which)
    logger.info("privacy.objection member=%s objection=%s request=%s", user.pk, which, req.pk)
    return req
