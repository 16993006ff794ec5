"""Retention: delete or anonymize what outlived its rule, in short batches (K7, M12, G1).

Design
------
*Rules.* Every registry declaration with a ``Retention`` is a rule named after its model
(``privacy.trackingevent``): rows whose ``after`` date is older than the period are
deleted or anonymized with each field's declared method (:mod:`privacy.services.anonymize`).
Named rules cover what the registry cannot say as one row filter: the second IP cut after
30 days (``tracking-ip``, ``session-ip``), support messages two years after closing
(``support-messages``), the consent ledger and the audit log (kept unless a period is
configured) and dormant accounts (``dormant-notice``, ``dormant-erase``). docs/retention.md
lists them all with their defaults and reasons.

*Periods.* A deployment may shorten a rule in the admin (``RetentionOverride``, with the
reason, audited), never lengthen it past the default nor shorten it below the rule's legal
minimum. :func:`effective_period` also clamps, so a later, shorter default is never
loosened by an old override.

*Cut-off.* ``cutoff = now - period``. A row is due when its date is strictly before the
cut-off; a row exactly at the cut-off waits for the next run. Rows whose date is empty
(an open request's ``closed_at``) never expire by that rule.

*Protected rows.* Rows of members under an active ``RetentionHold`` and of members whose
export is queued or being built (``DataExport``) are never touched; rules reach the member
through the declaration's subject lookup.

*Batches and transactions.* A run fixes its cut-off and the table's last key (its upper
bound: what the run reads stops there) when it starts. No transaction covers more than
one batch, and each batch also moves the run's checkpoint, so row locks are held for one
batch only and concurrent readers and writers keep working. On PostgreSQL a delete
batch that Django would run as one ``DELETE`` is sent with its checkpoint update as one
query, one round trip (:func:`_delete_and_checkpoint`). Holds and pending exports are
read again before a batch once a second has passed since they were last read. The first batch has
``PRIVACY_RETENTION_BATCH_SIZE`` rows; later ones grow or shrink so that a batch takes
about ``PRIVACY_RETENTION_BATCH_TARGET`` (100 ms), at most doubling at a time. Every
condition is checked again in each batch, so a row that changed meanwhile is judged
afresh. Which rows make a batch:

- *By date* (rules declared ``keys_follow_dates``, the usage events: rows written as they
  happen, integer keys, an indexed date): ranges ``start <= date < end``, oldest first,
  from the first due date up to the cut-off: the range condition of one ``DELETE ...
  WHERE date < cut-off``, cut in pieces, read through the date's index. A range ends at
  the date of the row ``size`` keys further on (one read of the primary key index:
  where ids follow dates that row is about ``size`` rows further in date order too),
  unless that row is not ahead or the last range's rows per second of dates expect
  more than twice ``size`` rows before it; then, and for the last range before the
  cut-off, the bound is counted on the date's index instead. More rows than ``size`` on
  one date are split by key. The due rows are read once and no other row at all, and
  an old row written late (an event flushed long after it happened, behind newer ids)
  is in the range of its date like any other. The checkpoint is "done before this
  date" ("<date>", or "<date> <key>" inside one date; the cut-off at the end).
- *By key* (the other rules): integer keys in ranges of ``size`` consecutive ids from
  the first due key, with no read before a batch while the due rows are dense; after a
  range that was mostly not due, reads (no locks, sized like batches) look for the next
  due key up to the upper bound. Other keys (session keys) by reading the next ``size``
  due keys. The checkpoint is the last key done.

Delete and anonymize batches commit without waiting for the WAL flush (PostgreSQL
``synchronous_commit = off``, this connection only): a batch lost in a server crash is
lost with its checkpoint and redone. ``PRIVACY_RETENTION_BATCH_PAUSE`` can space the
batches out.

*Resuming and running twice.* The checkpoint commits with its batch. A run that raises is
marked failed with its checkpoint; a run whose worker was killed stays "running" until its
heartbeat is older than ``PRIVACY_RETENTION_STALE_AFTER`` and is then marked interrupted.
The next start of the rule first continues such a run (a new ``RetentionRun`` with the same
cut-off, upper bound and checkpoint), then starts a fresh one. Acting twice on a range is
harmless anyway: a deleted row is gone, an anonymized row no longer matches the rule's
"still needs anonymizing" filter. A partial unique index allows one running run per rule,
so two workers never walk the same rule at once.

Three doors lead here: the beat task ``privacy.schedule_retention`` (one task per rule),
``manage.py run_retention [--dry-run] [--rule NAME]`` and direct calls in tests. Logs carry
rule names, run ids and counts, never row data; an error is recorded by its kind only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.db.models.deletion import Collector
from django.db.models.functions import Greatest
from django.db.models.sql.subqueries import DeleteQuery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy.app_settings import app_settings
from privacy.models import (
    AuditEntry,
    ConsentRecord,
    DataExport,
    DormantNotice,
    ErasureJob,
    PrivacyRequest,
    RequestEvent,
    RetentionHold,
    RetentionOverride,
    RetentionRun,
    TrackingEvent,
)
from privacy.registry import LegalHold, Method, ModelPolicy, registry
from privacy.services import anonymize, audit, dormant, export

logger = logging.getLogger(__name__)

Action = RetentionRun.Action
PENDING_EXPORT = (DataExport.Status.QUEUED, DataExport.Status.BUILDING)
ERROR_MAX_LENGTH = 300

# Audit actions of this module (ids and numbers only in their details).
HOLD_PLACED = "retention.hold_placed"
HOLD_LIFTED = "retention.hold_lifted"

# --- Defaults of the named rules (docs/retention.md gives the reasons) --------------------

# The /24 network kept with each usage event is enough for fraud and abuse checks while
# they are fresh; after 30 days a /16 (IPv6: /32) still tells the region and the provider.
IP_TRUNCATION_AFTER = timedelta(days=30)
TRACKING_IPV4_PREFIX, TRACKING_IPV6_PREFIX = 16, 32
# Questions, complaints and reports to the privacy team: the answer may be contested for a
# while after the case is closed (two years covers the usual limitation of complaints).
SUPPORT_MESSAGES_AFTER_CLOSING = timedelta(days=2 * 365)
SUPPORT_MESSAGE_TYPES = (
    PrivacyRequest.Type.INQUIRY,
    PrivacyRequest.Type.COMPLAINT,
    PrivacyRequest.Type.LEAK_REPORT,
    PrivacyRequest.Type.GUARDIAN_REPORT,
    PrivacyRequest.Type.RECTIFICATION,
)


# Each dormant member costs an email or an erasure request (milliseconds, not microseconds):
# their first batch is small, and later ones adapt as usual.
DORMANT_FIRST_BATCH = 50


class UnknownRule(LookupError):
    """No retention rule has that name."""


class RetentionFailed(RuntimeError):
    """A run failed; it was recorded (kind of error, checkpoint) and will be continued."""

    def __init__(self, rule: str, run_id: int, kind: str):
        super().__init__(f"Retention rule {rule} failed in run #{run_id}: {kind}")
        self.rule, self.run_id, self.kind = rule, run_id, kind


# --- Rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One retention rule: which rows, after how long, and what happens to them."""

    name: str
    model: type[models.Model]
    action: str
    default_period: timedelta | None  # None: kept unless a deployment sets a period
    after: str  # a date field of the model, or "last_login"
    description: Promise | str
    legal_minimum: timedelta | None = None
    methods: Mapping[str, Method] = field(default_factory=dict)  # anonymize rules
    where: Callable[[datetime], Q] | None = None  # further condition, given "now"
    pending: Callable[[], Q | None] | None = None  # rows still to anonymize
    subject: str | None = None  # lookup from the model to the member (holds, exports)
    protect: Callable[[QuerySet, QuerySet], Q] | None = None  # rows to skip, custom
    related: tuple[tuple[type[models.Model], str], ...] = ()  # anonymized with the rows
    before_delete: Callable[[QuerySet], None] | None = None
    process: Callable[..., int] | None = None  # custom work on one batch
    whole: Callable[..., tuple[int, int]] | None = None  # not batched here: (rows, batches)
    group: str = "daily"
    first_batch: int | None = None  # rows in the first batch, if not the setting's
    # Rows are written as they happen, so integer keys grow with the ``after`` date (usage
    # events): the run walks them by date (see _date_ranges). Never for a date that is
    # updated (a last-seen time), whose order has nothing to do with the keys'.
    keys_follow_dates: bool = False
    overridable: bool = True

    @property
    def label(self) -> str:
        """The rule as staff read it: the data's name for a registry rule ("Bookings"), else
        its description; ``name`` stays the code for ``run_retention --rule``."""
        policy = registry.get(self.model) if "." in self.name else None
        return policy.display_name if policy is not None else str(self.description)

    source: str = "registry"
    disabled_reason: Promise | str = ""


