"""Appending to, verifying and pruning the hash-chained audit log (privacy.models.AuditEntry).

``record()`` and ``record_many()`` are the only writers. They lock the chain head,
compute each new entry's hash over its fields and the previous hash, and move the head,
all in the caller's transaction: if the action recorded rolls back, so do its entries.
Only ids and counts go in: never a name, an address or free text a person wrote.

Three layers keep the log honest:

- the hash chain: editing, deleting or inserting any row breaks it from there on, and
  ``verify()`` (``manage.py audit_verify``) names the entries where it breaks;
- on PostgreSQL, a trigger (migration ``privacy.0009``) rejects ``UPDATE`` and ``DELETE``
  on the table unless the transaction said ``SET LOCAL marquee.audit_prune = 'on'``,
  which only ``prune_before()`` does;
- the head row remembers the last id and hash, so cutting off the newest entries is
  noticed too.

A database superuser can still disable the trigger and rewrite the whole chain; the head
hash that ``audit_verify`` prints can be recorded elsewhere to detect even that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
ALLOWED_DETAIL_TYPES = (int, float, bool, type(None))
# The PostgreSQL setting the append-only trigger checks (migration privacy.0009).
PRUNE_SETTING = "marquee.audit_prune"
PRUNE_BATCH_SIZE = 5000


class Action:
    """Names of the audited actions (free strings are allowed, these are the common ones)."""

    STAFF_VIEWED = "staff.viewed"  # a staff member opened a member's record in the admin
    STAFF_LISTED = "staff.listed"  # a member's row was on an admin list a staff member saw
    STAFF_CHANGED = "staff.changed"
    STAFF_DELETED = "staff.deleted"
    STAFF_EXPORTED = "staff.exported"
    REQUEST_OPENED = "request.opened"
    REQUEST_STATUS = "request.status"
    REQUEST_EXTENDED = "request.extended"
    REQUEST_VERIFIED = "request.verified"
    REQUEST_ASSIGNED = "request.assigned"
    REQUEST_LINKED = "request.linked"  # a request sent without an account, attached to one
    EXPORT_REQUESTED = "export.requested"  # staff started a member's export for a request
    EXPORT_BUILT = "export.built"
    EXPORT_DOWNLOADED = "export.downloaded"
    RESTRICTION_ON = "restriction.on"
    RESTRICTION_OFF = "restriction.off"
    OBJECTION = "objection"
    BREACH_RECORDED = "breach.recorded"
    BREACH_CHANGED = "breach.changed"
    BREACH_MEMBERS_ADDED = "breach.members_added"
    BREACH_NOTIFIED = "breach.notified"
    ERASURE_SCHEDULED = "erasure.scheduled"
    ERASURE_CANCELLED = "erasure.cancelled"
    ERASURE_DONE = "erasure.done"
    RETENTION_RUN = "retention.run"
    RETENTION_CHANGED = "retention.changed"
    AUDIT_PRUNED = "audit.pruned"


# What the audit log's filter calls each action (privacy/admin/audit.py).
ACTION_LABELS = {
    Action.STAFF_VIEWED: gettext_lazy("Staff opened a member's record"),
    Action.STAFF_LISTED: gettext_lazy("Staff saw a member on a list"),
    Action.STAFF_CHANGED: gettext_lazy("Staff changed a record"),
    Action.STAFF_DELETED: gettext_lazy("Staff deleted a record"),
    Action.STAFF_EXPORTED: gettext_lazy("Staff exported a member's data"),
    Action.REQUEST_OPENED: gettext_lazy("Request received"),
    Action.REQUEST_STATUS: gettext_lazy("Request status changed"),
    Action.REQUEST_EXTENDED: gettext_lazy("Request deadline extended"),
    Action.REQUEST_VERIFIED: gettext_lazy("Requester's identity verified"),
    Action.REQUEST_ASSIGNED: gettext_lazy("Request assigned"),
    Action.REQUEST_LINKED: gettext_lazy("Request attached to a member"),
    Action.EXPORT_REQUESTED: gettext_lazy("Export started by staff"),
    Action.EXPORT_BUILT: gettext_lazy("Export built"),
    Action.EXPORT_DOWNLOADED: gettext_lazy("Export downloaded"),
    Action.RESTRICTION_ON: gettext_lazy("Processing restricted"),
    Action.RESTRICTION_OFF: gettext_lazy("Restriction lifted"),
    Action.OBJECTION: gettext_lazy("Objection recorded"),
    Action.BREACH_RECORDED: gettext_lazy("Breach recorded"),
    Action.BREACH_CHANGED: gettext_lazy("Breach changed"),
    Action.BREACH_MEMBERS_ADDED: gettext_lazy("Members added to a breach"),
    Action.BREACH_NOTIFIED: gettext_lazy("Members told of a breach"),
    Action.ERASURE_SCHEDULED: gettext_lazy("Erasure scheduled"),
    Action.ERASURE_CANCELLED: gettext_lazy("Erasure cancelled"),
    Action.ERASURE_DONE: gettext_lazy("Member erased"),
    Action.RETENTION_RUN: gettext_lazy("Retention run"),
    Action.RETENTION_CHANGED: gettext_lazy("Retention rule changed"),
    Action.AUDIT_PRUNED: gettext_lazy("Old audit entries pruned"),
}


def _check_details(details: dict) -> dict:
    for key, value in details.items():
        if isinstance(value, str):
            # Short codes only (a status, a type, a purpose key): never free text.
            if len(value) > 64 or " " in value or "@" in value:
                raise ValueError(f"Audit detail {key!r} looks like free text or an address.")
        elif isinstance(value, list | tuple):
            for item in value:
                _check_details({key: item})
        elif not isinstance(value, ALLOWED_DETAIL_TYPES):
            raise TypeError(f"Audit detail {key!r} must be an id, a number or a short code.")
    return details


# The fields an entry's hash covers, in order (the last one is the previous entry's hash).
HASHED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "action",
    "subject_id",
    "object_type",
    "object_id",
    "details",
    "prev_hash",
)


def entry_hash(entry: AuditEntry) -> str:
    """Return the SHA-256 of ``entry``'s fields and the hash it links to."""
    return _hash_values([getattr(entry, name) for name in HASHED_FIELDS])


