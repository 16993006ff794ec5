"""The cookie banner and the cookie settings page: what they show and what a click records.

Both surfaces read the person's answers through ``request.consent`` (see
:mod:`privacy.middleware.consent`) and write through
:func:`privacy.services.consent.record_choices`, so the ledger is the only place a choice
lives (K3, M9, S5, G4, G6).

A purpose that a browser opt-out signal refuses (``Sec-GPC``/``DNT``, M14) is *locked*:
"Accept all" does not turn it on, and a member turns it on only by ticking a separate
confirmation on the settings page, which the ledger records as ``overrides_signal``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from privacy.models import ConsentPurpose, ConsentRecord
from privacy.services import consent, policies

# Purposes only a member can answer: they concern the account, not this browser.
ACCOUNT_PURPOSES = (consent.RECOMMENDATIONS, consent.LOCATION)

# The banner's buttons: what each one grants.
ACCEPT_ALL = "accept"
REJECT_ALL = "reject"
CUSTOM = "custom"
# "Customise" without JavaScript: go to the settings page, nothing is recorded.
CUSTOMISE = "customise"

# Published in /.well-known/gpc.json; change it when the way GPC is honoured changes.
GPC_SUPPORT_UPDATED = date(2026, 11, 22)


@dataclass(frozen=True)
class PurposeRow:
    """One purpose as the banner and the settings page show it."""

    key: str
    name: str
    description: str
    legal_basis: str
    essential: bool
    granted: bool
    answered: bool
    signal_honoured: bool


def policy_version(purpose: str) -> str:
    """Return the label of the policy version a choice about ``purpose`` is made under.

    Cookie purposes are governed by the cookie policy, the account purposes by the
    privacy policy; the label is "" while no version is published.
    """
    document = policies.COOKIES if purpose in consent.BANNER_PURPOSES else policies.PRIVACY
    return policies.current_version_label(document)


def purpose_rows(request_consent, keys: Iterable[str]) -> list[PurposeRow]:
    """Return display rows for ``keys`` with the person's current, effective answers."""
    keys = list(keys)
    stored = {p.key: p for p in ConsentPurpose.objects.filter(key__in=keys)}
    basis_labels = dict(ConsentPurpose._meta.get_field("legal_basis").choices)
    rows = []
    for key in keys:
        name, description, basis, essential = consent.PURPOSE_TEXTS[key]
        purpose = stored.get(key)
        if purpose is not None:
            name, description = purpose.display_name, purpose.display_description
            basis, essential = purpose.legal_basis or basis, purpose.essential or essential
        rows.append(
            PurposeRow(
                key=key,
                name=name,
                description=description,
                legal_basis=basis_labels.get(basis, basis),
                essential=essential,
                granted=essential or request_consent.allows(key),
                answered=essential or key in request_consent.states,
                signal_honoured=not essential and request_consent.signal_honoured(key),
            )
        )
    return rows


def settings_purposes(request_consent) -> tuple[str, ...]:
    """Return the purposes the settings page offers to the person behind the request."""
    if request_consent.user is not None:
        return consent.BANNER_PURPOSES + ACCOUNT_PURPOSES
    return consent.BANNER_PURPOSES


def locked_purposes(request_consent, keys: Iterable[str]) -> tuple[str, ...]:
    """Return those of ``keys`` a browser signal currently keeps off."""
    return tuple(key for key in keys if request_consent.signal_honoured(key))


def record_banner_choice(
    request_consent, *, choice: str, ticked: Collection[str] = (), request=None
) -> list[ConsentRecord]:
    """Record a click in the cookie banner: one ledger row per banner purpose.

    "Accept all" grants every banner purpose, "Reject all" declines them all, a custom
    choice grants exactly ``ticked``. Purposes a browser signal refuses are left to the
    signal, which is recorded as such in the same transaction.
    """
    if choice not in (ACCEPT_ALL, REJECT_ALL, CUSTOM):
        raise ValueError(f"Unknown banner choice: {choice!r}")
    unknown = set(ticked) - set(consent.BANNER_PURPOSES)
    if unknown:
        raise ValueError(f"Not banner purposes: {sorted(unknown)}")
    wanted = {
        ACCEPT_ALL: set(consent.BANNER_PURPOSES),
        REJECT_ALL: set(),
        CUSTOM: set(ticked),
    }[choice]
    locked = set(locked_purposes(request_consent, consent.BANNER_PURPOSES))
    choices = {p: p in wanted for p in consent.BANNER_PURPOSES if p not in locked}
    subject = request_consent.ensure_subject()
    with transaction.atomic():
        records = _record_by_policy(
            subject, choices, source=ConsentRecord.Source.BANNER, request=request
        )
        consent.apply_browser_signals(subject, request_consent.signals, request=request)
    request_consent.refresh()
    return records


def record_settings_choices(
    request_consent,
    *,
    offered: Collection[str],
    granted: Collection[str],
    overrides: Collection[str] = (),
    request=None,
) -> list[ConsentRecord]:
    """Record the settings form: each ``offered`` purpose is granted or declined.

    ``overrides`` are locked purposes the member explicitly wants despite their browser's
    opt-out signal; they are recorded as granted with ``overrides_signal``. A purpose the
    member had already confirmed despite the signal keeps that confirmation while it stays
    granted, so the next request carrying the signal does not overrule it.
    """
    unknown = (set(granted) - set(offered)) | (set(overrides) & set(offered))
    if unknown:
        raise ValueError(f"Purposes not offered as such: {sorted(unknown)}")
    subject = request_consent.ensure_subject()
    states = request_consent.states
    confirmed = {
        p for p in granted if p in states and states[p].granted and states[p].overrides_signal
    } | set(overrides)
    choices = {p: p in granted for p in offered if p not in confirmed}
    source = ConsentRecord.Source.SETTINGS
    with transaction.atomic():
        records = _record_by_policy(subject, choices, source=source, request=request)
        records += _record_by_policy(
            subject,
            dict.fromkeys(sorted(confirmed), True),
            source=source,
            request=request,
            overrides_signal=True,
        )
    request_consent.refresh()
    return records


def _record_by_policy(subject, choices, **options) -> list[ConsentRecord]:
    """Record ``choices`` with each purpose's own policy version, in the caller's order."""
    labels: dict[bool, str] = {}  # one look-up per policy document
    by_version: dict[str, dict[str, bool]] = {}
    for purpose, granted in choices.items():
        cookie_purpose = purpose in consent.BANNER_PURPOSES
        if cookie_purpose not in labels:
            labels[cookie_purpose] = policy_version(purpose)
        by_version.setdefault(labels[cookie_purpose], {})[purpose] = granted
    records: list[ConsentRecord] = []
    for version, group in by_version.items():
        records += consent.record_choices(subject, group, policy_version=version, **options)
    return records