def rules() -> list[Rule]:
    """Every retention rule: the registry's (by model), then the named ones."""
    found = [_registry_rule(p) for p in registry if p.retention is not None]
    found.sort(key=lambda r: r.name)
    return found + _named_rules()


def rule_names(*, group: str | None = None) -> list[str]:
    return [r.name for r in rules() if group is None or r.group == group]


def get_rule(name: str) -> Rule:
    for rule in rules():
        if rule.name == name:
            return rule
    raise UnknownRule(name)


def _protect_sessions(held: QuerySet, exporting: QuerySet) -> Q:
    keys = UserSession.objects.filter(Q(user__in=held) | Q(user__in=exporting))
    return Q(session_key__in=keys.values("session_key"))


# What the registry cannot say about some of its rules.
_REGISTRY_EXTRAS: dict[str, dict] = {
    # Only closed requests: an old request still open is being worked on.
    "privacy.privacyrequest": {
        "where": lambda now: Q(status__in=PrivacyRequest.CLOSED_STATUSES),
        "related": ((RequestEvent, "request"),),
    },
    # An export queued or being built is a member's pending export: never deleted.
    "privacy.dataexport": {
        "where": lambda now: ~Q(status__in=PENDING_EXPORT),
        "before_delete": export.remove_files,
    },
    # An erasure still scheduled, running or failed is work to do, not a record to expire.
    "privacy.erasurejob": {"where": lambda now: ~Q(status__in=ErasureJob.ACTIVE_STATUSES)},
    "sessions.session": {"protect": _protect_sessions},
    # Flushed from the buffer every few seconds: ids follow the event times.
    "privacy.trackingevent": {"keys_follow_dates": True},
    "privacy.verificationcode": {"subject": "request__user"},
}


def _registry_rule(policy: ModelPolicy) -> Rule:
    retention = policy.retention
    name = policy.model._meta.label_lower
    extras = dict(_REGISTRY_EXTRAS.get(name, {}))
    action = Action.ANONYMIZE if retention.action == "anonymize" else Action.DELETE
    disabled = ""
    if retention.after == "account_deletion":
        disabled = _("counts from the account's deletion, which the erasure engine handles")
    return Rule(
        name=name,
        model=policy.model,
        action=action,
        default_period=retention.period,
        after=retention.after,
        description=policy.description or policy.model._meta.verbose_name_plural,
        legal_minimum=retention.legal_minimum,
        methods=anonymize.methods_for(policy) if action == Action.ANONYMIZE else {},
        subject=extras.pop("subject", policy.subject),
        disabled_reason=disabled,
        **extras,
    )


def _truncate_tracking_networks(batch: QuerySet, *, now: datetime) -> int:
    groups: dict[tuple, list] = {}
    for pk, value in batch.values_list("pk", "ip_prefix"):
        shorter = anonymize.truncate_network(
            value, ipv4_prefix=TRACKING_IPV4_PREFIX, ipv6_prefix=TRACKING_IPV6_PREFIX
        )
        if shorter != value:
            groups.setdefault((("ip_prefix", shorter),), []).append(pk)
    anonymize.write_values(TrackingEvent, groups)
    return sum(len(pks) for pks in groups.values())


def _tracking_ip_pending() -> Q:
    done = Q(ip_prefix="")
    for prefix in (TRACKING_IPV4_PREFIX, TRACKING_IPV6_PREFIX):
        done |= Q(ip_prefix__endswith=f"/{prefix}")
    return ~done


