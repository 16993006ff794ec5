"""Account deletion and the erasure engine, driven by the personal-data registry only.

Life of a deletion::

    schedule_deletion ──▶ ErasureJob "scheduled" (account deactivated, sessions ended,
         │                upcoming bookings cancelled, email with a cancel link)
         │── cancel_deletion (sign-in or link, during the grace period) ──▶ "cancelled"
         ▼ due_at (end of the grace period; at once for staff and dormant accounts)
    sweeper / task ──▶ run_erasure: claimed atomically ──▶ "running" ──▶ "done"

``run_erasure`` works in four phases, each recorded on the job before the next starts, so
a worker killed at any moment leaves a job that the sweeper re-enqueues and that resumes
where it stopped and ends exactly as an uninterrupted run would:

1. **prepare** — take the keyed hashes of the member's addresses (for the journal), cancel
   bookings still to come, put the addresses on the marketing suppression list, withdraw
   the member's other open privacy requests, note the storage names of files to remove.
2. **outside** — what lives outside the declared tables: sessions (ended through allauth's
   per-member ``UserSession`` index, whatever the session engine), buffered usage events,
   the avatar file, export files, cache entries and Celery results that name the member.
3. **walk** — every model of ``registry.personal()`` except the user model, in an order
   where rows found through another model (``locate`` callables, ``a__b__user`` lookups)
   come before the model they go through. One census query tells which models hold
   anything of the member (counting each up to ``CENSUS_PROBE`` rows). Models the account
   row's deletion cascades to anyway (``with_account_labels``) are left to it; the others
   whose rows fit in a batch (``PRIVACY_ERASURE_BATCH_SIZE``) get one statement each, in
   transactions of up to a batch of rows that also write their report entries; a model
   with more rows is cut once into key ranges, each range one short transaction over
   ``rows_of(member) AND lo < pk <= hi`` that also moves the job's checkpoint (model,
   last key, rows). ``Delete`` deletes the rows; ``Anonymize`` and ``LegalHold`` update
   each personal field with its declared method (``privacy.services.anonymize``), and a
   nullable ``tombstone`` field, where the model has one, gets the job's tombstone id.
4. **finish** — one transaction: the final "your account was erased" email is queued in
   the outbox while the address still exists, the user row goes (or is anonymized, as its
   declaration says) with the rows its cascade deletes, the journal entry is written (and
   first appended to ``PRIVACY_ERASURE_JOURNAL_FILE`` with fsync), the request is closed
   and the job marked done.

``run_erasures`` (the sweeper's path) runs many due jobs together with the same steps and
end state, sharing the per-member overhead: one claim, one census and one statement per
model for a group, one finish transaction (and one journal fsync) per pack of members.

Every batch writes its checkpoint with ``UPDATE ... WHERE attempts = <the attempt it was
claimed with>``: a worker that was presumed dead and replaced has its next batch rolled back
and stops instead of racing the new one. Log lines carry job ids and counts, never
personal data.

Kept after an erasure: rows under a legal hold (bookings for the tax law, privacy requests
as proof they were answered), pseudonymized — no user link, name, email, phone or IP, only
the tombstone; the audit log (ids only, append-only); the suppression-list hashes; the job
and its journal entry (hashes and the tombstone, no personal data).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.deletion import Collector
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.app_settings import app_settings
from privacy.models import ErasureJob, ErasureJournal, PrivacyRequest
from privacy.registry import Delete, LegalHold, Method, ModelPolicy, registry
from privacy.services import anonymize, audit, deadlines, suppression

logger = logging.getLogger(__name__)

Status = ErasureJob.Status
Phase = ErasureJob.Phase
Source = ErasureJob.Source

REDACTED = anonymize.REDACTED
# Header of the final email: forget_check tolerates such an outbox row for
# PRIVACY_ERASURE_NOTICE_WINDOW, after which the sweeper deletes it, delivered or not.
NOTICE_HEADER = "X-Marquee-Notice"
NOTICE_VALUE = "account-erased"
CANCEL_SALT = "privacy.cancel-deletion"
# How long the cancel link of the scheduling email stays valid after the grace period.
CANCEL_LINK_SLACK = timedelta(days=1)
# Scheduling never lets the grace period run into the legal deadline: the erasure starts
# at least this long before it.
DEADLINE_MARGIN = timedelta(hours=12)
# A member under a legal hold: the erasure is looked at again after this long.
LEGAL_HOLD_RETRY = timedelta(days=1)
# Up to this many keys of one model are read and sorted in memory to cut them into ranges
# (about 40 MB); above it the database numbers them.
BOUNDS_IN_MEMORY = 1_000_000
# At most this many rows are read into the worker per batch (Python-computed anonymization
# methods, deletes that Django collects for cascades or signals); batches the database
# does alone take PRIVACY_ERASURE_BATCH_SIZE rows.
PYTHON_BATCH_SIZE = 20_000
# The walk's census counts a model's rows of the member up to this many: enough to know
# that they fit in one batch, without counting all of a big member's rows.
CENSUS_PROBE = 20_000


class ErasureError(Exception):
    """A deletion that cannot be scheduled or cancelled (message for people)."""


class Superseded(Exception):
    """Another worker claimed the job since this one did: stop without touching it."""


# --- Scheduling ---------------------------------------------------------------------------


def pending_deletion(user) -> ErasureJob | None:
    """Return the member's deletion still in its grace period, or None."""
    if user is None or user.pk is None:
        return None
    return ErasureJob.objects.filter(user_id=user.pk, status=Status.SCHEDULED).first()


def active_job(user) -> ErasureJob | None:
    """Return the member's scheduled, running or failed erasure, or None."""
    return ErasureJob.objects.filter(user_id=user.pk, status__in=ErasureJob.ACTIVE_STATUSES).first()


def schedule_deletion(
    user,
    *,
    source: str,
    actor=None,
    reason: str = "",
    grace: timedelta | None = None,
    request: PrivacyRequest | None = None,
    now: datetime | None = None,
    enqueue: bool = True,
) -> ErasureJob:
    """Deactivate ``user`` now and schedule the erasure of their account after ``grace``.

    ``source`` is "member", "staff", "dormant" or "replay"; ``grace`` defaults to
    ``PRIVACY_DELETION_GRACE`` (a member can cancel until it ends). In one transaction:
    the account is deactivated, a ``PrivacyRequest`` of type erasure is recorded (unless
    ``request`` is given: the request being fulfilled), the job is created and the audit
    log notes ERASURE_SCHEDULED. After the commit: the member's sessions end, bookings still
    to come are cancelled (and refunded), and the member is emailed the date with a cancel
    link (when there is a grace period); with no grace the erasure is enqueued at once.

    Idempotent: when the member already has an active job it is returned, its erasure
    brought forward if this call's grace ends earlier. ``enqueue=False`` leaves a due job
    for the caller to run (``erase_now``).
    """
    if source not in Source.values:
        raise ValueError(f"Unknown erasure source {source!r}")
    now = now or timezone.now()
    grace = app_settings.DELETION_GRACE if grace is None else grace
    User = get_user_model()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        job = (
            ErasureJob.objects.select_for_update()
            .filter(user_id=user.pk, status__in=ErasureJob.ACTIVE_STATUSES)
            .first()
        )
        if job is not None:
            due = _due_at(now, grace, job.deadline)
            if job.status == Status.FAILED:
                # Asked again after the attempts ran out (staff fixed the cause): the job
                # resumes from its checkpoint with a fresh set of attempts.
                job.status, job.attempts, job.due_at = Status.SCHEDULED, 0, due
                job.save(update_fields=["status", "attempts", "due_at"])
            elif job.status == Status.SCHEDULED and due < job.due_at:
                job.due_at = due
                job.save(update_fields=["due_at"])
            if enqueue and job.status == Status.SCHEDULED:
                _enqueue_if_due(job, now=now)
            return job
        if request is None:
            request = _open_erasure_request(locked, source=source)
        deadline = request.due_at if request.due_at else deadlines.due_at("erasure", now)
        job = ErasureJob.objects.create(
            user_id=user.pk,
            source=source,
            reason=reason[:300],
            request=request,
            requested_at=now,
            due_at=_due_at(now, grace, deadline),
            deadline=deadline,
        )
        if locked.is_active:
            User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        audit.record(
            audit.Action.ERASURE_SCHEDULED,
            actor=actor,
            subject=user.pk,
            target=job,
            source=source,
            grace_days=grace.days,
        )
        if job.due_at > now:
            _send_scheduled_email(locked, job)
        transaction.on_commit(lambda: _after_scheduling(job.pk, user.pk))
        if enqueue:
            _enqueue_if_due(job, now=now)
    logger.info(
        "erasure.scheduled job_id=%s user_id=%s source=%s due_at=%s",
        job.pk,
        user.pk,
        source,
        job.due_at.isoformat(),
    )
    return job


def _due_at(now: datetime, grace: timedelta, deadline: datetime) -> datetime:
    if grace <= timedelta(0):
        return now
    return max(now, min(now + grace, deadline - DEADLINE_MARGIN))


def _open_erasure_request(user, *, source: str) -> PrivacyRequest:
    from privacy.services import requests

    # The member's own deletion and the dormant sweep are self-service: no acknowledgement
    # email from the request workflow (this module emails the schedule and the result).
    return requests.open_request(
        "erasure",
        user=user,
        self_service=source in (Source.MEMBER, Source.DORMANT),
        details={"source": source},
    )


def _after_scheduling(job_id: int, user_id: int) -> None:
    """Sign the member out everywhere and cancel bookings still to come (after commit)."""
    User = get_user_model()
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    ended = end_sessions(user)
    cancelled = cancel_pending_bookings(user)
    logger.info(
        "erasure.account_closed job_id=%s sessions=%s bookings_cancelled=%s",
        job_id,
        ended,
        cancelled,
    )


def _enqueue_if_due(job: ErasureJob, *, now: datetime) -> None:
    if job.due_at <= now:
        from privacy.tasks import run_erasure as run_erasure_task

        transaction.on_commit(lambda: run_erasure_task.delay(job.pk))


def cancel_url(job: ErasureJob) -> str:
    """Absolute, signed link that lets the member cancel the deletion without signing in."""
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps(str(job.tombstone), salt=CANCEL_SALT)
    return settings.SITE_URL + reverse("privacy:cancel_deletion_link", args=[token])


def job_for_cancel_token(token: str) -> ErasureJob | None:
    """Return the scheduled job a cancel link names, or None if bad, expired or moot."""
    import uuid

    from django.core import signing

    max_age = app_settings.DELETION_GRACE + CANCEL_LINK_SLACK
    try:
        tombstone = uuid.UUID(str(signing.loads(token, salt=CANCEL_SALT, max_age=max_age)))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return ErasureJob.objects.filter(tombstone=tombstone, status=Status.SCHEDULED).first()


