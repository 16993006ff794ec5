"""Consent: the append-only ledger, the current-state read, and browser signals.

Who consents is a :class:`Subject`: a member, or an anonymous visitor known by the random
id in the ``mq_visitor`` cookie (set only once the visitor makes a choice). Every choice
is appended to ``ConsentRecord`` and mirrored into ``ConsentState`` in the same
transaction, so reads are one indexed query and the ledger proves what was agreed, when,
under which policy version and how (G4, G6).

Browser signals are opt-outs that need no click (M14): ``Sec-GPC: 1`` turns advertising
(and any sale or sharing) off, ``DNT: 1`` turns analytics off. A request without the
signal is never taken as an opt-in; a member who explicitly confirms a purpose despite the
signal (``overrides_signal``) is not overruled again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.models import ConsentRecord, ConsentState
from privacy.services import restriction
from privacy.services.network import truncate_ip, user_agent_family

ESSENTIAL = "essential"
FUNCTIONAL = "functional"
ANALYTICS = "analytics"
ADVERTISING = "advertising"
RECOMMENDATIONS = "recommendations"
LOCATION = "location"
MARKETING_EMAIL = "marketing_email"
MARKETING_SMS = "marketing_sms"

PURPOSES = (
    ESSENTIAL,
    FUNCTIONAL,
    ANALYTICS,
    ADVERTISING,
    RECOMMENDATIONS,
    LOCATION,
    MARKETING_EMAIL,
    MARKETING_SMS,
)
# Built-in, translated texts: (name, description, legal basis, always on). Staff may
# override the texts of a purpose in the admin (ConsentPurpose).
PURPOSE_TEXTS = {
    ESSENTIAL: (
        _("Essential"),
        _(
            "Needed for the site to work: signing in, security, remembering your choices "
            "here. Always on."
        ),
        "contract",
        True,
    ),
    FUNCTIONAL: (
        _("Functionality"),
        _("Remembers conveniences such as your last cinema and programme filters."),
        "consent",
        False,
    ),
    ANALYTICS: (
        _("Analytics"),
        _(
            "Counts which pages and films are viewed, searches and time on page, with your IP "
            "address shortened, so we can improve the service. Never sold."
        ),
        "consent",
        False,
    ),
    ADVERTISING: (
        _("Personalised advertising"),
        _(
            "Lets us and advertising partners tailor offers to you. We do not sell or share "
            "your data for this unless you turn it on."
        ),
        "consent",
        False,
    ),
    RECOMMENDATIONS: (
        _("Personalised recommendations"),
        _(
            "Suggests films from your favourite genres and past bookings, computed by us. "
            "No outside AI service receives your data."
        ),
        "consent",
        False,
    ),
    LOCATION: (
        _("Precise location"),
        _("Finds the nearest cinema from your device's position, only when you ask."),
        "consent",
        False,
    ),
    MARKETING_EMAIL: (
        _("Marketing email"),
        _("News about films, offers and events by email."),
        "consent",
        False,
    ),
    MARKETING_SMS: (
        _("Marketing SMS"),
        _("Offers by text message. Reply STOP to end them at any time."),
        "consent",
        False,
    ),
}

# The choices the cookie banner offers; the others live in the privacy settings.
BANNER_PURPOSES = (FUNCTIONAL, ANALYTICS, ADVERTISING)
# Which browser signal opts out of which purpose.
SIGNAL_PURPOSES = {"gpc": ADVERTISING, "dnt": ANALYTICS}
# Cookies each purpose may set; they are deleted from the browser once it is declined.
PURPOSE_COOKIES: dict[str, tuple[str, ...]] = {
    FUNCTIONAL: ("mq_functional",),
    ANALYTICS: ("mq_analytics",),
    ADVERTISING: ("mq_ads",),
}
VISITOR_COOKIE = "mq_visitor"

Source = ConsentRecord.Source


@dataclass(frozen=True)
class Subject:
    """A member (``user_id``) or an anonymous visitor (``visitor_id``)."""

    user_id: int | None = None
    visitor_id: uuid.UUID | None = None

    def __post_init__(self):
        if self.user_id is None and self.visitor_id is None:
            raise ValueError("A consent subject needs a member or a visitor id.")

    @classmethod
    def of(cls, user) -> Subject:
        return cls(user_id=user.pk)

    def filter(self) -> dict:
        if self.user_id is not None:
            return {"user_id": self.user_id}
        return {"user__isnull": True, "visitor_id": self.visitor_id}


def new_visitor_id() -> uuid.UUID:
    return uuid.uuid4()


def current_states(subject: Subject) -> dict[str, ConsentState]:
    """Return the subject's current answer per purpose (absent: never asked)."""
    return {s.purpose: s for s in ConsentState.objects.filter(**subject.filter())}