def _superseded_consent(now: datetime) -> Q:
    # The newest record per member (or visitor) and purpose proves the current choice: it
    # is never due. Older ones are, once past the period.
    newer = ConsentRecord.objects.filter(purpose=OuterRef("purpose"), pk__gt=OuterRef("pk"))
    of_member = Exists(newer.filter(user=OuterRef("user")))
    of_visitor = Exists(newer.filter(user__isnull=True, visitor_id=OuterRef("visitor_id")))
    return Q(of_member, user__isnull=False) | Q(of_visitor, user__isnull=True)


def _prune_audit_log(*, cutoff: datetime, batch_size: int) -> tuple[int, int]:
    deleted = audit.prune_before(cutoff, batch_size=batch_size)
    return deleted, -(-deleted // batch_size)


def _audit_log_legal_minimum() -> timedelta | None:
    policy = registry.get(AuditEntry)
    if policy is not None and isinstance(policy.erasure, LegalHold):
        return policy.erasure.period
    return None


def _named_rules() -> list[Rule]:
    user_model = get_user_model()
    request_policy = registry.get(PrivacyRequest)
    dormant_after = app_settings.DORMANT_AFTER or None
    dormant_off = "" if dormant_after else _("switched off (PRIVACY_DORMANT_AFTER is 0)")
    found = [
        Rule(
            name="tracking-ip",
            model=TrackingEvent,
            action=Action.ANONYMIZE,
            default_period=IP_TRUNCATION_AFTER,
            after="created_at",
            description=_("Networks of usage events shortened from /24 to /16 (IPv6 /48 to /32)"),
            pending=_tracking_ip_pending,
            subject="user",
            process=_truncate_tracking_networks,
            keys_follow_dates=True,
            source="named",
        ),
        Rule(
            name="session-ip",
            model=UserSession,
            action=Action.ANONYMIZE,
            default_period=IP_TRUNCATION_AFTER,
            after="last_seen_at",
            description=_("Addresses of signed-in devices shortened to their network"),
            methods={"ip": Method.IP_PREFIX},
            subject="user",
            source="named",
        ),
        Rule(
            name="support-messages",
            model=PrivacyRequest,
            action=Action.ANONYMIZE,
            default_period=SUPPORT_MESSAGES_AFTER_CLOSING,
            after="closed_at",
            description=_("Questions, complaints and reports to the privacy team, after closing"),
            methods=anonymize.methods_for(request_policy) if request_policy else {},
            where=lambda now: Q(
                type__in=SUPPORT_MESSAGE_TYPES, status__in=PrivacyRequest.CLOSED_STATUSES
            ),
            subject="user",
            related=((RequestEvent, "request"),),
            source="named",
        ),
        Rule(
            name="consent-ledger",
            model=ConsentRecord,
            action=Action.DELETE,
            default_period=app_settings.CONSENT_LEDGER_RETENTION,
            after="created_at",
            description=_("Consent records replaced by a newer choice for the same purpose"),
            where=_superseded_consent,
            subject="user",
            source="named",
        ),
        Rule(
            name="audit-log",
            model=AuditEntry,
            action=Action.DELETE,
            default_period=app_settings.AUDIT_LOG_RETENTION,
            after="at",
            description=_("Audit log entries (the oldest first, keeping the chain verifiable)"),
            legal_minimum=_audit_log_legal_minimum(),
            whole=_prune_audit_log,
            source="named",
            disabled_reason=""
            if hasattr(audit, "prune_before")
            else _("waiting for privacy.services.audit.prune_before"),
        ),
        Rule(
            name="dormant-notice",
            model=user_model,
            action=Action.NOTIFY,
            default_period=dormant_after,
            after="last_login",
            description=_("Notice to members who have not signed in for a long time"),
            where=dormant.notice_candidates,
            subject="self",
            process=dormant.send_notices,
            group="dormant",
            first_batch=DORMANT_FIRST_BATCH,
            source="named",
            disabled_reason=dormant_off,
        ),
        Rule(
            name="dormant-erase",
            model=DormantNotice,
            action=Action.ERASE,
            default_period=timedelta(0),
            after="erase_after",
            description=_("Erasure of dormant members whose notice period passed"),
            where=dormant.erasure_candidates,
            subject="user",
            process=dormant.request_erasures,
            group="dormant",
            first_batch=DORMANT_FIRST_BATCH,
            overridable=False,
            source="named",
            disabled_reason=dormant_off,
        ),
    ]
    return found


# --- Periods and overrides ----------------------------------------------------------------

ERRORS = {
    "unknown_rule": _("There is no retention rule with that name."),
    "not_overridable": _("This rule's period is fixed: it follows from a setting."),
    "not_positive": _("The period must be longer than zero."),
    "longer_than_default": _(
        "Periods can only be tightened: %(period)s is longer than the default of %(default)s."
    ),
    "below_legal_minimum": _(
        "%(period)s is shorter than the legal minimum of %(minimum)s for this rule."
    ),
}


def describe_period(period: timedelta | None) -> str:
    """Say ``period`` in years, days or hours, for people ("90 days", "5 years", "kept")."""
    if period is None:
        return str(_("kept"))
    days = period.days
    if days and days % 365 == 0 and not period % timedelta(days=1):
        years = days // 365
        return ngettext("%(n)s year", "%(n)s years", years) % {"n": years}
    if period % timedelta(days=1):
        hours = round(period.total_seconds() / 3600, 1)
        return ngettext("%(n)s hour", "%(n)s hours", round(hours)) % {"n": hours}
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}


def overrides() -> dict[str, RetentionOverride]:
    return {o.rule: o for o in RetentionOverride.objects.all()}


def effective_period(rule: Rule, override: RetentionOverride | None = None) -> timedelta | None:
    """The period a run uses: the default, tightened by ``override``, never below the minimum."""
    period = rule.default_period
    if override is not None and rule.overridable:
        period = override.period if period is None else min(period, override.period)
    if period is not None and rule.legal_minimum is not None:
        period = max(period, rule.legal_minimum)
    return period


def validate_period(rule: Rule, period: timedelta) -> None:
    """Raise ValidationError unless ``period`` tightens ``rule`` within its legal minimum."""
    if not rule.overridable:
        raise ValidationError(ERRORS["not_overridable"], code="not_overridable")
    if period <= timedelta(0):
        raise ValidationError(ERRORS["not_positive"], code="not_positive")
    if rule.default_period is not None and period > rule.default_period:
        raise ValidationError(
            ERRORS["longer_than_default"],
            code="longer_than_default",
            params={
                "period": describe_period(period),
                "default": describe_period(rule.default_period),
            },
        )
    if rule.legal_minimum is not None and period < rule.legal_minimum:
        raise ValidationError(
            ERRORS["below_legal_minimum"],
            code="below_legal_minimum",
            params={
                "period": describe_period(period),
                "minimum": describe_period(rule.legal_minimum),
            },
        )