def _send_scheduled_email(user, job: ErasureJob) -> None:
    from cinema.mail import send_templated_email

    send_templated_email(
        "account_deletion_scheduled",
        to=user.email,
        language=user.preferred_language,
        context={
            "user": user,
            "job": job,
            "cancel_url": cancel_url(job),
            "sign_in_url": settings.SITE_URL + _reverse("account_login"),
        },
    )


def _reverse(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def cancel_deletion(user, *, actor=None) -> bool:
    """Cancel the member's deletion if it is still in its grace period; return whether it was.

    The account is active again and the member is told by email. Bookings cancelled when
    the deletion was scheduled stay cancelled. Once the erasure has started it can no
    longer be cancelled (False).
    """
    with transaction.atomic():
        job = (
            ErasureJob.objects.select_for_update()
            .filter(user_id=user.pk, status=Status.SCHEDULED)
            .first()
        )
        if job is None:
            return False
        job.status = Status.CANCELLED
        job.cancelled_at = timezone.now()
        job.save(update_fields=["status", "cancelled_at"])
        get_user_model().objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        if job.request_id:
            _withdraw_request(job.request, actor=actor)
        audit.record(audit.Action.ERASURE_CANCELLED, actor=actor, subject=user.pk, target=job)
        from cinema.mail import send_templated_email

        send_templated_email(
            "account_deletion_cancelled",
            to=user.email,
            language=user.preferred_language,
            context={"user": user, "job": job},
        )
    logger.info("erasure.cancelled job_id=%s user_id=%s", job.pk, user.pk)
    return True


def _withdraw_request(req: PrivacyRequest, *, actor) -> None:
    from privacy.services import requests

    req.refresh_from_db()
    if req.is_open:
        requests.withdraw(req, actor=actor)


# --- What erasure does: the plan ----------------------------------------------------------

DELETE, ANONYMIZE, KEEP = "delete", "anonymize", "keep"

METHOD_LABELS = {
    Method.NULL: gettext_lazy("removed"),
    Method.REDACT: gettext_lazy("replaced by a placeholder"),
    Method.HASH: gettext_lazy("replaced by a salted hash"),
    Method.IP_PREFIX: gettext_lazy("shortened to its network"),
    Method.BIRTH_YEAR: gettext_lazy("reduced to the year"),
    Method.COORDINATES_TO_CITY: gettext_lazy("reduced to the nearest city"),
    Method.KEEP: gettext_lazy("kept"),
}


@dataclass
class PlanItem:
    """What erasure does to one declared model's rows of one member."""

    policy: ModelPolicy
    action: str  # DELETE, ANONYMIZE or KEEP
    rows: int | None
    changes: dict[str, Method]  # field -> method, for rows that are kept
    tombstone: bool = False

    @property
    def label(self) -> str:
        return self.policy.label

    @property
    def name(self) -> str:
        return self.policy.display_name

    @property
    def description(self) -> str:
        return str(self.policy.description or self.name)

    @property
    def legal_hold(self) -> LegalHold | None:
        erasure = self.policy.erasure
        return erasure if isinstance(erasure, LegalHold) else None

    @property
    def why(self) -> str:
        """Why rows are kept: the law and period, or what the rows are for."""
        hold = self.legal_hold
        if hold is not None:
            return str(hold.describe())
        return self.description

    def field_changes(self) -> list[tuple[str, str]]:
        """(field's verbose name, what happens to it), for display."""
        return [
            (self.policy.field_label(name), METHOD_LABELS[method])
            for name, method in self.changes.items()
        ]

    def as_report(self) -> dict:
        """A JSON-safe summary for the job's report: names, counts and laws only."""
        hold = self.legal_hold
        with translation.override(settings.LANGUAGE_CODE):
            return {
                "model": self.label,
                "action": self.action,
                "rows": self.rows or 0,
                "fields": {name: str(method) for name, method in self.changes.items()},
                "tombstone": self.tombstone,
                "law": str(hold.law) if hold else "",
                "kept_days": hold.period.days if hold else None,
                "why": "" if self.action == DELETE else self.why,
            }


def walk_order() -> list[ModelPolicy]:
    """Declared personal models in the order erasure processes them (the user model last).

    Rows found through something erasure changes must be handled before it: ``locate``
    callables (sessions through ``UserSession``, queued email and suppression entries by
    the member's address) first, then lookups through other models, deepest first
    (``email_address__user`` before ``user``), then direct links, then the user itself.
    """

    def rank(policy: ModelPolicy):
        if policy.subject == "self":
            return (3, 0, policy.label)
        if policy.locate is not None or policy.subject is None:
            return (0, 0, policy.label)
        depth = policy.subject.count("__")
        return (1 if depth else 2, -depth, policy.label)

    return sorted(registry.personal(), key=rank)


def kept_changes(policy: ModelPolicy) -> dict[str, Method]:
    """Fields that anonymization changes in kept rows (``anonymize.methods_for``)."""
    if isinstance(policy.erasure, Delete):
        return {}
    return {
        name: method
        for name, method in anonymize.methods_for(policy).items()
        if _is_concrete(policy.model, name)
    }


def _is_concrete(model, name: str) -> bool:
    model_field = model._meta.get_field(name)
    return bool(getattr(model_field, "concrete", False)) and not model_field.many_to_many


def _has_tombstone(policy: ModelPolicy) -> bool:
    """Whether kept rows get the job's tombstone: a nullable UUID field named "tombstone"."""
    if isinstance(policy.erasure, Delete):
        return False
    try:
        model_field = policy.model._meta.get_field("tombstone")
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.UUIDField) and model_field.null


def plan_item(
    policy: ModelPolicy, user=None, *, count: bool = True, rows: int | None = None
) -> PlanItem:
    changes = kept_changes(policy)
    tombstone = _has_tombstone(policy)
    if isinstance(policy.erasure, Delete):
        action = DELETE
    elif isinstance(policy.erasure, LegalHold) or not (changes or tombstone):
        action = KEEP
    else:
        action = ANONYMIZE
    if rows is None and count and user is not None:
        rows = policy.rows_of(user).count()
    return PlanItem(policy=policy, action=action, rows=rows, changes=changes, tombstone=tombstone)


def plan(user, *, count: bool = True) -> list[PlanItem]:
    """What erasing ``user`` would do, model by model, in the order it would do it."""
    policies = walk_order()
    counts = census(user, policies) if count else {}
    return [
        plan_item(policy, user, count=count, rows=counts.get(policy.label)) for policy in policies
    ]


def census(
    user, policies: list[ModelPolicy], *, limits: dict[str, int] | None = None
) -> dict[str, int]:
    """How many rows of ``user`` each model holds, in one query (one round trip).

    ``SELECT (SELECT COUNT(*) FROM (<rows_of 1>)), (SELECT COUNT(*) FROM (<rows_of 2>)), ...``

    ``limits`` (label -> n) stops the count of those models at n + 1 rows: enough to tell
    "more than a batch" without counting all of a very big member's rows.
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    limits = limits or {}
    parts, params, labels, counts = [], [], [], {}
    for index, policy in enumerate(policies):
        rows = policy.rows_of(user).order_by().values("pk")
        if policy.label in limits:
            rows = rows[: limits[policy.label] + 1]
        try:
            sql, part_params = rows.query.get_compiler(using=rows.db).as_sql()
        except EmptyResultSet:
            counts[policy.label] = 0
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS census_{index})")  # noqa: S608
        params.extend(part_params)
        labels.append(policy.label)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            counts.update(zip(labels, cursor.fetchone(), strict=True))
    return counts


# --- Anonymization ------------------------------------------------------------------------
# The per-method expressions live in privacy.services.anonymize, shared with retention.


def check_policy(policy: ModelPolicy) -> list[str]:
    """Return why erasure could not process ``policy`` (empty when it can)."""
    problems = []
    for name, method in kept_changes(policy).items():
        if method in anonymize.PYTHON_METHODS:
            continue
        try:
            anonymize.sql_expression(policy.model, name, method)
        except ImproperlyConfigured as exc:
            problems.append(f"{policy.label}.{name}: {exc}")
    return problems


# --- Running ------------------------------------------------------------------------------


def jobs_to_run(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Ids of jobs a worker should run now: due, stalled, or failed with attempts left."""
    now = now or timezone.now()
    stalled_before = now - app_settings.ERASURE_STALL_AFTER
    due = Q(status=Status.SCHEDULED, due_at__lte=now)
    stalled = Q(status=Status.RUNNING) & (
        Q(heartbeat_at__lt=stalled_before) | Q(heartbeat_at__isnull=True)
    )
    retry = Q(
        status=Status.FAILED,
        attempts__lt=app_settings.ERASURE_MAX_ATTEMPTS,
        heartbeat_at__lt=stalled_before,
    )
    return list(
        ErasureJob.objects.filter(due | stalled | retry)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def overdue_jobs(*, now: datetime | None = None) -> list[int]:
    """Ids of erasures past their legal deadline and not done."""
    now = now or timezone.now()
    return list(
        ErasureJob.objects.filter(
            status__in=ErasureJob.ACTIVE_STATUSES, deadline__lt=now
        ).values_list("pk", flat=True)
    )


def log_overdue(*, now: datetime | None = None) -> list[int]:
    """Log (as errors, for alerting) erasures past their legal deadline; return their ids."""
    overdue = overdue_jobs(now=now)
    for job_id in overdue:
        logger.error("erasure.overdue job_id=%s", job_id)
    return overdue


def _runnable(now: datetime) -> Q:
    """Jobs a worker may take now: due, stalled while running, or failed with attempts left."""
    stalled_before = now - app_settings.ERASURE_STALL_AFTER
    return (
        Q(status=Status.SCHEDULED, due_at__lte=now)
        | (
            Q(status=Status.RUNNING)
            & (Q(heartbeat_at__lt=stalled_before) | Q(heartbeat_at__isnull=True))
        )
        | Q(status=Status.FAILED, attempts__lt=app_settings.ERASURE_MAX_ATTEMPTS)
    )


def _claim_jobs(
    job_ids: list[int], *, now: datetime, skip_locked: bool = False
) -> list[ErasureJob]:
    """Take the runnable jobs among ``job_ids`` for this worker; return them, claimed.

    Two statements whatever the number of jobs: the rows are read under a lock (with
    ``skip_locked``, rows another transaction holds are left for a later sweep), then one
    UPDATE marks them running and increments ``attempts``, the fencing token of this run.
    """
    with transaction.atomic():
        jobs = list(
            ErasureJob.objects.select_for_update(skip_locked=skip_locked)
            .filter(_runnable(now), pk__in=job_ids)
            .order_by("pk")
        )
        if not jobs:
            return []
        ErasureJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Value(now)),
            heartbeat_at=now,
            error="",
        )
    for job in jobs:
        job.status = Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.error = ""
    return jobs