def current_choices(subject: Subject) -> dict[str, bool]:
    """Return purpose -> granted for every purpose; unanswered ones count as declined."""
    states = current_states(subject)
    choices = {p: bool(states[p].granted) if p in states else False for p in PURPOSES}
    choices[ESSENTIAL] = True
    return choices


def allows(user, purpose: str) -> bool:
    """Return whether ``purpose`` may be processed for ``user`` now (no answer means no).

    Yes only if the member agreed to it and has not restricted processing
    (:mod:`privacy.services.restriction`): a restriction turns every non-essential purpose
    off without touching the ledger. One query, the restriction check folded into it (none
    for the restriction when :func:`restriction.is_restricted` already asked for this user).
    """
    if purpose == ESSENTIAL:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    known = restriction.cached_answer(user)
    if known:
        return False
    states = ConsentState.objects.filter(user_id=user.pk, purpose=purpose, granted=True)
    if known is None:
        states = states.filter(~restriction.restriction_exists())
    return states.exists()


def granted(user, purpose: str) -> bool:
    """Return the member's own current answer for ``purpose`` in the ledger.

    Unlike :func:`allows`, a restriction of processing does not change it: for pages that
    show the member their choices and for the double opt-in, never to decide processing.
    """
    if purpose == ESSENTIAL:
        return True
    return ConsentState.objects.filter(user_id=user.pk, purpose=purpose, granted=True).exists()


def members_allowing(purpose: str):
    """Return the ids of members ``purpose`` may be processed for, as a subquery.

    Members who agreed to it, minus those who restricted processing.
    """
    return (
        ConsentState.objects.filter(purpose=purpose, granted=True, user__isnull=False)
        .filter(~restriction.restriction_exists())
        .values("user_id")
    )


def record_choices(
    subject: Subject,
    choices: Mapping[str, bool],
    *,
    source: str,
    policy_version: str = "",
    request=None,
    overrides_signal: bool = False,
) -> list[ConsentRecord]:
    """Append one ledger row per submitted purpose and update the current state.

    Every submitted answer is recorded, changed or not: the ledger is the proof of what
    the person confirmed on that form, under ``policy_version``. Unknown purposes are a
    programming error; the essential purpose cannot be declined.
    """
    unknown = set(choices) - set(PURPOSES)
    if unknown:
        raise ValueError(f"Unknown consent purposes: {sorted(unknown)}")
    if choices.get(ESSENTIAL) is False:
        raise ValueError("The essential purpose cannot be declined.")
    now = timezone.now()
    context = _request_context(request)
    records = [
        ConsentRecord(
            user_id=subject.user_id,
            visitor_id=subject.visitor_id if subject.user_id is None else None,
            purpose=purpose,
            granted=bool(granted),
            policy_version=policy_version,
            source=source,
            overrides_signal=overrides_signal and bool(granted),
            created_at=now,
            **context,
        )
        for purpose, granted in choices.items()
        if purpose != ESSENTIAL
    ]
    with transaction.atomic():
        ConsentRecord.objects.bulk_create(records)
        for record in records:
            _set_state(subject, record)
    return records