def _days(period: timedelta | None) -> float | None:
    return None if period is None else round(period.total_seconds() / 86400, 3)


def set_override(name: str, *, period: timedelta, reason: str, actor) -> RetentionOverride:
    """Tighten rule ``name`` to ``period`` for this deployment, with ``reason``; audited."""
    try:
        rule = get_rule(name)
    except UnknownRule:
        raise ValidationError(ERRORS["unknown_rule"], code="unknown_rule") from None
    validate_period(rule, period)
    with transaction.atomic():
        previous = RetentionOverride.objects.select_for_update().filter(rule=name).first()
        override, _created = RetentionOverride.objects.update_or_create(
            rule=name,
            defaults={
                "period": period,
                "reason": reason,
                "changed_by": actor,
                "changed_at": timezone.now(),
            },
        )
        audit.record(
            audit.Action.RETENTION_CHANGED,
            actor=actor,
            target=override,
            rule=name,
            period_days=_days(period),
            previous_days=_days(previous.period if previous else rule.default_period),
            default_days=_days(rule.default_period),
        )
    return override


def clear_override(name: str, *, actor) -> bool:
    """Return rule ``name`` to its default period; audited. False if it had no override."""
    with transaction.atomic():
        override = RetentionOverride.objects.select_for_update().filter(rule=name).first()
        if override is None:
            return False
        audit.record(
            audit.Action.RETENTION_CHANGED,
            actor=actor,
            target=override,
            rule=name,
            period_days=None,
            previous_days=_days(override.period),
            default_days=_days(get_rule(name).default_period) if name in rule_names() else None,
        )
        override.delete()
    return True


# --- Legal holds --------------------------------------------------------------------------


def place_hold(user, *, actor, reason: str, reference: str = "", until=None) -> RetentionHold:
    """Keep ``user``'s data out of every retention rule until the hold is lifted; audited."""
    with transaction.atomic():
        hold = RetentionHold.objects.create(
            user=user, reason=reason, reference=reference, until=until, placed_by=actor
        )
        audit.record(HOLD_PLACED, actor=actor, subject=user, target=hold)
    return hold


def lift_hold(hold: RetentionHold, *, actor) -> bool:
    """Lift ``hold`` (retention applies to the member again from the next run); audited."""
    with transaction.atomic():
        lifted = RetentionHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor
        )
        if lifted:
            audit.record(HOLD_LIFTED, actor=actor, subject=hold.user_id, target=hold)
    hold.refresh_from_db()
    return bool(lifted)


def is_on_hold(user, *, now: datetime | None = None) -> bool:
    """Return whether an active legal hold protects ``user``'s data."""
    return RetentionHold.objects.active(now).filter(user=user).exists()


def held_members(now: datetime | None = None) -> QuerySet:
    """Ids of members under an active hold, as a subquery."""
    return RetentionHold.objects.active(now).values("user_id")


def exporting_members() -> QuerySet:
    """Ids of members whose export is queued or being built, as a subquery."""
    return DataExport.objects.filter(status__in=PENDING_EXPORT).values("user_id")


# --- Which rows ---------------------------------------------------------------------------


def _due(rule: Rule, cutoff: datetime) -> Q:
    if rule.after == "last_login":
        prefix = "" if rule.subject in (None, "self") else f"{rule.subject}__"
        return Q(**{f"{prefix}last_login__lt": cutoff}) | Q(
            **{f"{prefix}last_login__isnull": True, f"{prefix}date_joined__lt": cutoff}
        )
    return Q(**{f"{rule.after}__lt": cutoff})


def _protected(rule: Rule, now: datetime) -> Q | None:
    held, exporting = held_members(now), exporting_members()
    if rule.protect is not None:
        return rule.protect(held, exporting)
    if rule.subject is None:
        return None
    path = "pk" if rule.subject == "self" else rule.subject
    return Q(**{f"{path}__in": held}) | Q(**{f"{path}__in": exporting})


def due_rows(rule: Rule, *, cutoff: datetime, now: datetime, protect: bool = True) -> QuerySet:
    """Rows of ``rule`` due at ``cutoff``, not protected, and (anonymize) not yet done.

    ``protect=False`` leaves the protected rows in: for a caller that excludes them itself
    (a batch, with :func:`protected_now`).
    """
    rows = rule.model._base_manager.filter(_due(rule, cutoff))
    if rule.where is not None:
        rows = rows.filter(rule.where(now))
    if rule.action == Action.ANONYMIZE:
        still = rule.pending() if rule.pending else anonymize.pending(rule.model, rule.methods)
        if still is not None:
            rows = rows.filter(still)
    protected = _protected(rule, now) if protect else None
    if protected is not None:
        rows = rows.exclude(protected)
    return rows


def protected_now(rule: Rule, now: datetime) -> Q | None:
    """The rows of ``rule`` protected right now, with the members read now; None: none are.

    What :func:`due_rows` excludes, but with the held and exporting members read once
    (one small query) instead of a subquery evaluated row by row: a run reads them again
    at least every second, and when nobody is protected (the usual case) its batches test
    nothing per row.
    """
    if rule.protect is not None:
        return rule.protect(held_members(now), exporting_members())
    if rule.subject is None:
        return None
    members = set(
        RetentionHold.objects.active(now)
        .order_by()
        .values_list("user_id", flat=True)
        .union(
            DataExport.objects.filter(status__in=PENDING_EXPORT).order_by().values_list("user_id")
        )
    )
    if not members:
        return None
    path = "pk" if rule.subject == "self" else rule.subject
    return Q(**{f"{path}__in": sorted(members)})


@dataclass(frozen=True)
class Preview:
    """What a rule would do now (``manage.py run_retention --dry-run``)."""

    rule: Rule
    period: timedelta | None
    cutoff: datetime | None
    count: int | None
    note: str = ""