def _claim(job_id: int, *, now: datetime) -> int | None:
    """Take the job for this worker; return the attempt number (the fencing token) or None."""
    jobs = _claim_jobs([job_id], now=now)
    return jobs[0].attempts if jobs else None


def _hold_back(job: ErasureJob) -> None:
    """Data a dispute needs must be kept (GDPR Art. 17(3)(e)): look again tomorrow, and
    tell staff through the job's error and the log."""
    ErasureJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
        status=Status.SCHEDULED,
        due_at=timezone.now() + LEGAL_HOLD_RETRY,
        error="legal_hold",
        heartbeat_at=timezone.now(),
    )
    logger.warning("erasure.on_legal_hold job_id=%s", job.pk)


def _mark_failed(job_id: int, token: int, exc: BaseException) -> None:
    ErasureJob.objects.filter(pk=job_id, attempts=token, status=Status.RUNNING).update(
        status=Status.FAILED, error=type(exc).__name__[:300], heartbeat_at=timezone.now()
    )
    logger.error("erasure.failed job_id=%s attempt=%s", job_id, token, exc_info=exc)


def run_erasure(job_id: int, *, now: datetime | None = None) -> ErasureJob | None:
    """Erase the member of job ``job_id`` if it is due; return the job, or None if not run.

    Safe to call twice, concurrently, or after a worker died mid-way: the job is claimed
    atomically and resumes from its recorded phase and checkpoint. An exception marks the
    job failed (the sweeper retries it up to ``PRIVACY_ERASURE_MAX_ATTEMPTS`` times) and is
    raised again.
    """
    jobs = _claim_jobs([job_id], now=now or timezone.now())
    if not jobs:
        logger.info("erasure.not_claimed job_id=%s", job_id)
        return None
    job = jobs[0]
    if job.phase == Phase.PREPARE and under_legal_hold(job.user_id):
        _hold_back(job)
        return None
    return _run_claimed(_Runner(job, job.attempts))


def _run_claimed(runner: _Runner) -> ErasureJob | None:
    """Run a claimed job to the end; return it done, or None if another worker took it."""
    job, token = runner.job, runner.token
    logger.info("erasure.started job_id=%s attempt=%s phase=%s", job.pk, token, job.phase)
    try:
        runner.run()
    except Superseded:
        logger.warning("erasure.superseded job_id=%s attempt=%s", job.pk, token)
        return None
    except Exception as exc:
        _mark_failed(job.pk, token, exc)
        raise
    logger.info("erasure.done job_id=%s", job.pk)
    return runner.job


def under_legal_hold(user_id: int | None) -> bool:
    """Whether staff placed the member's data on a legal hold that is still in force."""
    from django.apps import apps
    from django.core.exceptions import FieldError

    if user_id is None:
        return False
    try:
        hold = apps.get_model("privacy", "RetentionHold")
    except LookupError:
        return False
    now = timezone.now()
    try:
        return (
            hold.objects.filter(user_id=user_id, lifted_at__isnull=True)
            .filter(Q(until__isnull=True) | Q(until__gt=now))
            .exists()
        )
    except FieldError:  # a different shape of hold model: do not guess
        return False


def erase_now(user, *, actor=None, reason: str, request: PrivacyRequest | None = None):
    """Erase ``user`` at once, in this process (staff and operators); return the job.

    Skips any grace period. Used by ``manage.py erase_user`` and by replay.
    """
    job = schedule_deletion(
        user, source=Source.STAFF, actor=actor, reason=reason, grace=timedelta(0),
        request=request, enqueue=False,
    )  # fmt: skip
    return run_erasure(job.pk) or ErasureJob.objects.get(pk=job.pk)