def _hash_values(values) -> str:
    pk, at, *rest = values
    payload = json.dumps(
        [pk, at.isoformat(), *rest],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _id_of(who) -> int | None:
    if who is None:
        return None
    if isinstance(who, int):
        return who
    return getattr(who, "pk", None)


def subject_id_of(obj) -> int | None:
    """Return the id of the member whose data ``obj`` is, as the registry declares it.

    Follows the declaration's ``subject`` lookup (``"self"``, ``"user"``,
    ``"request__user"``); the last step reads the foreign key's column, so a direct link
    costs no query. None for rows reached another way or belonging to nobody.
    """
    from privacy.registry import registry

    policy = registry.get(type(obj))
    if policy is None or not policy.subject:
        return None
    if policy.subject == "self":
        return obj.pk
    *path, last = policy.subject.split("__")
    current = obj
    for name in path:
        current = getattr(current, name, None)
        if current is None:
            return None
    model_field = current._meta.get_field(last)
    return getattr(current, model_field.attname, None)


def record(
    action: str,
    *,
    actor=None,
    subject=None,
    target=None,
    object_type: str = "",
    object_id: str | int = "",
    **details,
) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` on ``subject``'s data (users or ids).

    ``target`` (a model instance) fills ``object_type``/``object_id``. ``details`` are ids,
    numbers and short codes only. The chain head stays locked until the caller's
    transaction ends, so every other writer waits that long: record late in a long
    transaction, and never around slow work (network calls, big batches).
    """
    [entry] = record_many(
        [
            Pending(
                action,
                actor=actor,
                subject=subject,
                target=target,
                object_type=object_type,
                object_id=object_id,
                details=details,
            )
        ]
    )
    return entry


@dataclass(frozen=True)
class Pending:
    """One entry for :func:`record_many`: the arguments :func:`record` takes."""

    action: str
    actor: object = None
    subject: object = None
    target: object = None
    object_type: str = ""
    object_id: str | int = ""
    details: dict = field(default_factory=dict)


def record_many(pending: Iterable[Pending]) -> list[AuditEntry]:
    """Append ``pending`` entries in order: one head lock and one INSERT for them all.

    Chained exactly as one :func:`record` call after another would chain them, with one
    time for the lot. Nothing is written if any entry's details are refused.
    """
    pending = list(pending)
    for item in pending:
        _check_details(item.details)
    if not pending:
        return []
    with transaction.atomic():
        head = _locked_head()
        now = timezone.now()
        last_id, last_hash = head.last_id, head.last_hash
        entries = []
        for item in pending:
            object_type, object_id = item.object_type, item.object_id
            if item.target is not None:
                object_type = item.target._meta.label_lower
                object_id = item.target.pk
            entry = AuditEntry(
                id=last_id + 1,
                at=now,
                actor_id=_id_of(item.actor),
                action=item.action,
                subject_id=_id_of(item.subject),
                object_type=object_type,
                object_id=str(object_id) if object_id != "" else "",
                details=item.details,
                prev_hash=last_hash,
            )
            entry.hash = entry_hash(entry)
            entries.append(entry)
            last_id, last_hash = entry.id, entry.hash
        AuditEntry.objects.bulk_create(entries)
        head.last_id, head.last_hash = last_id, last_hash
        head.save(update_fields=["last_id", "last_hash"])
    return entries


def _locked_head() -> AuditChainHead:
    # The head row is created by migration privacy.0009; get_or_create covers a database
    # flushed by tests. Concurrent writers queue on this row lock, one entry at a time.
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


# --- Verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    entry_id: int
    message: str

    def __str__(self):
        return f"#{self.entry_id}: {self.message}"


def verify(*, chunk_size: int = 5000) -> tuple[int, list[Problem]]:
    """Walk the whole chain; return (entries checked, problems found).

    Detects an edited entry (its hash no longer matches), a deleted or inserted entry (a
    gap in the ids or a broken link to the previous hash), a truncated tail (the head
    points past the last entry), rows added behind the log's back and a deleted head. On
    PostgreSQL the walk reads one snapshot, so appends running meanwhile do not disturb it
    (unless the caller is already inside a transaction).
    """
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction and connection.vendor == "postgresql":
            # One snapshot for the head and every entry, so a concurrent prune cannot
            # look like missing rows. Must be the transaction's first statement.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _verify(chunk_size)


def _verify(chunk_size: int) -> tuple[int, list[Problem]]:
    problems: list[Problem] = []
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        first_id, expected_prev = 1, GENESIS
    else:
        first_id, expected_prev = head.first_id, head.first_prev_hash
    previous_id = first_id - 1
    checked = 0
    # Plain tuples, not model instances: the walk reads every row of a long log.
    rows = AuditEntry.objects.order_by("id").values_list(*HASHED_FIELDS, "hash")
    for row in rows.iterator(chunk_size=chunk_size):
        *values, stored_hash = row
        pk, prev_hash = values[0], values[-1]
        checked += 1
        if _hash_values(values) != stored_hash:
            problems.append(Problem(pk, _("was changed after it was written")))
        if pk < first_id:
            problems.append(Problem(pk, _("lies before the start of the chain")))
            continue
        if pk != previous_id + 1:
            missing = {"first": previous_id + 1, "last": pk - 1}
            problems.append(Problem(pk, _("entries #%(first)s to #%(last)s are missing") % missing))
        elif prev_hash != expected_prev:
            problems.append(Problem(pk, _("does not link to the previous entry")))
        expected_prev = stored_hash
        previous_id = pk
    if head is None:
        if checked:
            problems.append(Problem(previous_id, _("the chain head is missing")))
    elif head.last_id > previous_id:
        ends = _("the log ends at #%(id)s: later entries are gone") % {"id": previous_id}
        problems.append(Problem(head.last_id, ends))
    elif head.last_id < previous_id:
        extra = _("entries after #%(id)s were not written by the log") % {"id": head.last_id}
        problems.append(Problem(previous_id, extra))
    elif head.last_id >= head.first_id and head.last_hash != expected_prev:
        problems.append(Problem(head.last_id, _("does not match the hash the head recorded")))
    return checked, problems


def head_hash() -> tuple[int, str]:
    """Return the id and hash of the newest entry (record it elsewhere to detect rewrites)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.last_id, head.last_hash) if head else (0, GENESIS)


# --- Pruning ------------------------------------------------------------------------------


def prune_before(cutoff: datetime, *, batch_size: int = PRUNE_BATCH_SIZE, actor=None) -> int:
    """Delete the entries written before ``cutoff``; return how many were deleted.

    Destructive, for retention only. Deletes the oldest entries in id order, stopping at
    the first entry written at or after ``cutoff`` (so the kept part stays one unbroken
    chain), in batches of ``batch_size``, one short transaction each. Each batch moves the
    head's anchor (``first_id``, ``first_prev_hash``) to the first kept entry, so
    ``verify()`` still passes and still detects tampering with what is kept. The prune
    itself is then recorded as an entry (``audit.pruned``, with the count). Safe to run
    twice or to interrupt: every batch leaves a valid chain behind.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    # Where the kept part starts: the first entry written at or after the cutoff, or, if
    # there is none, just past the newest entry. Later appends only come after it.
    boundary = (
        AuditEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True)
    ).first()
    stop = boundary if boundary is not None else head_hash()[0] + 1
    deleted = 0
    while True:
        with transaction.atomic():
            _allow_prune()
            head = _locked_head()
            batch_end = min(stop, head.first_id + batch_size, head.last_id + 1)
            if batch_end <= head.first_id:
                break
            count, _ = AuditEntry.objects.filter(id__lt=batch_end).delete()
            if batch_end <= head.last_id:
                # A missing entry here means the chain was already broken: verify() says so.
                new_prev = (
                    AuditEntry.objects.filter(id=batch_end)
                    .values_list("prev_hash", flat=True)
                    .first()
                ) or ""
            else:
                new_prev = head.last_hash
            head.first_id = batch_end
            head.first_prev_hash = new_prev
            head.save(update_fields=["first_id", "first_prev_hash"])
            deleted += count
    if deleted:
        record(Action.AUDIT_PRUNED, actor=actor, deleted=deleted, first_kept=stop)
    return deleted


def _allow_prune() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {PRUNE_SETTING} = 'on'")