def preview(names: Iterable[str] | None = None, *, now: datetime | None = None) -> list[Preview]:
    """Per rule: the cut-off and how many rows a run would affect now. Reads only."""
    now = now or timezone.now()
    chosen = [get_rule(n) for n in names] if names else rules()
    found = overrides()
    result = []
    for rule in chosen:
        override = found.get(rule.name)
        period = effective_period(rule, override)
        if rule.disabled_reason or period is None:
            result.append(Preview(rule, period, None, None, str(rule.disabled_reason or "")))
            continue
        cutoff = now - period
        note = ""
        if override is not None and period != override.period:
            note = str(_("override ignored: outside the default or the legal minimum"))
        if rule.whole is not None:
            count = rule.model._base_manager.filter(_due(rule, cutoff)).count()
        else:
            count = due_rows(rule, cutoff=cutoff, now=now).count()
        result.append(Preview(rule, period, cutoff, count, note))
    return result


# --- Runs ---------------------------------------------------------------------------------


def _describe_error(exc: BaseException) -> str:
    # The kind of error, never its message: a database error's text can quote row values.
    kind = type(exc).__name__
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None) or getattr(
        exc, "sqlstate", None
    )
    return (f"{kind} (SQLSTATE {code})" if code else kind)[:ERROR_MAX_LENGTH]


def _mark_stale_runs(name: str) -> None:
    stale_before = timezone.now() - app_settings.RETENTION_STALE_AFTER
    stopped = RetentionRun.objects.filter(
        rule=name, status=RetentionRun.Status.RUNNING, heartbeat_at__lt=stale_before
    ).update(
        status=RetentionRun.Status.INTERRUPTED,
        error="stopped without finishing: no progress (worker killed?)",
    )
    if stopped:
        logger.warning("retention.interrupted rule=%s runs=%s", name, stopped)


def _start(rule: Rule, *, trigger: str, cutoff: datetime, resumed_from=None) -> RetentionRun | None:
    try:
        with transaction.atomic():
            return RetentionRun.objects.create(
                rule=rule.name,
                action=rule.action,
                trigger=trigger[:16],
                cutoff=cutoff,
                resumed_from=resumed_from,
                checkpoint=resumed_from.checkpoint if resumed_from else "",
                upper_bound=resumed_from.upper_bound if resumed_from else "",
            )
    except IntegrityError:
        # Another worker is running this rule right now (one running run per rule).
        return None


def run_rule(
    name: str,
    *,
    trigger: str = "manual",
    now: datetime | None = None,
    batch_size: int | None = None,
) -> list[RetentionRun]:
    """Apply rule ``name`` now; return the runs made (a continued one, then a fresh one).

    Destructive: due rows are deleted or anonymized for good (see the module docstring
    for what is skipped). Returns [] when the rule is switched off or another worker is
    running it. Raises :class:`UnknownRule`, or :class:`RetentionFailed` after recording
    a failed run (its checkpoint kept for the next start). Must not be called inside a
    transaction: each batch commits on its own.
    """
    rule = get_rule(name)
    now = now or timezone.now()
    period = effective_period(rule, RetentionOverride.objects.filter(rule=name).first())
    if rule.disabled_reason or period is None:
        return []
    # An explicit batch size is kept as given; otherwise batches start at the setting's
    # size and adapt to take about PRIVACY_RETENTION_BATCH_TARGET each.
    adaptive = batch_size is None
    batch_size = batch_size or rule.first_batch or app_settings.RETENTION_BATCH_SIZE
    _mark_stale_runs(name)
    latest = RetentionRun.objects.filter(rule=name).order_by("-started_at", "-pk").first()
    if latest is not None and latest.status == RetentionRun.Status.RUNNING:
        logger.info("retention.busy rule=%s run=%s", name, latest.pk)
        return []
    runs = []
    if latest is not None and latest.status in (
        RetentionRun.Status.FAILED,
        RetentionRun.Status.INTERRUPTED,
    ):
        run = _start(rule, trigger=trigger, cutoff=latest.cutoff, resumed_from=latest)
        if run is None:
            return runs
        runs.append(_walk(rule, run, now=now, batch_size=batch_size, adaptive=adaptive))
    run = _start(rule, trigger=trigger, cutoff=now - period)
    if run is not None:
        runs.append(_walk(rule, run, now=now, batch_size=batch_size, adaptive=adaptive))
    return runs


def _walk(
    rule: Rule,
    run: RetentionRun,
    *,
    now: datetime,
    batch_size: int,
    adaptive: bool = False,
) -> RetentionRun:
    logger.info(
        "retention.start rule=%s run=%s resumed_from=%s", rule.name, run.pk, run.resumed_from_id
    )
    state = {"longest_ms": 0, "size": batch_size, "adaptive": adaptive}
    try:
        if rule.whole is not None:
            rows, batches = rule.whole(cutoff=run.cutoff, batch_size=batch_size)
            run.rows, run.batches = rows, batches
            RetentionRun.objects.filter(pk=run.pk).update(rows=rows, batches=batches)
        else:
            _walk_batches(rule, run, now=now, state=state)
    except Exception as exc:
        kind = _describe_error(exc)
        RetentionRun.objects.filter(pk=run.pk).update(
            status=RetentionRun.Status.FAILED,
            finished_at=timezone.now(),
            error=kind,
            longest_batch_ms=Greatest(F("longest_batch_ms"), state["longest_ms"]),
        )
        logger.error("retention.failed rule=%s run=%s error=%s", rule.name, run.pk, kind)
        raise RetentionFailed(rule.name, run.pk, kind) from None
    with transaction.atomic():
        RetentionRun.objects.filter(pk=run.pk).update(
            status=RetentionRun.Status.DONE,
            finished_at=timezone.now(),
            longest_batch_ms=Greatest(F("longest_batch_ms"), state["longest_ms"]),
        )
        run.refresh_from_db()
        audit.record(
            audit.Action.RETENTION_RUN,
            target=run,
            rule=rule.name,
            rule_action=rule.action,
            rows=run.rows,
            batches=run.batches,
            resumed=run.resumed_from_id is not None,
        )
    logger.info(
        "retention.done rule=%s run=%s rows=%s batches=%s longest_ms=%s",
        rule.name,
        run.pk,
        run.rows,
        run.batches,
        run.longest_batch_ms,
    )
    return run