def _set_state(subject: Subject, record: ConsentRecord) -> None:
    values = {
        "granted": record.granted,
        "source": record.source,
        "overrides_signal": record.overrides_signal,
        "updated_at": record.created_at,
    }
    if subject.user_id is not None:
        ConsentState.objects.update_or_create(
            user_id=subject.user_id, purpose=record.purpose, defaults=values
        )
    else:
        ConsentState.objects.update_or_create(
            user=None, visitor_id=subject.visitor_id, purpose=record.purpose, defaults=values
        )


def apply_browser_signals(
    subject: Subject | None, signals: Iterable[str], *, request=None
) -> list[str]:
    """Opt ``subject`` out of what the browser's signals refuse; return those purposes.

    Writes a ledger row only when the signal changes something, so a browser that sends
    GPC on every request costs one read per request after the first.
    """
    purposes = [SIGNAL_PURPOSES[s] for s in signals if s in SIGNAL_PURPOSES]
    if not purposes or subject is None:
        return purposes
    states = current_states(subject)
    for signal in signals:
        purpose = SIGNAL_PURPOSES.get(signal)
        if purpose is None:
            continue
        state = states.get(purpose)
        if state is not None and (not state.granted or state.overrides_signal):
            continue
        record_choices(subject, {purpose: False}, source=signal, request=request)
    return purposes


def carry_over_visitor_choices(
    visitor_id: uuid.UUID | None,
    user,
    *,
    request=None,
    policy_version: str = "",
    source: str = Source.CARRY_OVER,
) -> int:
    """Copy an anonymous visitor's current choices to the member who just signed up.

    ``policy_version`` is the policy the member accepted by signing up (G4).
    """
    if visitor_id is None:
        return 0
    states = current_states(Subject(visitor_id=visitor_id))
    if not states:
        return 0
    record_choices(
        Subject.of(user),
        {purpose: state.granted for purpose, state in states.items()},
        source=source,
        policy_version=policy_version,
        request=request,
    )
    return len(states)


def adopt_visitor_choices_at_sign_in(visitor_id: uuid.UUID | None, user, *, request=None) -> int:
    """At sign-in, give a member who never answered the cookie banner the answers just
    given on this browser before signing in (by the same person), so the banner does not
    ask again. A member who has answered keeps their own answers. Return how many
    purposes were recorded.
    """
    if visitor_id is None:
        return 0
    if any(purpose in BANNER_PURPOSES for purpose in current_states(Subject.of(user))):
        return 0
    return carry_over_visitor_choices(visitor_id, user, request=request, source=Source.SIGN_IN)


def has_banner_answers(subject: Subject) -> bool:
    """Whether ``subject`` has answered the cookie banner (for any of its purposes)."""
    return any(purpose in BANNER_PURPOSES for purpose in current_states(subject))


def hand_member_choices_to_visitor(user, visitor_id: uuid.UUID | None, *, request=None) -> int:
    """The reverse of :func:`adopt_visitor_choices_at_sign_in`: when a member is signed out
    for the deletion of their account, this browser's visitor id gets the member's current
    cookie-banner answers, so the banner does not ask the same person again. Only the
    banner purposes are handed over (not marketing), and only answers that differ from the
    visitor's, recorded as ``SIGN_OUT``. Return how many purposes were recorded.
    """
    if visitor_id is None:
        return 0
    visitor = current_states(Subject(visitor_id=visitor_id))
    choices = {
        purpose: state.granted
        for purpose, state in current_states(Subject.of(user)).items()
        if purpose in BANNER_PURPOSES
        and (purpose not in visitor or visitor[purpose].granted != state.granted)
    }
    if not choices:
        return 0
    record_choices(Subject(visitor_id=visitor_id), choices, source=Source.SIGN_OUT, request=request)
    return len(choices)


def _request_context(request) -> dict:
    if request is None:
        return {"ip_prefix": "", "user_agent_family": ""}
    return {
        "ip_prefix": truncate_ip(request.META.get("REMOTE_ADDR", "")),
        "user_agent_family": user_agent_family(request.META.get("HTTP_USER_AGENT", "")),
    }
