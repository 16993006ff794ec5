"""Restriction of processing ("blocking"): one switch that stops all non-essential processing.

A member who switches restriction on (G1 "blocking", K6, S7) keeps their account, their
bookings and their data, but nothing optional runs on it until they lift it. While a
``ProcessingRestriction`` row exists for the member:

- every non-essential consent purpose answers *no* (:func:`privacy.services.consent.allows`
  and :func:`~privacy.services.consent.members_allowing`), whatever the ledger holds. The
  ledger itself is left alone, so lifting restores the member's earlier choices;
- usage tracking records nothing (:func:`privacy.services.tracking.may_track` for page
  views and beacons), and events buffered before the switch are dropped when the buffer is
  flushed (:func:`privacy.services.tracking.flush_buffer`);
- marketing campaigns leave them out, by email and by SMS, also halfway through a campaign
  (:func:`privacy.services.campaigns.campaign_audience` is built on ``members_allowing``);
- personalised recommendations are not computed
  (:func:`cinema.services.recommendations.may_recommend` asks ``consent.allows``) and the
  "For you" page says why;
- markup of optional purposes (analytics script, personalised advertising) is not sent
  (``{% ifconsent %}``).

What continues, because it is the contract or the law: bookings, booking confirmations and
showtime reminders, security alerts, policy-change notices, answers to privacy requests,
sign-in and the account itself.

Cost: one indexed lookup per member and request at most. :func:`is_restricted` caches its
answer on the user object, and ``consent.allows`` folds the check into its own query.

Each switch is recorded as a completed self-service ``PrivacyRequest`` (type
``restriction``, details ``{"restricted": true|false}``) and an audit entry
(``restriction.on`` / ``restriction.off``), in the same transaction as the change.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef

from privacy.models import PrivacyRequest, ProcessingRestriction
from privacy.services import audit

logger = logging.getLogger(__name__)

# Where is_restricted() keeps its answer on a user object (one lookup per loaded member).
_CACHE_ATTRIBUTE = "_privacy_processing_restricted"


# --- Reading -------------------------------------------------------------------------------


def cached_answer(user) -> bool | None:
    """Return the answer :func:`is_restricted` cached on ``user``, or None if not asked yet."""
    return getattr(user, _CACHE_ATTRIBUTE, None)


def _remember(user, restricted: bool) -> None:
    if user is not None:
        setattr(user, _CACHE_ATTRIBUTE, restricted)


def is_restricted(user) -> bool:
    """Return whether ``user`` has restricted the processing of their data.

    Anonymous visitors never are (they have no account to restrict). The answer is cached
    on the user object, so a request asks the database once however often it is checked.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    known = cached_answer(user)
    if known is not None:
        return known
    restricted = ProcessingRestriction.objects.filter(user_id=user.pk).exists()
    _remember(user, restricted)
    return restricted


def restricted_members():
    """Return the ids of restricted members, as a subquery (``pk__in=restricted_members()``)."""
    return ProcessingRestriction.objects.values("user_id")


def restriction_exists(user_field: str = "user_id") -> Exists:
    """Return an ``Exists`` true for rows whose ``user_field`` names a restricted member.

    For filters that must leave restricted members out in the same query:
    ``qs.filter(~restriction_exists())``.
    """
    return Exists(ProcessingRestriction.objects.filter(user_id=OuterRef(user_field)))


def restriction_of(user) -> ProcessingRestriction | None:
    """Return the member's restriction (with ``since``), or None when processing is normal."""
    restriction = ProcessingRestriction.objects.filter(user_id=user.pk).first()
    _remember(user, restriction is not None)
    return restriction


# --- Switching -----------------------------------------------------------------------------


def restrict(user, *, request: PrivacyRequest | None = None, actor=None) -> ProcessingRestriction:
    """Stop all non-essential processing of ``user``'s data until :func:`lift` is called.

    ``request`` is the privacy request this answers when staff act on one from the queue;
    without it, the member's own switch is recorded as a completed self-service request.
    ``actor`` is who switched (the member unless given). Idempotent: restricting a
    restricted member changes and records nothing, and returns the existing restriction.
    """
    from privacy.services import requests

    actor = user if actor is None else actor
    with transaction.atomic():
        # Serialises switches of one member, so two clicks record one change.
        _lock_member(user)
        existing = ProcessingRestriction.objects.filter(user_id=user.pk).first()
        if existing is not None:
            _remember(user, True)
            return existing
        if request is None:
            request = requests.record_self_service(
                PrivacyRequest.Type.RESTRICTION, user=user, details={"restricted": True}
            )
        restriction = ProcessingRestriction.objects.create(user=user, request=request)
        audit.record(
            audit.Action.RESTRICTION_ON,
            actor=actor,
            subject=user,
            target=restriction,
            request_id=request.pk,
        )
    _remember(user, True)
    logger.info("privacy.restriction.on member=%s request=%s", user.pk, request.pk)
    return restriction


def lift(user, *, request: PrivacyRequest | None = None, actor=None) -> bool:
    """Let processing resume as the member's own choices say; return whether it was restricted.

    The consent ledger was never changed by the restriction, so every purpose the member
    had agreed to is on again at once; nothing is re-sent or back-filled for the time in
    between. Recorded like :func:`restrict`; lifting an unrestricted member does nothing.
    """
    from privacy.services import requests

    actor = user if actor is None else actor
    with transaction.atomic():
        _lock_member(user)
        restriction = ProcessingRestriction.objects.filter(user_id=user.pk).first()
        if restriction is None:
            _remember(user, False)
            return False
        restriction.delete()
        if request is None:
            request = requests.record_self_service(
                PrivacyRequest.Type.RESTRICTION, user=user, details={"restricted": False}
            )
        audit.record(
            audit.Action.RESTRICTION_OFF,
            actor=actor,
            subject=user,
            target=request,
        )
    _remember(user, False)
    logger.info("privacy.restriction.off member=%s request=%s", user.pk, request.pk)
    return True


def _lock_member(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