INTEGER_KEYS = (models.AutoField, models.BigAutoField, models.IntegerField)
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 100, 200_000
# Keys read at once while looking for the next due row (a read, no row locks): the first
# window, then sized like batches to take about the batch target, within these bounds.
MIN_WINDOW, MAX_WINDOW = 10_000, 4_000_000


def _walk_batches(
    rule: Rule,
    run: RetentionRun,
    *,
    now: datetime,
    state: dict,
) -> None:
    pk = rule.model._meta.pk
    rows = due_rows(rule, cutoff=run.cutoff, now=now)  # for the reads
    unprotected = due_rows(rule, cutoff=run.cutoff, now=now, protect=False)  # for batches
    integer_keys = isinstance(pk, INTEGER_KEYS)
    by_date = _walks_by_date(rule)
    if not run.upper_bound:
        if run.resumed_from_id is not None:
            return  # the run it continues never got as far as choosing its rows
        if integer_keys:
            # The table's last key, from the primary key index: the run reads no further
            # (rows added after the start are the next run's). Then where to start: the
            # first due date (from the date's index) or key (from the primary key index).
            last = rule.model._base_manager.aggregate(last=Max("pk"))["last"]
            if by_date:
                first = _first_due_date(rule, rows.filter(pk__lte=last or 0))
                run.checkpoint = _checkpoint((first, None)) if first is not None else ""
            else:
                first = rows.aggregate(first=Min("pk"))["first"]
                run.checkpoint = str(first - 1) if first is not None else ""
            if first is None:
                return
        else:
            last = rows.aggregate(last=Max("pk"))["last"]
            if last is None:
                return
        run.upper_bound = str(last)
        RetentionRun.objects.filter(pk=run.pk).update(
            upper_bound=run.upper_bound, checkpoint=run.checkpoint
        )
    walk = _date_ranges if by_date else _integer_ranges if integer_keys else _key_ranges
    pause = app_settings.RETENTION_BATCH_PAUSE.total_seconds()
    one_statement = _deletes_in_one_statement(rule)
    protection = _Protection(rule, now)
    with _relaxed_commits(rule):
        for batch, checkpoint in walk(rule, rows, run, state):
            protected = protection.current()
            if protected is not None:
                batch = batch & ~protected
            batch_rows = unprotected.filter(batch)
            started = time.perf_counter()
            if one_statement and not connection.in_atomic_block:
                count = _delete_and_checkpoint(rule, batch_rows, run, checkpoint, state)
            elif one_statement:  # inside a caller's transaction (tests): a savepoint
                with transaction.atomic():
                    count = _delete_and_checkpoint(rule, batch_rows, run, checkpoint, state)
            else:
                with transaction.atomic():
                    count = _act(rule, batch_rows, now=now)
                    RetentionRun.objects.filter(pk=run.pk).update(
                        checkpoint=checkpoint,
                        rows=F("rows") + count,
                        batches=F("batches") + 1,
                        heartbeat_at=timezone.now(),
                        longest_batch_ms=Greatest(F("longest_batch_ms"), state["longest_ms"]),
                    )
            elapsed_ms = _ms_since(started)
            state["longest_ms"] = max(state["longest_ms"], elapsed_ms)
            state["last_count"] = count
            if state["adaptive"]:
                state["size"] = _next_size(state["size"], elapsed_ms)
            if pause:
                time.sleep(pause)
    run.refresh_from_db()


# Holds and pending exports are read again at least this often during a run.
PROTECTION_MAX_AGE = 1.0  # seconds


class _Protection:
    """The rows a run must skip (:func:`protected_now`), read again every second at most.

    Reading them costs a round trip; a batch takes ~100 ms. A hold placed while a rule
    runs protects the member's rows from the next batch that starts a second later.
    """

    def __init__(self, rule: Rule, now: datetime):
        self.rule, self.now = rule, now
        self.read_at: float | None = None
        self.value: Q | None = None

    def current(self) -> Q | None:
        if self.read_at is None or time.monotonic() - self.read_at >= PROTECTION_MAX_AGE:
            self.value = protected_now(self.rule, self.now)
            self.read_at = time.monotonic()
        return self.value


def _deletes_in_one_statement(rule: Rule) -> bool:
    """Whether a batch of ``rule`` can be one round trip: delete, count, move the checkpoint.

    On PostgreSQL, for a delete rule whose rows Django deletes with one ``DELETE`` anyway
    (no signal receivers, no cascades, nothing to do before): see
    :func:`_delete_and_checkpoint`.
    """
    if connection.vendor != "postgresql" or rule.action != Action.DELETE:
        return False
    if connection.settings_dict["OPTIONS"].get("server_side_binding"):
        return False  # several statements in one query need client-side binding
    if rule.before_delete is not None or rule.process is not None:
        return False
    return Collector(using=connection.alias).can_fast_delete(rule.model._base_manager.all())