class _Runner:
    """One claimed run of one job (see the module docstring for the phases)."""

    def __init__(self, job: ErasureJob, token: int, *, user=None, addresses=None):
        self.job = job
        self.token = token
        User = get_user_model()
        if user is None:
            user = User.objects.filter(pk=job.user_id).first()
        if user is None:
            # The account row is already gone (deleted outside the engine): what can still
            # be found by its id is erased; lookups by address find nothing.
            user = User(pk=job.user_id, email="")
        self.user = user
        # Read once per run: the walk deletes the address rows part-way through.
        self.addresses = addresses_of(user) if addresses is None else addresses
        # Report entries not written yet; they go with the walk's next transaction.
        self._quiet: dict[str, dict] = {}

    # -- bookkeeping --

    def _record(self, **fields) -> None:
        """Write progress to the job row, in the caller's transaction, if this worker still
        holds the job (its attempt number is the fencing token); else raise Superseded,
        which rolls the caller's batch back. One statement: no read, no separate lock."""
        fields["heartbeat_at"] = timezone.now()
        updated = ErasureJob.objects.filter(
            pk=self.job.pk, attempts=self.token, status=Status.RUNNING
        ).update(**fields)
        if not updated:
            raise Superseded
        for name, value in fields.items():
            setattr(self.job, name, value)

    def _pause(self) -> None:
        pause = app_settings.ERASURE_BATCH_PAUSE
        if pause:
            time.sleep(pause)

    # -- phases --

    def run(self) -> None:
        """Run the phases from the job's current one to the end.

        Each phase records its outcome together with the move to the next phase, in one
        transaction, so a rerun never repeats a phase that was recorded.
        """
        order = [Phase.PREPARE, Phase.OUTSIDE, Phase.WALK, Phase.FINISH]
        steps = {
            Phase.PREPARE: self.prepare,
            Phase.OUTSIDE: self.outside,
            Phase.WALK: self.walk,
            Phase.FINISH: self.finish,
        }
        for phase in order[order.index(Phase(self.job.phase)) :]:
            steps[phase]()

    def prepare(self) -> None:
        # Bookings first, outside the transaction (a refund calls the payment provider);
        # then the phase's writes and its record commit together.
        cancelled = cancel_pending_bookings(self.user) if self.user.email else 0
        with transaction.atomic():
            fields = self.prepare_effects(cancelled=cancelled)
            self._record(phase=Phase.OUTSIDE, **_CHECKPOINT_RESET, **fields)

    def prepare_effects(self, *, cancelled: int | None = None) -> dict:
        """Do the prepare phase; return the job fields that record it. ``cancelled``: the
        bookings still to come were already cancelled (that many), by the caller."""
        user = self.user
        if cancelled is None:
            cancelled = cancel_pending_bookings(user) if user.email else 0
        addresses = self.addresses
        phone = str(getattr(user, "phone", "") or "")
        suppressed = 0
        for address in addresses:
            suppressed += suppression.suppress(
                channel=suppression.EMAIL, value=address, reason=suppression.Reason.ERASURE
            )
        phone_hash = ""
        if phone:
            try:
                phone_hash = suppression.hash_value(channel=suppression.SMS, value=phone)
                suppressed += suppression.suppress(
                    channel=suppression.SMS, value=phone, reason=suppression.Reason.ERASURE
                )
            except ValueError:
                phone_hash = ""
        self._detach_request(addresses)
        withdrawn = self._close_other_requests()
        job = self.job
        hashes = {}
        if addresses:  # a rerun after the account row went keeps the first hashes
            hashes = {
                "email_hashes": [
                    suppression.hash_value(channel=suppression.EMAIL, value=a) for a in addresses
                ],
                "phone_hash": phone_hash,
            }
        before = job.report.get("prepare", {})
        report = {
            **job.report,
            "prepare": {
                "bookings_cancelled": before.get("bookings_cancelled", 0) + cancelled,
                "suppression_entries_added": before.get("suppression_entries_added", 0)
                + suppressed,
                "requests_withdrawn": before.get("requests_withdrawn", 0) + withdrawn,
            },
        }
        files = sorted(set(job.state.get("files", [])) | set(_files_of(user)))
        return {"state": {**job.state, "files": files}, "report": report, **hashes}

    def _detach_request(self, addresses: list[str]) -> None:
        """Unlink the request being fulfilled when someone else sent it (a guardian).

        It is theirs, not the member's: the walk must keep their address, to tell them the
        erasure is done. Its free text, which is about the member, is redacted at the end.
        """
        if not self.job.request_id:
            return
        req = PrivacyRequest.objects.filter(pk=self.job.request_id).first()
        if (
            req is not None
            and req.user_id == self.job.user_id
            and req.email
            and req.email.lower() not in addresses
        ):
            PrivacyRequest.objects.filter(pk=req.pk).update(user=None)

    def _close_other_requests(self) -> int:
        if self.user.pk is None:
            return 0
        open_requests = PrivacyRequest.objects.filter(
            user_id=self.user.pk, status__in=PrivacyRequest.OPEN_STATUSES
        ).exclude(pk=self.job.request_id)
        withdrawn = 0
        for req in open_requests:
            _withdraw_request(req, actor=None)
            withdrawn += 1
        return withdrawn

    def outside(self) -> None:
        fields = self.outside_effects()
        with transaction.atomic():
            self._record(phase=Phase.WALK, **_CHECKPOINT_RESET, **fields)

    def outside_effects(self, *, sessions: bool = True) -> dict:
        """Do the outside phase; return the job fields that record it."""
        counts = remove_outside(
            self.user,
            files=self.job.state.get("files", []),
            addresses=self.addresses,
            sessions=sessions,
        )
        return {"report": {**self.job.report, "outside": counts}}

    def walk(self) -> None:
        """Every declared model's rows of the member (module doc, "walk").

        One census query says which models hold anything of the member. Models the account
        row's deletion cascades to (``with_account_labels``) are left to it when their rows
        fit in a batch: the finish phase deletes them with the account, in one pass. Other
        models whose rows fit in a batch are processed together, in walk order, one
        statement each, in transactions of up to a batch of rows that also write their
        report entries (a model's entry says "done": a rerun skips it). A model with more
        rows than a batch is cut into key ranges, one transaction and checkpoint each
        (``_walk_ranges``). The walk's last transaction moves the job on to the finish phase.

        The census stops counting a model at ``CENSUS_PROBE`` rows: counting all of a big
        member's rows costs a good part of deleting them. Past that, the database planner's
        estimate of the member's rows decides (PostgreSQL): within a batch, one statement
        (its own row count goes into the report); else key ranges, which count exactly.
        """
        policies = [p for p in walk_order() if p.subject != "self"]
        done = {
            label for label, entry in self.job.report.get("models", {}).items() if entry["done"]
        }
        policies = [p for p in policies if p.label not in done]
        items = {p.label: plan_item(p, count=False) for p in policies}
        limits = {
            label: batch_size_for(item.policy, item)
            for label, item in items.items()
            if _changes_rows(item)
        }
        probes = {label: min(limit, CENSUS_PROBE) for label, limit in limits.items()}
        # (The walk only removes rows of the member, so an empty model stays empty; a late
        # writer's rows go with the account row's cascade at the end.)
        counts = census(self.user, policies, limits=probes)
        pending: list[tuple[PlanItem, int | None]] = []
        pending_rows = 0
        cascaded, cascaded_rows = with_account_labels(), 0
        for policy in policies:
            item, rows = items[policy.label], counts.get(policy.label, 0)
            resumed = self.job.checkpoint_model == policy.label and self.job.checkpoint_pk
            if not _changes_rows(item) or (not rows and not resumed):
                # Nothing to change (every personal field KEEP), or nothing there: counted.
                self._quiet[policy.label] = {**item.as_report(), "rows": rows, "done": True}
                continue
            size = rows
            if not resumed and rows > probes[policy.label]:
                rows = None  # the census stopped counting
                if limits[policy.label] > probes[policy.label]:
                    size = _estimated_rows(policy.rows_of(self.user))
            if resumed or size is None or size > limits[policy.label]:
                self._apply_together(pending)
                pending, pending_rows = [], 0
                self._walk_ranges(policy, item, rows=None if resumed else rows)
                continue
            if policy.label in cascaded and cascaded_rows + size <= app_settings.ERASURE_BATCH_SIZE:
                # Deleted with the account row, in the finish transaction (one batch at most).
                self._quiet[policy.label] = {
                    **item.as_report(),
                    "rows": 0,
                    "done": True,
                    WITH_ACCOUNT: True,
                }
                cascaded_rows += size
                continue
            if pending and pending_rows + size > app_settings.ERASURE_BATCH_SIZE:
                self._apply_together(pending)
                pending, pending_rows = [], 0
                self._pause()
            pending.append((item, rows))
            pending_rows += size
        self._apply_together(pending, phase=Phase.FINISH)

    def _apply_together(
        self, pending: list[tuple[PlanItem, int | None]], *, phase: str = ""
    ) -> None:
        """One transaction: each model of ``pending`` in one statement (all its rows of the
        member), their report entries and any waiting ones, and the next ``phase`` if given."""
        if not pending and not phase and not self._quiet:
            return
        with transaction.atomic():
            _relaxed_commit()
            for item, rows in pending:
                processed = self._apply(item, item.policy.rows_of(self.user), rows=rows)
                self._quiet[item.label] = {**item.as_report(), "rows": processed, "done": True}
            fields = {"phase": phase, **_CHECKPOINT_RESET} if phase else {}
            self._record(report=self._with_quiet(self.job.report), **fields)

    def _apply(self, item: PlanItem, batch: models.QuerySet, *, rows: int | None) -> int:
        """Delete or anonymize the rows of ``batch``; return how many (``rows`` if known,
        else what the statement reports)."""
        if item.action == DELETE:
            _total, per_model = batch.order_by().delete()
            return per_model.get(item.label, 0)
        changed = self._anonymize(item.policy, item, batch)
        return changed if rows is None else rows

    def _with_quiet(self, report: dict) -> dict:
        models_report = {**report.get("models", {}), **self._quiet}
        self._quiet = {}
        return {**report, "models": models_report}

    def _walk_ranges(self, policy: ModelPolicy, item: PlanItem, *, rows: int | None) -> None:
        """Process one model's rows of the member in primary-key ranges (module doc).

        The boundaries of the ranges are computed once, by the database (every n-th of the
        member's keys in key order); each batch then deletes or updates ``rows_of(member)
        AND lo < pk <= hi``. The lookup by member stays in every statement, so a range
        never reaches another member's rows, and no batch scans again over rows an earlier
        batch removed. ``rows`` is the member's count from the census (None on a resume).
        """
        pk_field = policy.model._meta.pk
        last = None
        if self.job.checkpoint_model == policy.label and self.job.checkpoint_pk:
            last = pk_field.to_python(self.job.checkpoint_pk)
        bounds = self._bounds(policy, after=last, every=batch_size_for(policy, item), total=rows)
        if not bounds:
            # Nothing (left): a rerun after a kill between the last batch and its report
            # finds the count in the checkpoint.
            rows = self.job.checkpoint_rows if last is not None else 0
            self._quiet[policy.label] = {**item.as_report(), "rows": rows, "done": True}
            return
        low, counted = last, 0
        for index, (high, number) in enumerate(bounds):
            done = index == len(bounds) - 1
            self._batch(policy, item, low, high, rows=number - counted, done=done)
            low, counted = high, number
            if not done:
                self._pause()

    def _bounds(
        self, policy: ModelPolicy, *, after, every: int, total: int | None = None
    ) -> list[tuple]:
        """Upper ends of the member's key ranges after ``after``: [(key, position), ...].

        Every ``every``-th key in key order, and the last one, with its position (so the
        rows of a range are the difference of two positions); ``[(None, n)]`` when all
        ``n`` rows fit in one batch (no range needed). ``total`` is the member's row count
        when already known (from the census). On PostgreSQL the database picks
        the keys (``percentile_disc`` over the member's keys: one sort, only the bounds
        come back); elsewhere the keys are read and sorted here, up to
        ``BOUNDS_IN_MEMORY`` of them, else numbered by the database.
        """
        from django.core.exceptions import EmptyResultSet
        from django.db import connections

        rows = policy.rows_of(self.user).order_by()
        if after is not None:
            rows = rows.filter(pk__gt=after)
        keys = rows.values(k=F("pk"))  # SELECT <pk column> AS "k" ... (the member's rows)
        try:
            inner, params = keys.query.get_compiler(using=keys.db).as_sql()
        except EmptyResultSet:  # e.g. pk__in=[]: nothing of this member here
            return []
        connection = connections[keys.db]
        if connection.vendor == "postgresql":
            total = rows.count() if total is None else total
            if total <= every:
                return [(None, total)] if total else []
            positions = [*range(every, total, every), total]
            # percentile_disc(f) is the key at position ceil(f * total): aim half a row
            # below each position so that rounding cannot move it.
            fractions = [(position - 0.5) / total for position in positions]
            sql = (
                "SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY k) "  # noqa: S608
                f"FROM ({inner}) AS member_rows"
            )
            with transaction.atomic(using=keys.db), connection.cursor() as cursor:
                # Enough memory to sort a big member's keys without spilling to disk.
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute(sql, [fractions, *params])
                return list(zip(cursor.fetchone()[0], positions, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(f"{inner} LIMIT %s", [*params, BOUNDS_IN_MEMORY + 1])
            found = [row[0] for row in cursor.fetchall()]
            if len(found) <= every:
                return [(None, len(found))] if found else []
            if len(found) <= BOUNDS_IN_MEMORY:
                found.sort()
                positions = [*range(every, len(found), every), len(found)]
                return [(found[n - 1], n) for n in positions]
            sql = (
                "SELECT k, n FROM (SELECT k, ROW_NUMBER() OVER (ORDER BY k) AS n, "  # noqa: S608
                f"COUNT(*) OVER () AS total FROM ({inner}) AS member_rows) AS numbered "
                "WHERE n %% %s = 0 OR n = total ORDER BY n"
            )
            cursor.execute(sql, [*params, every])
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def _batch(self, policy: ModelPolicy, item: PlanItem, low, high, *, rows: int, done: bool):
        """One short transaction: the member's rows with ``low < pk <= high``, and the
        checkpoint (``high`` and the model's running count of rows)."""
        with transaction.atomic():
            _relaxed_commit()
            batch = policy.rows_of(self.user)
            if high is not None:
                batch = batch.filter(pk__lte=high)
            if low is not None:
                batch = batch.filter(pk__gt=low)
            processed = self._apply(item, batch, rows=rows)
            resumed = self.job.checkpoint_model == policy.label
            total = (self.job.checkpoint_rows if resumed else 0) + processed
            if not done:
                # Only the checkpoint: the report is written once per model, below.
                self._record(
                    checkpoint_model=policy.label, checkpoint_pk=str(high), checkpoint_rows=total
                )
                return
            # This worker is the job's only writer while it holds it: the report in memory
            # is current. _record fences: a superseded worker's batch is rolled back.
            report = self._with_quiet(self.job.report)
            report["models"][policy.label] = {**item.as_report(), "rows": total, "done": True}
            self._record(report=report, checkpoint_model="", checkpoint_pk="", checkpoint_rows=0)

    def _anonymize(
        self, policy: ModelPolicy, item: PlanItem, batch: models.QuerySet, *, tombstone=None
    ) -> int:
        """Anonymize the rows of ``batch`` with their declared methods, stamp the tombstone
        (the job's, or ``tombstone``: an expression when ``batch`` holds several members).
        Returns the rows the UPDATE matched.

        Methods computed in Python go first (unlinking the member makes the rows leave
        ``batch``); then one UPDATE sets every SQL-computed field and the tombstone, so each
        row gets one new version, not one per step.
        """
        model = policy.model
        in_python = {n: m for n, m in item.changes.items() if m in anonymize.PYTHON_METHODS}
        if in_python:
            anonymize.anonymize(batch, in_python)
        updates = {}
        for name, method in item.changes.items():
            if name in in_python:
                continue
            model_field = model._meta.get_field(name)
            key = model_field.attname if model_field.is_relation else name
            updates[key] = anonymize.sql_expression(model, name, method)
        if item.tombstone:
            updates["tombstone"] = self.job.tombstone if tombstone is None else tombstone
        return batch.update(**updates) if updates else 0

    def finish(self) -> None:
        late = self.late_outside()
        user_policy = registry.get(get_user_model())
        with transaction.atomic():
            # This worker is the job's only writer while it holds it, so the job in memory
            # is current; the final UPDATE is conditional on the claim (``_record``): a
            # worker superseded meanwhile has this whole transaction rolled back.
            job = copy.copy(self.job)
            finished = timezone.now()
            self._send_final_email(job)
            user_report, cascaded = self._erase_user_row(user_policy)
            self._close_request(job)
            values = self._journal_values(job, erased_at=finished)
            # The file first: if the commit then fails, the entry names an erasure that the
            # next attempt completes anyway; an entry missing from the file could not be
            # replayed.
            append_journal_lines([(job.tombstone, values)])
            journal_id = _journal_rows({job.tombstone: values})[job.tombstone]
            self._mark_done(
                job, user_policy.label, user_report, late=late, finished=finished, cascaded=cascaded
            )
            self._record(**{name: getattr(job, name) for name in _DONE_FIELDS})
            audit.record_many([self._audit_done(job, journal_id=journal_id)])
        # Files are not transactional: remove again what an export worker may have written
        # meanwhile (the rows pointing at them are gone now).
        _delete_files(self.job.state.get("files", []))

    def late_outside(self, *, sessions: bool = True) -> dict[str, int]:
        """Belt and braces before the finish: what may have appeared since the outside phase
        (a flush that read its batch before the buffer was emptied, a session opened)."""
        return remove_outside(
            self.user,
            files=self.job.state.get("files", []),
            addresses=self.addresses,
            sessions=sessions,
        )

    @staticmethod
    def _mark_done(
        job: ErasureJob, user_label: str, user_report: dict, *, late, finished, cascaded
    ):
        """Complete the job's report (in memory): the account row, the rows its cascade
        deleted for the models left to it (``cascaded``: label -> rows), the late removals."""
        report = dict(job.report)
        models_report = dict(report.get("models", {}))
        for label, entry in models_report.items():
            if entry.get(WITH_ACCOUNT):
                entry = {k: v for k, v in entry.items() if k != WITH_ACCOUNT}
                models_report[label] = {**entry, "rows": cascaded.get(label, 0)}
        models_report[user_label] = user_report
        report["models"] = models_report
        report["late"] = {k: v for k, v in late.items() if v}
        report["finished_at"] = finished.isoformat()
        job.report = report
        job.status = Status.DONE
        job.finished_at = finished
        job.checkpoint_model = ""
        job.checkpoint_pk = ""

    @staticmethod
    def _audit_done(job: ErasureJob, *, journal_id: int) -> audit.Pending:
        """The ``erasure.done`` entry of a finished job (for ``audit.record_many``)."""
        models_report = job.report.get("models", {}).values()
        return audit.Pending(
            audit.Action.ERASURE_DONE,
            subject=job.user_id,
            target=job,
            details={
                "deleted": sum(m.get("rows", 0) for m in models_report if m["action"] == DELETE),
                "kept": sum(m.get("rows", 0) for m in models_report if m["action"] != DELETE),
                "journal_id": journal_id,
            },
        )

    def _erase_user_row(self, policy: ModelPolicy) -> tuple[dict, dict[str, int]]:
        """Delete (or anonymize) the account row; return its report entry and the rows
        deleted per model (the cascade's)."""
        item = plan_item(policy, count=False)
        User = get_user_model()
        rows = User._default_manager.filter(pk=self.job.user_id)
        per_model: dict[str, int] = {}
        if item.action == DELETE:
            _total, per_model = rows.delete()
            count = per_model.get(policy.label, 0)
        else:
            count = rows.count()
            if count:
                self._anonymize(policy, item, rows)
        return {**item.as_report(), "rows": count, "done": True}, per_model

    def _send_final_email(self, job: ErasureJob) -> None:
        from cinema.mail import send_templated_email

        if not self.user.email:
            return
        kept = [
            m
            for m in job.report.get("models", {}).values()
            if m["action"] == KEEP and m.get("law") and m.get("rows")
        ]
        user = self.user
        language = getattr(user, "preferred_language", "") or ""
        with translation.override(language or settings.LANGUAGE_CODE):
            kept_items = [
                {
                    "name": capfirst(str(registry_model_verbose_plural(m["model"]) or m["model"])),
                    "rows": m["rows"],
                    "why": _why_text(m["model"]),
                }
                for m in kept
            ]
        send_templated_email(
            "account_deletion_done",
            to=user.email,
            language=language,
            context={
                "user": user,
                "job": job,
                "kept": kept_items,
                "bookings_cancelled": job.report.get("prepare", {}).get("bookings_cancelled", 0),
            },
            headers={NOTICE_HEADER: NOTICE_VALUE},
        )

    def _close_request(self, job: ErasureJob) -> None:
        """Close the request the erasure fulfils; answer the requester unless it was the member.

        The member's own requests were pseudonymized by the walk (no address left), so
        completing them emails no one: the final email is their answer. A guardian's report
        keeps the guardian's address, so the guardian is told; its free text, which is about
        the member, is redacted.
        """
        from privacy.services import requests

        if not job.request_id:
            return
        # Locked for the rest of the transaction: the update below is applied in memory.
        req = PrivacyRequest.objects.select_for_update().filter(pk=job.request_id).first()
        if req is None:
            return
        addresses = set(self.addresses)
        member_asked = req.user_id == job.user_id or (req.email or "").lower() in addresses
        updates = {"description": REDACTED if req.description else "", "details": {}}
        if req.email == REDACTED:  # pseudonymized by the walk: no one to answer
            updates["email"] = ""
        if member_asked:
            updates.update(email="", name=REDACTED if req.name else "", user=None)
        PrivacyRequest.objects.filter(pk=req.pk).update(**updates)
        for name, value in updates.items():
            setattr(req, name, value)
        if not req.is_open:
            return
        if req.verification == PrivacyRequest.Verification.PENDING:
            requests.verify_identity(req, actor=None, note="")
            req.refresh_from_db()
        with translation.override(req.language or settings.LANGUAGE_CODE):
            resolution = _("The account and its personal data were erased.")
        requests.complete(req, actor=None, resolution=resolution)

    @staticmethod
    def _journal_values(job: ErasureJob, *, erased_at: datetime) -> dict:
        hashes = list(job.email_hashes)
        return {
            "email_hash": hashes[0] if hashes else "",
            "phone_hash": job.phone_hash,
            "other_hashes": " ".join(hashes[1:]),
            "erased_at": erased_at,
        }


# --- Many members at once (the sweeper's path) --------------------------------------------

# Jobs one run_erasures call claims and runs together: one census query, one statement per
# model and one finish transaction (one journal fsync) for all of them.
GROUP_SIZE = 50


def run_erasures(job_ids: list[int], *, now: datetime | None = None) -> list[ErasureJob]:
    """Erase the members of the due jobs ``job_ids``, ``GROUP_SIZE`` at a time; return the
    jobs done.

    The same erasure as :func:`run_erasure`, with the per-member overhead shared: the
    group is claimed in two statements; prepare and outside run member by member (their
    services work per member) and are recorded for the group in one transaction; the walk
    is one census query for the group and, per model, one statement over all the group's
    rows (in transactions of up to ``PRIVACY_ERASURE_BATCH_SIZE`` rows that also record
    every job's report); the finish is one transaction for the group — final emails,
    account rows (one cascade), journal lines (one write and fsync before the commit),
    requests, jobs marked done, audit entries. A member with more rows in a model than a
    batch, or resuming mid-model, is run on its own; if a shared step fails, it is rolled
    back and each member of the group continues on its own (so one member's failure marks
    only that job failed). Jobs not runnable (done, running elsewhere, locked) are skipped.
    Never raises for a member's failure: it is logged and recorded on the job.
    """
    finished: list[ErasureJob] = []
    for start in range(0, len(job_ids), GROUP_SIZE):
        chunk = list(job_ids[start : start + GROUP_SIZE])
        finished += _run_group(chunk, now=now or timezone.now())
    return finished


def _run_group(job_ids: list[int], *, now: datetime) -> list[ErasureJob]:
    jobs = _claim_jobs(job_ids, now=now, skip_locked=True)
    fresh = [job.user_id for job in jobs if job.phase == Phase.PREPARE]
    held = held_user_ids(fresh)
    runnable = []
    for job in jobs:
        if job.phase == Phase.PREPARE and job.user_id in held:
            _hold_back(job)
        else:
            runnable.append(job)
    if not runnable:
        return []
    User = get_user_model()
    users = {u.pk: u for u in User.objects.filter(pk__in=[j.user_id for j in runnable])}
    addresses = _addresses_of_many(users.values())
    runners = []
    for job in runnable:
        user = users.get(job.user_id)
        logger.info(
            "erasure.started job_id=%s attempt=%s phase=%s", job.pk, job.attempts, job.phase
        )
        runners.append(
            _Runner(job, job.attempts, user=user, addresses=addresses.get(job.user_id, []))
        )
    return _Group(runners).run()


class _Group:
    """Claimed jobs run together (see :func:`run_erasures`)."""

    def __init__(self, runners: list[_Runner]):
        self.runners = runners
        self.counts: dict[str, dict[int, int]] = {}
        self.handled: set[int] = set()  # jobs finished, failed, superseded or run alone
        self.done: list[ErasureJob] = []

    def run(self) -> list[ErasureJob]:
        active = self._prepare_and_outside()
        walking = [r for r in active if r.job.phase == Phase.WALK and not r.job.checkpoint_model]
        for pack in self._packs(self._small(walking)):
            if self._shared(self._walk_pack, pack):
                self._shared(self._finish, [r for r in pack if r.job.pk not in self.handled])
        finishing = [
            r for r in active if r.job.phase == Phase.FINISH and r.job.pk not in self.handled
        ]
        for pack in self._packs(finishing):  # resumed in the finish phase
            self._shared(self._finish, pack)
        for runner in active:  # big members, resumed mid-model, or after a failed shared step
            if runner.job.pk not in self.handled:
                self._alone(runner)
        return self.done

    # -- helpers --

    def _alone(self, runner: _Runner) -> None:
        """Continue one member's erasure on the single-member path (failures recorded)."""
        self.handled.add(runner.job.pk)
        try:
            job = _run_claimed(runner)
        except Exception:  # recorded on the job and logged by _run_claimed
            return
        if job is not None:
            self.done.append(job)

    def _shared(self, step, runners: list[_Runner]) -> bool:
        """Run a shared step; if it fails (rolled back), each member goes on alone from
        what its job recorded. Return whether the step succeeded."""
        if not runners:
            return False
        try:
            step(runners)
            return True
        except Exception:
            logger.exception(
                "erasure.group_step_failed step=%s jobs=%s",
                step.__name__.strip("_"),
                ",".join(str(r.job.pk) for r in runners),
            )
        for runner in runners:
            if runner.job.pk in self.handled:
                continue
            current = ErasureJob.objects.get(pk=runner.job.pk)
            if current.attempts != runner.token or current.status != Status.RUNNING:
                self.handled.add(runner.job.pk)
                continue
            runner.job = current
            runner._quiet = {}
            self._alone(runner)
        return False

    def _lock(self, runners: list[_Runner]) -> list[_Runner]:
        """Lock the jobs' rows (in key order); return the runners whose job this worker
        still holds. A locked job cannot be claimed: the transaction's work is fenced."""
        rows = {
            pk: (attempts, status)
            for pk, attempts, status in ErasureJob.objects.select_for_update()
            .filter(pk__in=[r.job.pk for r in runners])
            .order_by("pk")
            .values_list("pk", "attempts", "status")
        }
        live = []
        for runner in runners:
            if rows.get(runner.job.pk) == (runner.token, Status.RUNNING):
                live.append(runner)
            else:
                self.handled.add(runner.job.pk)
                logger.warning(
                    "erasure.superseded job_id=%s attempt=%s", runner.job.pk, runner.token
                )
        return live

    @staticmethod
    def _save(runners: list[_Runner], values: dict[int, dict]) -> None:
        """Write each job's new field values, in the caller's transaction (which holds the
        rows' locks); the jobs in memory take them after the commit (:meth:`_apply`)."""
        now = timezone.now()
        for runner in runners:
            ErasureJob.objects.filter(pk=runner.job.pk).update(
                heartbeat_at=now, **values[runner.job.pk]
            )

    @staticmethod
    def _apply(runners: list[_Runner], values: dict[int, dict]) -> None:
        for runner in runners:
            for name, value in values[runner.job.pk].items():
                setattr(runner.job, name, value)

    # -- prepare and outside --

    def _prepare_and_outside(self) -> list[_Runner]:
        """Both phases for the group; return the runners to go on with.

        Bookings still to come are cancelled member by member first, outside any
        transaction (a refund calls the payment provider); one query says which members
        have any. The rest of the prepare phase runs for the whole group in one transaction
        that also records it (a savepoint per member: one member's failure is recorded on
        that job only). The outside phase (files, sessions, caches: nothing transactional)
        then runs member by member and is recorded for the group in one transaction.
        """
        from cinema.models import Booking

        preparing = [r for r in self.runners if r.job.phase == Phase.PREPARE]
        if preparing:
            with_bookings = set(
                Booking.objects.filter(
                    user_id__in=[r.user.pk for r in preparing if r.user.email],
                    status__in=Booking.ACTIVE_STATUSES,
                    showtime__starts_at__gt=timezone.now(),
                ).values_list("user_id", flat=True)
            )
            cancelled = {}
            for runner in preparing:
                try:
                    cancelled[runner.job.pk] = (
                        cancel_pending_bookings(runner.user)
                        if runner.user.pk in with_bookings
                        else 0
                    )
                except Exception as exc:  # e.g. a refund the provider refused: this job only
                    self.handled.add(runner.job.pk)
                    _mark_failed(runner.job.pk, runner.token, exc)
            preparing = [r for r in preparing if r.job.pk not in self.handled]
            self._record_phase(
                preparing,
                lambda r: r.prepare_effects(cancelled=cancelled[r.job.pk]),
                Phase.OUTSIDE,
                in_transaction=True,
            )
        outside = [
            r for r in self.runners if r.job.phase == Phase.OUTSIDE and r.job.pk not in self.handled
        ]
        signed_in = _with_sessions(outside)
        self._record_phase(
            outside,
            lambda r: r.outside_effects(sessions=r.user.pk in signed_in),
            Phase.WALK,
        )
        return [r for r in self.runners if r.job.pk not in self.handled]

    def _record_phase(self, runners, effects, phase: str, *, in_transaction: bool = False):
        """Run ``effects(runner)`` for each runner and record its fields with the move to
        ``phase``, in one transaction for the group (the effects too, if
        ``in_transaction``). A runner whose effects fail is marked failed."""
        values: dict[int, dict] = {}
        failed: list[tuple[_Runner, Exception]] = []

        def run_effects(candidates):
            ok = []
            for runner in candidates:
                try:
                    if in_transaction:
                        with transaction.atomic():
                            fields = effects(runner)
                    else:
                        fields = effects(runner)
                except Exception as exc:  # recorded on the job below, and logged
                    failed.append((runner, exc))
                    continue
                values[runner.job.pk] = {"phase": phase, **_CHECKPOINT_RESET, **fields}
                ok.append(runner)
            return ok

        if not runners:
            return
        done = [] if in_transaction else run_effects(runners)
        with transaction.atomic():
            live = self._lock(runners)
            if in_transaction:
                done = run_effects(live)
            done = [r for r in done if r in live]
            self._save(done, values)
        self._apply(done, values)
        for runner, exc in failed:
            self.handled.add(runner.job.pk)
            _mark_failed(runner.job.pk, runner.token, exc)

    # -- walk --

    def _small(self, runners: list[_Runner]) -> list[_Runner]:
        """The members whose every model's rows fit in one batch (one census query for
        all); the others are left to run alone (cut into key ranges)."""
        if not runners:
            return []
        policies = [p for p in walk_order() if p.subject != "self"]
        self.counts = census_many([r.user for r in runners], policies)
        limits = {
            p.label: batch_size_for(p) for p in policies if _changes_rows(plan_item(p, count=False))
        }
        small = []
        for runner in runners:
            mine = {label: c.get(runner.user.pk, 0) for label, c in self.counts.items()}
            if sum(mine.values()) <= app_settings.ERASURE_BATCH_SIZE and all(
                mine.get(label, 0) <= limit for label, limit in limits.items()
            ):
                small.append(runner)
        return small

    def _packs(self, runners: list[_Runner]) -> list[list[_Runner]]:
        """``runners`` cut into packs of up to a batch of rows (and of rows read into the
        worker); each pack is walked in one transaction and finished in another."""
        read = {p.label for p in registry.personal() if _reads_rows(plan_item(p, count=False))}
        packs: list[list[_Runner]] = [[]]
        rows = read_rows = 0
        for runner in runners:
            mine = {label: c.get(runner.user.pk, 0) for label, c in self.counts.items()}
            total, in_worker = sum(mine.values()), sum(mine.get(label, 0) for label in read)
            if packs[-1] and (
                rows + total > app_settings.ERASURE_BATCH_SIZE
                or read_rows + in_worker > PYTHON_BATCH_SIZE
            ):
                packs.append([])
                rows = read_rows = 0
            packs[-1].append(runner)
            rows, read_rows = rows + total, read_rows + in_worker
        return [pack for pack in packs if pack]

    def _walk_pack(self, runners: list[_Runner]) -> None:
        """The walk of a pack, in one transaction that also records every job's report."""
        policies = [p for p in walk_order() if p.subject != "self"]
        cascaded = with_account_labels()
        values: dict[int, dict] = {}
        with transaction.atomic():
            _relaxed_commit()
            live = self._lock(runners)
            if not live:
                return
            entries: dict[int, dict] = {r.job.pk: {} for r in live}
            for policy in policies:
                item = plan_item(policy, count=False)
                described = item.as_report()  # the same for every member
                counts = self.counts.get(policy.label, {})
                holders = [r for r in live if counts.get(r.user.pk)]
                later = policy.label in cascaded
                if holders and _changes_rows(item) and not later:
                    processed = self._apply_model(item, holders, counts)
                else:
                    processed = {r.job.pk: counts[r.user.pk] for r in holders}
                for runner in live:
                    entries[runner.job.pk][policy.label] = {
                        **described,
                        "rows": 0 if later else processed.get(runner.job.pk, 0),
                        "done": True,
                        **({WITH_ACCOUNT: True} if later else {}),
                    }
            for runner in live:
                report = runner.job.report
                models_report = {**report.get("models", {}), **entries[runner.job.pk]}
                values[runner.job.pk] = {
                    "report": {**report, "models": models_report},
                    "phase": Phase.FINISH,
                    **_CHECKPOINT_RESET,
                }
            self._save(live, values)
        self._apply(live, values)

    @staticmethod
    def _apply_model(item: PlanItem, holders: list[_Runner], counts: dict[int, int]) -> dict:
        """One model's rows of ``holders``: one statement when the registry's lookup can
        take them all, else one per member. Returns the rows per job."""
        policy, subject = item.policy, item.policy.subject
        rows = {r.job.pk: counts[r.user.pk] for r in holders}
        by_member = policy.locate is not None or not subject or subject == "self"
        # Kept rows get their own job's tombstone: one statement if the link is a column.
        by_member = by_member or (item.action != DELETE and item.tombstone and "__" in subject)
        if by_member:
            return {
                r.job.pk: r._apply(item, policy.rows_of(r.user), rows=rows[r.job.pk])
                for r in holders
            }
        batch = policy.model._default_manager.filter(
            **{f"{subject}__in": [r.user.pk for r in holders]}
        )
        if item.action == DELETE:
            batch.order_by().delete()
            return rows
        tombstone = None
        if item.tombstone:
            column = policy.model._meta.get_field(subject).attname
            tombstone = Case(
                *(When(**{column: r.user.pk}, then=Value(r.job.tombstone)) for r in holders),
                output_field=models.UUIDField(),
            )
        holders[0]._anonymize(policy, item, batch, tombstone=tombstone)
        return rows

    # -- finish --

    def _finish(self, runners: list[_Runner]) -> None:
        signed_in = _with_sessions(runners)
        late = {r.job.pk: r.late_outside(sessions=r.user.pk in signed_in) for r in runners}
        User = get_user_model()
        user_policy = registry.get(User)
        user_item = plan_item(user_policy, count=False)
        values: dict[int, dict] = {}
        with transaction.atomic():
            live = self._lock(runners)
            if not live:
                return
            finished = timezone.now()
            for runner in live:
                runner._send_final_email(runner.job)
            user_reports, cascaded = {}, {}
            if user_item.action == DELETE:
                # One cascade for all the accounts (one statement per related table). The
                # rows it deletes of the models the walk left to it are counted per member
                # first (one query).
                later = [
                    policy
                    for policy in registry.personal()
                    if any(
                        r.job.report.get("models", {}).get(policy.label, {}).get(WITH_ACCOUNT)
                        for r in live
                    )
                ]
                counts = census_many([r.user for r in live], later) if later else {}
                for runner in live:
                    cascaded[runner.job.pk] = {
                        label: per_member.get(runner.job.user_id, 0)
                        for label, per_member in counts.items()
                    }
                accounts = User._default_manager.filter(pk__in=[r.job.user_id for r in live])
                existing = set(accounts.values_list("pk", flat=True))
                accounts.delete()
                for runner in live:
                    user_reports[runner.job.pk] = {
                        **user_item.as_report(),
                        "rows": int(runner.job.user_id in existing),
                        "done": True,
                    }
            else:
                for runner in live:
                    user_reports[runner.job.pk], cascaded[runner.job.pk] = runner._erase_user_row(
                        user_policy
                    )
            journal = {r.job.pk: _Runner._journal_values(r.job, erased_at=finished) for r in live}
            # The file first, one write and fsync for the group, then the commit: a job
            # is never done without its line (a crash in between leaves lines naming
            # erasures that their next attempt completes; readers keep one per tombstone).
            append_journal_lines([(r.job.tombstone, journal[r.job.pk]) for r in live])
            entries = _journal_rows({r.job.tombstone: journal[r.job.pk] for r in live})
            done = {}
            for runner in live:
                done[runner.job.pk] = copy.copy(runner.job)
                _Runner._mark_done(
                    done[runner.job.pk],
                    user_policy.label,
                    user_reports[runner.job.pk],
                    late=late[runner.job.pk],
                    finished=finished,
                    cascaded=cascaded[runner.job.pk],
                )
                values[runner.job.pk] = {n: getattr(done[runner.job.pk], n) for n in _DONE_FIELDS}
            self._save(live, values)
            for runner in live:
                runner._close_request(runner.job)
            # Last: the audit chain's head stays locked until the commit.
            audit.record_many(
                _Runner._audit_done(done[r.job.pk], journal_id=entries[r.job.tombstone])
                for r in live
            )
        self._apply(live, values)
        for runner in live:
            _delete_files(runner.job.state.get("files", []))
            logger.info("erasure.done job_id=%s", runner.job.pk)
            self.handled.add(runner.job.pk)
            self.done.append(runner.job)


_DONE_FIELDS = ("report", "status", "finished_at", "checkpoint_model", "checkpoint_pk")


def held_user_ids(user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` are under a legal hold in force (``under_legal_hold``, one
    query for all)."""
    from django.apps import apps
    from django.core.exceptions import FieldError

    user_ids = [user_id for user_id in user_ids if user_id is not None]
    if not user_ids:
        return set()
    try:
        hold = apps.get_model("privacy", "RetentionHold")
    except LookupError:
        return set()
    now = timezone.now()
    try:
        return set(
            hold.objects.filter(user_id__in=user_ids, lifted_at__isnull=True)
            .filter(Q(until__isnull=True) | Q(until__gt=now))
            .values_list("user_id", flat=True)
        )
    except FieldError:  # a different shape of hold model: do not guess
        return set()


def _with_sessions(runners) -> set[int]:
    """Ids of the members among ``runners`` with a session in allauth's index (one query)."""
    from allauth.usersessions.models import UserSession

    ids = [r.user.pk for r in runners if r.user.pk is not None]
    return set(UserSession.objects.filter(user_id__in=ids).values_list("user_id", flat=True))


def _addresses_of_many(users) -> dict[int, list[str]]:
    """``addresses_of`` for several members, in one query."""
    from allauth.account.models import EmailAddress

    found = {u.pk: ([u.email.lower()] if u.email else []) for u in users}
    rows = (
        EmailAddress.objects.filter(user_id__in=list(found))
        .order_by("pk")
        .values_list("user_id", "email")
    )
    for user_id, address in rows:
        if address and address.lower() not in found[user_id]:
            found[user_id].append(address.lower())
    return found


def census_many(users, policies: list[ModelPolicy]) -> dict[str, dict[int, int]]:
    """``census`` for several members in one query: {label: {user id: rows}} (no zeros).

    Models reached by a lookup are counted for all the members at once (``GROUP BY`` the
    member); models found by a ``locate`` callable, member by member.
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    pks = [u.pk for u in users]
    parts, params, labels = [], [], []
    for index, policy in enumerate(policies):
        subject = policy.subject
        if policy.locate is None and subject and subject != "self":
            grouped = (
                policy.model._default_manager.filter(**{f"{subject}__in": pks})
                .order_by()
                .values(census_who=F(subject))
                .annotate(census_rows=models.Count("pk"))
                .values_list("census_who", "census_rows")
            )
            try:
                sql, part_params = grouped.query.get_compiler(using=grouped.db).as_sql()
            except EmptyResultSet:
                continue
            parts.append(
                f"SELECT {index} AS m, census_who AS who, census_rows AS n "  # noqa: S608
                f"FROM ({sql}) AS census_{index}"
            )
            params.extend(part_params)
        else:
            for user in users:
                rows = policy.rows_of(user).order_by().values("pk")
                try:
                    sql, part_params = rows.query.get_compiler(using=rows.db).as_sql()
                except EmptyResultSet:
                    continue
                parts.append(
                    f"SELECT {index} AS m, %s AS who, "  # noqa: S608
                    f"(SELECT COUNT(*) FROM ({sql}) AS census_{index}_{len(parts)}) AS n"
                )
                params.extend([user.pk, *part_params])
        labels.append(policy.label)
    counts: dict[str, dict[int, int]] = {}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for index, who, rows in cursor.fetchall():
                if rows:
                    counts.setdefault(policies[index].label, {})[who] = rows
    return counts


def _journal_rows(values: dict) -> dict:
    """Write the journal rows ``{tombstone: values}`` (those already there are kept: a
    rerun's); return ``{tombstone: row id}``. One INSERT and one read, for any number."""
    ErasureJournal.objects.bulk_create(
        [ErasureJournal(tombstone=tombstone, **fields) for tombstone, fields in values.items()],
        ignore_conflicts=True,
    )
    return dict(
        ErasureJournal.objects.filter(tombstone__in=list(values)).values_list("tombstone", "pk")
    )


def _relaxed_commit() -> None:
    """Let this transaction commit without waiting for its WAL flush (PostgreSQL).

    For the batches only: a batch and its checkpoint commit together, so a crash that loses
    the last few commits loses both, and the rerun does that work again. The final
    transaction (account row, journal, job done) commits durably as usual.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


_CHECKPOINT_RESET = {"checkpoint_model": "", "checkpoint_pk": "", "checkpoint_rows": 0}
# Report entries of models left to the account row's cascade carry this key until the
# finish phase writes the rows the cascade deleted.
WITH_ACCOUNT = "with_account"


def with_account_labels() -> set[str]:
    """Models the walk leaves to the account row's deletion, which cascades to them anyway.

    A ``Delete`` model linked to the account by a foreign key of its own with
    ``on_delete=CASCADE``, that Django deletes in one statement (no cascades or signals of
    its own), when the account row itself is deleted. Deleting such rows in the walk and
    then again (finding nothing) in the cascade would make the database pass over them
    twice; the finish phase deletes them once, with the account, in its transaction.
    """
    User = get_user_model()
    user_policy = registry.get(User)
    if user_policy is None or plan_item(user_policy, count=False).action != DELETE:
        return set()
    labels = set()
    for policy in registry.personal():
        subject = policy.subject
        if policy.locate is not None or not subject or subject == "self" or "__" in subject:
            continue
        item = plan_item(policy, count=False)
        if item.action != DELETE or _reads_rows(item):
            continue
        model_field = policy.model._meta.get_field(subject)
        if (
            getattr(model_field, "many_to_one", False) or getattr(model_field, "one_to_one", False)
        ) and (
            model_field.remote_field.model is User
            and model_field.remote_field.on_delete is models.CASCADE
        ):
            labels.add(policy.label)
    return labels


def _changes_rows(item: PlanItem) -> bool:
    """Whether erasure writes to the model's rows (else they are only counted)."""
    return item.action == DELETE or bool(item.changes or item.tombstone)


def _reads_rows(item: PlanItem) -> bool:
    """Whether processing the model's rows reads them into the worker: a Python-computed
    anonymization method, or a delete Django must collect (cascades, signals)."""
    if item.action == DELETE:
        return not Collector(using="default").can_fast_delete(item.policy.model)
    return any(method in anonymize.PYTHON_METHODS for method in item.changes.values())


def _estimated_rows(queryset: models.QuerySet) -> int | None:
    """The planner's estimate of the rows of ``queryset`` (PostgreSQL; else None).

    Only a hint for the size of a transaction: from the table's statistics, so a member
    who grew since the last ANALYZE may be underestimated (one longer statement, no other
    effect).
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connections

    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def batch_size_for(policy: ModelPolicy, item: PlanItem | None = None) -> int:
    """Rows of one model per batch: ``PRIVACY_ERASURE_BATCH_SIZE``, and at most
    ``PYTHON_BATCH_SIZE`` when the rows pass through the worker."""
    item = item or plan_item(policy, count=False)
    size = max(1, app_settings.ERASURE_BATCH_SIZE)
    return min(size, PYTHON_BATCH_SIZE) if _reads_rows(item) else size


def registry_model_verbose_plural(label: str) -> str:
    """The plural name members read for a model (the registry's, else the model's own)."""
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except LookupError:
        return ""
    policy = registry.get(model)
    return policy.display_name if policy else str(model._meta.verbose_name_plural)


def _why_text(label: str) -> str:
    from django.apps import apps

    try:
        policy = registry.get(apps.get_model(label))
    except LookupError:
        return ""
    return plan_item(policy, count=False).why if policy else ""


# --- Bookings, addresses, files -----------------------------------------------------------


def cancel_pending_bookings(user, *, now: datetime | None = None) -> int:
    """Cancel (and refund) the member's bookings whose showtime has not started; return how many."""
    from cinema.models import Booking
    from cinema.services import booking as booking_service

    now = now or timezone.now()
    pending = Booking.objects.filter(
        user_id=user.pk, status__in=Booking.ACTIVE_STATUSES, showtime__starts_at__gt=now
    ).values_list("pk", flat=True)
    cancelled = 0
    for booking_id in list(pending):
        try:
            booking_service.cancel_booking(
                user, booking_id=booking_id, actor=None, now=now, because="account_deletion"
            )
        except (booking_service.BookingError, Booking.DoesNotExist):
            continue  # started or cancelled meanwhile
        cancelled += 1
    return cancelled


def addresses_of(user) -> list[str]:
    """The member's email addresses, lower-cased, the account's own first."""
    from allauth.account.models import EmailAddress

    found = []
    if user.email:
        found.append(user.email.lower())
    if user.pk is not None:
        for address in EmailAddress.objects.filter(user_id=user.pk).values_list("email", flat=True):
            if address and address.lower() not in found:
                found.append(address.lower())
    return found


def _files_of(user) -> list[str]:
    """Storage names of the member's files: avatar (media storage) and exports (export dir)."""
    from privacy.models import DataExport

    names = []
    avatar = getattr(user, "avatar", None)
    if avatar and avatar.name:
        names.append(f"media:{avatar.name}")
    if user.pk is not None:
        for public_id, file_name in DataExport.objects.filter(user_id=user.pk).values_list(
            "public_id", "file_name"
        ):
            if file_name:
                names.append(f"export:{file_name}")
            names.append(f"export-id:{public_id.hex}")
            names.append(f"export-id:{public_id}")
    return names


def _export_dir() -> Path:
    return Path(app_settings.EXPORT_DIR)


def _delete_files(names: list[str]) -> int:
    """Delete the files ``names`` (``media:``, ``export:`` or ``export-id:`` prefixed)."""
    removed = 0
    export_dir = _export_dir()
    for name in names:
        kind, _sep, value = name.partition(":")
        if kind == "media":
            storage = _avatar_storage()
            if storage.exists(value):
                storage.delete(value)
                removed += 1
        elif kind == "export":
            path = _inside(export_dir, value)
            if path is not None and path.is_file():
                path.unlink()
                removed += 1
        elif kind == "export-id" and export_dir.is_dir():
            # Temporary and final files of an export carry its id in their name.
            for path in export_dir.rglob(f"*{value}*"):
                if path.is_file():
                    path.unlink()
                    removed += 1
    return removed


def _avatar_storage():
    return get_user_model()._meta.get_field("avatar").storage


def _inside(folder: Path, name: str) -> Path | None:
    """``folder / name`` if it stays inside ``folder`` (names come from the database)."""
    path = (folder / name).resolve()
    try:
        path.relative_to(folder.resolve())
    except ValueError:
        return None
    return path


def end_sessions(user) -> int:
    """End every session of ``user`` through allauth's per-member index; return how many.

    ``UserSession.end()`` deletes the session from whichever session engine is configured
    (database, cache, files) and then the index row: no scan of the session store.
    """
    from allauth.usersessions.models import UserSession

    ended = 0
    for user_session in UserSession.objects.filter(user_id=user.pk):
        user_session.end()
        ended += 1
    return ended


def remove_outside(
    user, *, files: list[str], addresses: list[str], sessions: bool = True
) -> dict[str, int]:
    """Remove what the member left outside the declared tables; return counts per kind.

    ``sessions=False``: the caller found that the member has none (one query for many).
    """
    from accounts.services import avatar as avatar_service
    from privacy.services import forget, tracking

    counts = {
        "sessions": end_sessions(user) if user.pk is not None and sessions else 0,
        "buffered_events": tracking.discard_buffered_events(user_id=user.pk),
        "files": _delete_files(files),
        "cache_entries": forget.purge_cache(user, addresses=addresses),
        "celery_results": forget.purge_celery_results(addresses),
    }
    if getattr(user, "avatar", None) and user.avatar.name and not user._state.adding:
        # The file went above; this clears the reference (and would delete a file that
        # appeared since, after the commit).
        avatar_service.remove_avatar(user, actor=user)
    return counts


# --- Journal and replay -------------------------------------------------------------------


def email_hashes_of(user) -> set[str]:
    """Keyed hashes of the member's email addresses (as the journal stores them)."""
    return {
        suppression.hash_value(channel=suppression.EMAIL, value=address)
        for address in addresses_of(user)
    }


def journal_entries_of(user):
    """Return the journal entries whose email hashes match the member's current addresses.

    Matching is by email only: an address belongs to one account, while two members may
    share a phone number (a family), so a phone hash alone must never pick an account.
    """
    hashes = email_hashes_of(user)
    if not hashes:
        return ErasureJournal.objects.none()
    condition = Q(email_hash__in=hashes)
    for value in hashes:
        condition |= Q(other_hashes__contains=value)
    return ErasureJournal.objects.filter(condition)


def append_journal_file(tombstone, *, email_hash, phone_hash, other_hashes, erased_at) -> None:
    """Append one journal line to ``PRIVACY_ERASURE_JOURNAL_FILE`` (if set) and fsync it."""
    append_journal_lines(
        [
            (
                tombstone,
                {
                    "email_hash": email_hash,
                    "phone_hash": phone_hash,
                    "other_hashes": other_hashes,
                    "erased_at": erased_at,
                },
            )
        ]
    )


def append_journal_lines(entries: list[tuple]) -> None:
    """Append ``(tombstone, values)`` journal lines to ``PRIVACY_ERASURE_JOURNAL_FILE``.

    One ``write`` of all the lines (appends are atomic, so lines of concurrent workers never
    interleave) and one ``fsync`` before returning: the callers commit "done" only after
    this returns, so no erasure reported done is missing from the file.
    """
    path = app_settings.ERASURE_JOURNAL_FILE
    if not path or not entries:
        return
    lines = [
        json.dumps(
            {
                "tombstone": str(tombstone),
                "email_hash": values["email_hash"],
                "phone_hash": values["phone_hash"],
                "other_hashes": values["other_hashes"].split(),
                "erased_at": values["erased_at"].isoformat(),
            },
            sort_keys=True,
        )
        for tombstone, values in entries
    ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, ("\n".join(lines) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class JournalRecord:
    tombstone: str
    email_hash: str
    phone_hash: str
    other_hashes: list[str]
    erased_at: datetime

    @property
    def email_hashes(self) -> set[str]:
        return {h for h in [self.email_hash, *self.other_hashes] if h}


def read_journal(*, since: datetime, journal_file: str | Path | None = None) -> list[JournalRecord]:
    """Journal entries erased at or after ``since``: the table and the file, without repeats."""
    records: dict[str, JournalRecord] = {}
    for entry in ErasureJournal.objects.filter(erased_at__gte=since).order_by("erased_at"):
        records[str(entry.tombstone)] = JournalRecord(
            str(entry.tombstone),
            entry.email_hash,
            entry.phone_hash,
            entry.other_hashes.split(),
            entry.erased_at,
        )
    path = Path(journal_file) if journal_file else None
    if path is None and app_settings.ERASURE_JOURNAL_FILE:
        path = Path(app_settings.ERASURE_JOURNAL_FILE)
    if path is not None and path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(line)
                erased_at = datetime.fromisoformat(data["erased_at"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line after a crash
            if erased_at < since:
                continue
            records.setdefault(
                data["tombstone"],
                JournalRecord(
                    data["tombstone"],
                    data.get("email_hash", ""),
                    data.get("phone_hash", ""),
                    list(data.get("other_hashes", [])),
                    erased_at,
                ),
            )
    return sorted(records.values(), key=lambda r: r.erased_at)


@dataclass
class ReplayResult:
    entries: int = 0
    journal_restored: int = 0
    erased: list[tuple[str, int]] = field(default_factory=list)  # (tombstone, job id)


def replay_erasures(
    *, since: datetime, journal_file: str | Path | None = None, dry_run: bool = False
) -> ReplayResult:
    """Erase again every account that a journalled erasure since ``since`` had erased.

    For use right after a database backup is restored: the restored data predates those
    erasures. Accounts are matched by the keyed hashes of their email addresses and phone
    number; each match is erased at once (no grace period), reusing the original tombstone
    so kept records line up with the first erasure. Journal entries missing from the table
    (rolled back by the restore) are put back from the file. Idempotent: a second run finds
    nothing to erase.
    """
    from allauth.account.models import EmailAddress

    result = ReplayResult()
    records = read_journal(since=since, journal_file=journal_file)
    result.entries = len(records)
    # Email hashes only: a phone number may be shared by several members.
    by_hash = {h: record for record in records for h in record.email_hashes}
    if not dry_run:
        for record in records:
            _created = ErasureJournal.objects.get_or_create(
                tombstone=record.tombstone,
                defaults={
                    "email_hash": record.email_hash,
                    "phone_hash": record.phone_hash,
                    "other_hashes": " ".join(record.other_hashes),
                    "erased_at": record.erased_at,
                },
            )[1]
            result.journal_restored += int(_created)
    if not by_hash:
        return result
    User = get_user_model()
    matches: dict[int, JournalRecord] = {}
    for pk, email in User.objects.values_list("pk", "email").iterator(chunk_size=2000):
        try:
            record = by_hash.get(suppression.hash_value(channel=suppression.EMAIL, value=email))
        except ValueError:
            continue
        if record is not None:
            matches.setdefault(pk, record)
    for user_id, email in EmailAddress.objects.values_list("user_id", "email").iterator(
        chunk_size=2000
    ):
        try:
            record = by_hash.get(suppression.hash_value(channel=suppression.EMAIL, value=email))
        except ValueError:
            continue
        if record is not None:
            matches.setdefault(user_id, record)
    for user_id, record in sorted(matches.items()):
        if dry_run:
            result.erased.append((record.tombstone, 0))
            continue
        job = _replay_one(user_id, record)
        result.erased.append((record.tombstone, job.pk))
    return result


def _replay_one(user_id: int, record: JournalRecord) -> ErasureJob:
    import uuid

    User = get_user_model()
    user = User.objects.get(pk=user_id)
    tombstone = uuid.UUID(record.tombstone)
    now = timezone.now()
    with transaction.atomic():
        # A backup taken during the grace period holds the job itself: run it now.
        job = ErasureJob.objects.filter(tombstone=tombstone).first()
        if job is None or job.status in (Status.DONE, Status.CANCELLED):
            if job is not None:  # the restored job says done/cancelled: start a fresh one
                ErasureJob.objects.filter(pk=job.pk).update(tombstone=uuid.uuid4())
            existing = active_job(user)
            if existing is not None:
                job = existing
            else:
                try:
                    job = ErasureJob.objects.create(
                        tombstone=tombstone,
                        user_id=user.pk,
                        source=Source.REPLAY,
                        reason="replay after backup restore",
                        request=_open_erasure_request(user, source=Source.REPLAY),
                        requested_at=now,
                        due_at=now,
                        deadline=deadlines.due_at("erasure", now),
                    )
                except IntegrityError:
                    job = active_job(user)
        ErasureJob.objects.filter(pk=job.pk, status=Status.SCHEDULED).update(due_at=now)
        User.objects.filter(pk=user.pk).update(is_active=False)
        audit.record(
            audit.Action.ERASURE_SCHEDULED, actor=None, subject=user.pk, target=job, source="replay"
        )
    logger.info("erasure.replayed job_id=%s", job.pk)
    return run_erasure(job.pk) or ErasureJob.objects.get(pk=job.pk)


# --- Sweeping -----------------------------------------------------------------------------


def purge_undelivered_notices(*, now: datetime | None = None) -> int:
    """Delete final "account erased" emails still in the outbox after the notice window."""
    from cinema.models import OutboundEmail

    now = now or timezone.now()
    cutoff = now - app_settings.ERASURE_NOTICE_WINDOW
    stale = [
        pk
        for pk, payload in OutboundEmail.objects.filter(created_at__lt=cutoff).values_list(
            "pk", "payload"
        )
        if (payload.get("headers") or {}).get(NOTICE_HEADER) == NOTICE_VALUE
    ]
    deleted, _rows = OutboundEmail.objects.filter(pk__in=stale).delete()
    return deleted


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