def _delete_and_checkpoint(
    rule: Rule, batch: QuerySet, run: RetentionRun, checkpoint: str, state: dict
) -> int:
    """Delete ``batch`` and record it in the run (checkpoint, rows, batches); return rows.

    What ``atomic(): batch.delete(); RetentionRun.update(...)`` does, sent at once: the
    statements of one simple query run as one transaction, so the batch and its
    checkpoint commit together or not at all. A batch otherwise costs six round trips
    (BEGIN, DELETE, UPDATE, COMMIT), each of which waits for a CPU on a busy machine.
    The UPDATE learns the DELETE's row count from the transaction's own statistics
    (``pg_stat_get_xact_tuples_deleted``), taken before and after.
    """
    query = batch.query.clone()
    query.__class__ = DeleteQuery
    query.clear_ordering(force=True)
    delete_sql, delete_params = query.get_compiler(batch.db).as_sql()
    qn = connection.ops.quote_name
    column = {
        name: qn(RetentionRun._meta.get_field(name).column)
        for name in ("id", "checkpoint", "rows", "batches", "heartbeat_at", "longest_batch_ms")
    }
    deleted = (
        "(pg_stat_get_xact_tuples_deleted(%s::regclass)"
        " - current_setting('marquee.retention_before')::bigint)"
    )
    sql = (
        "SELECT set_config('marquee.retention_before', "  # noqa: S608 - the ORM's SQL
        "pg_stat_get_xact_tuples_deleted(%s::regclass)::text, true); "
        f"{delete_sql}; "
        f"UPDATE {qn(RetentionRun._meta.db_table)} SET {column['checkpoint']} = %s, "
        f"{column['rows']} = {column['rows']} + {deleted}, "
        f"{column['batches']} = {column['batches']} + 1, {column['heartbeat_at']} = %s, "
        f"{column['longest_batch_ms']} = GREATEST({column['longest_batch_ms']}, %s) "
        f"WHERE {column['id']} = %s RETURNING {deleted}"
    )
    table = qn(rule.model._meta.db_table)
    params = [
        table,
        *delete_params,
        checkpoint,
        table,
        timezone.now(),
        state["longest_ms"],
        run.pk,
        table,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.nextset()  # the DELETE's result
        cursor.nextset()  # the UPDATE's
        found = cursor.fetchone()
    if found is None:
        raise RetentionRun.DoesNotExist(f"retention run #{run.pk} is gone")
    return found[0]


# --- Walking by date ------------------------------------------------------------------------


def _walks_by_date(rule: Rule) -> bool:
    """Whether ``rule`` walks its rows in date order (see :func:`_date_ranges`)."""
    return (
        rule.keys_follow_dates
        and rule.action in (Action.DELETE, Action.ANONYMIZE)
        and isinstance(rule.model._meta.pk, INTEGER_KEYS)
        and _indexed_datetime(rule.model, rule.after)
    )


def _indexed_datetime(model: type[models.Model], name: str) -> bool:
    """Whether ``name`` is a date-and-time column of ``model`` that leads an index."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # "last_login" of a subject
        return False
    if not isinstance(field, models.DateTimeField):
        return False
    if field.db_index or field.unique:
        return True
    return any(list(index.fields[:1]) == [name] for index in model._meta.indexes)


def _checkpoint(position: tuple) -> str:
    """A date walk's position as the run records it: "<date>" or "<date> <key>"."""
    date, key = position
    return date.isoformat() if key is None else f"{date.isoformat()} {key}"


def _position(checkpoint: str, field) -> tuple | None:
    """The position a date walk recorded; None if ``checkpoint`` is not one (start over)."""
    date, _space, key = checkpoint.partition(" ")
    try:
        return field.to_python(date), (int(key) if key else None)
    except (ValidationError, ValueError):
        return None


def _first_due_date(rule: Rule, rows: QuerySet):
    return rows.order_by(rule.after).values_list(rule.after, flat=True).first()


def _from_position(after: str, position: tuple) -> Q:
    date, key = position
    if key is None:
        return Q(**{f"{after}__gte": date})
    # The plain range lets the database use the date's index; the rest splits one date.
    return Q(**{f"{after}__gte": date}) & (
        Q(**{f"{after}__gt": date}) | Q(**{after: date, "pk__gte": key})
    )


def _before_position(after: str, position: tuple) -> Q:
    date, key = position
    if key is None:
        return Q(**{f"{after}__lt": date})
    return Q(**{f"{after}__lte": date}) & (
        Q(**{f"{after}__lt": date}) | Q(**{after: date, "pk__lt": key})
    )


def _date_ranges(rule: Rule, rows: QuerySet, run: RetentionRun, state: dict):
    """Yield (batch, checkpoint): the due rows in ranges of dates, oldest first.

    This is the order in which one ``DELETE ... WHERE date < cut-off`` reads them through
    the date's index, so the due rows are read once and the others never: the walk ends
    at the cut-off, and an old row that was written late (an event flushed long after it
    happened, behind newer keys) is in the range of its date like any other.

    A position ``(date, None)`` means "everything dated before ``date`` is done", and a
    range is ``start <= date < end``: to the database the same range condition as one
    big DELETE's, row for row. A range ends at the date of the row ``size`` keys further
    on, found with one read of the primary key index: where keys follow dates (events
    get their ids as they are flushed) that row is about ``size`` rows further in date
    order too. Where it is not ahead (keys out of date order here), and to close the
    last range before the cut-off, the bound is counted instead: the row ``size`` rows
    further in (date, key) order, a read of the date's index. More rows than ``size``
    on one date are split by key: position ``(date, key)``.
    """
    field = rule.model._meta.get_field(rule.after)
    table = rule.model._base_manager.filter(pk__lte=int(run.upper_bound))
    position = _position(run.checkpoint, field)
    if position is None:  # a run recorded by the key walk: start from the first due row
        first = _first_due_date(rule, rows.filter(pk__lte=int(run.upper_bound)))
        if first is None:
            return
        position = (first, None)
    anchor = None  # the key of the row the position came from (where to guess from)
    rate = None  # due rows per second of dates in the last range
    while position[0] < run.cutoff:
        size = state["size"]
        row = _guessed_bound(rule, table, anchor, position, size, run.cutoff, rate)
        if row is None:
            ahead = (
                table.filter(_from_position(rule.after, position))
                .filter(**{f"{rule.after}__lt": run.cutoff})
                .order_by(rule.after, "pk")
                .values_list(rule.after, "pk")
            )
            row = next(iter(ahead[size : size + 1]), None)
        if row is None:
            bound = (run.cutoff, None)  # the last range: up to the cut-off
        elif row[0] > position[0]:
            bound = (row[0], None)  # up to the row's date
        else:
            bound = row  # one date holds more than the batch: split it by key
        yield (
            _from_position(rule.after, position) & _before_position(rule.after, bound),
            (_checkpoint(bound)),
        )
        span = (bound[0] - position[0]).total_seconds()
        count = state.get("last_count", 0)
        rate = count / span if span > 0 and count > 0 else None
        position, anchor = bound, (row[1] if row is not None else None)


def _guessed_bound(rule: Rule, table: QuerySet, anchor, position, size: int, cutoff, rate):
    """The (date, key) of the row ``size`` keys past ``anchor``; None: count instead.

    Taken if it is due and ahead of ``position``, and if the last range's rows per second
    of dates expect no more than twice ``size`` rows before it. That last test catches a
    position off the keys' line (an old row written late, among much newer ids), from
    which the row ``size`` keys on can be days of rows ahead. Within one date the keys
    bound the range by themselves.
    """
    if anchor is None or rate is None:
        return None
    row = table.filter(pk__gte=anchor + size).order_by("pk").values_list(rule.after, "pk").first()
    if row is None or row[0] >= cutoff or row[0] < position[0]:
        return None
    if row[0] == position[0]:
        return row if position[1] is None or row[1] > position[1] else None
    if rate * (row[0] - position[0]).total_seconds() > 2 * size:
        return None
    return row


# --- Walking by key -------------------------------------------------------------------------


def _integer_ranges(rule: Rule, rows: QuerySet, run: RetentionRun, state: dict):
    """Yield (batch, checkpoint): key ranges of at most ``state["size"]`` keys.

    Where the due rows are dense the ranges follow each other with no read before a
    batch. After a range that was mostly not due, bounded reads look for the next due key
    first, up to the upper bound: the rest of the table is read, never locked, and a late
    row among recent ones is still found.
    """
    upper = int(run.upper_bound)
    lo = int(run.checkpoint) + 1
    look_first = False
    while lo <= upper:
        if look_first:
            lo = _next_due_key(rows, run, lo, upper, state)
            if lo is None:
                return
        last = min(lo + state["size"] - 1, upper)
        yield Q(pk__gte=lo, pk__lte=last), str(last)
        width = last + 1 - lo
        lo = last + 1
        # Less than half the range was due: the due rows thin out here, look before acting.
        look_first = state.get("last_count", 0) * 2 < width


def _next_due_key(rows: QuerySet, run: RetentionRun, lo: int, upper: int, state: dict):
    """The first due key in [lo, upper], read window by window (None if there is none).

    A read takes no row locks; its window grows (and shrinks) so that one read takes
    about the batch target too.
    """
    # The first window: a few batches' worth of keys (a read costs less per row).
    state.setdefault("window", min(max(state["size"] * 4, MIN_WINDOW), MAX_WINDOW))
    while lo <= upper:
        end = min(lo + state["window"] - 1, upper)
        started = time.perf_counter()
        found = rows.filter(pk__gte=lo, pk__lte=end).aggregate(next=Min("pk"))["next"]
        if found is not None:
            return found
        if state["adaptive"]:
            took = _ms_since(started)
            state["window"] = _next_size(state["window"], took, bounds=(MIN_WINDOW, MAX_WINDOW))
        # Nothing due in the window: move on, and say so (a killed run resumes after it).
        RetentionRun.objects.filter(pk=run.pk).update(
            checkpoint=str(end), heartbeat_at=timezone.now()
        )
        lo = end + 1
    return None


def _key_ranges(rule: Rule, rows: QuerySet, run: RetentionRun, state: dict):
    """Yield (batch, checkpoint): ranges holding ``state["size"]`` due keys each (any key)."""
    pk = rule.model._meta.pk
    upper = pk.to_python(run.upper_bound)
    checkpoint = pk.to_python(run.checkpoint) if run.checkpoint else None
    while True:
        ahead = rows.filter(pk__lte=upper)
        if checkpoint is not None:
            ahead = ahead.filter(pk__gt=checkpoint)
        size = state["size"]
        keys = list(ahead.order_by("pk").values_list("pk", flat=True)[:size])
        if not keys:
            return
        yield Q(pk__gte=keys[0], pk__lte=keys[-1]), str(keys[-1])
        checkpoint = keys[-1]
        if len(keys) < size:
            return


@contextmanager
def _relaxed_commits(rule: Rule):
    """Let the batches of a delete or anonymize rule commit without waiting for the WAL.

    They are idempotent and resumable: if the database server crashed right after a
    commit, that batch is lost together with its checkpoint, and the next run does it
    again. On a busy disk the flush at commit is most of a small batch's time. PostgreSQL
    only; the setting is this connection's and is restored afterwards.
    """
    relax = connection.vendor == "postgresql" and rule.action in (
        Action.DELETE,
        Action.ANONYMIZE,
    )
    if not relax:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        (before,) = cursor.fetchone()
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [before])


def _next_size(
    size: int, elapsed_ms: int, *, bounds: tuple[int, int] = (MIN_BATCH_SIZE, MAX_BATCH_SIZE)
) -> int:
    """The next batch's size, so that a batch takes about the target time.

    Grows at most 2x and shrinks at most 4x per step: one slow batch (a lock wait, a
    busy disk) cannot make the next one huge, and a batch cannot get much longer than
    twice the target unless the cost per row jumps.
    """
    target_ms = app_settings.RETENTION_BATCH_TARGET.total_seconds() * 1000
    if not target_ms:
        return size
    factor = min(max(target_ms / max(elapsed_ms, 1), 0.25), 2.0)
    return min(max(int(size * factor), bounds[0]), bounds[1])


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _act(rule: Rule, batch: QuerySet, *, now: datetime) -> int:
    """Do the rule's action on one batch, inside the caller's transaction; return rows."""
    if rule.process is not None:
        return rule.process(batch, now=now)
    if rule.action == Action.DELETE:
        if rule.before_delete is not None:
            rule.before_delete(batch)
        _total, per_model = batch.delete()
        return per_model.get(rule.model._meta.label, 0)
    if rule.action == Action.ANONYMIZE:
        if not rule.related:
            return anonymize.anonymize(batch, dict(rule.methods))
        keys = list(batch.values_list("pk", flat=True))
        changed = anonymize.anonymize(
            rule.model._base_manager.filter(pk__in=keys), dict(rule.methods)
        )
        for related_model, link in rule.related:
            policy = registry.get(related_model)
            if policy is not None:
                anonymize.anonymize(
                    related_model._base_manager.filter(**{f"{link}__in": keys}),
                    anonymize.methods_for(policy),
                )
        return changed
    raise ValueError(f"Rule {rule.name} has no way to {rule.action}.")


def resume_interrupted() -> list[str]:
    """Names of rules whose last run lost its worker (marked interrupted now) or failed."""
    names = []
    for name in rule_names():
        _mark_stale_runs(name)
        latest = RetentionRun.objects.filter(rule=name).order_by("-started_at", "-pk").first()
        if latest is not None and latest.status == RetentionRun.Status.INTERRUPTED:
            names.append(name)
    return names


def last_runs() -> dict[str, RetentionRun]:
    """The latest run of each rule that has one."""
    latest = {}
    for run in RetentionRun.objects.order_by("rule", "-started_at", "-pk").distinct():
        latest.setdefault(run.rule, run)
    return latest
