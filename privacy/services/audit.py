"""Appending to and verifying the hash-chained audit log (privacy.models.AuditEntry).

``record()`` is the only writer. It locks the chain head, computes the new entry's hash
over its fields and the previous hash, and moves the head, all in the caller's
transaction: if the action it records rolls back, so does its entry. Only ids and counts
go in: never a name, an address or free text a person wrote.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from privacy.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
ALLOWED_DETAIL_TYPES = (int, float, bool, type(None))


class Action:
    """Names of the audited actions (free strings are allowed, these are the common ones)."""

    STAFF_VIEWED = "staff.viewed"  # a staff member opened a member's record in the admin
    STAFF_CHANGED = "staff.changed"
    STAFF_EXPORTED = "staff.exported"
    REQUEST_OPENED = "request.opened"
    REQUEST_STATUS = "request.status"
    REQUEST_EXTENDED = "request.extended"
    REQUEST_VERIFIED = "request.verified"
    EXPORT_BUILT = "export.built"
    EXPORT_DOWNLOADED = "export.downloaded"
    RESTRICTION_ON = "restriction.on"
    RESTRICTION_OFF = "restriction.off"
    OBJECTION = "objection"
    BREACH_RECORDED = "breach.recorded"
    BREACH_NOTIFIED = "breach.notified"
    ERASURE_SCHEDULED = "erasure.scheduled"
    ERASURE_CANCELLED = "erasure.cancelled"
    ERASURE_DONE = "erasure.done"
    RETENTION_RUN = "retention.run"
    RETENTION_CHANGED = "retention.changed"


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


def entry_hash(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.pk,
            entry.at.isoformat(),
            entry.actor_id,
            entry.action,
            entry.subject_id,
            entry.object_type,
            entry.object_id,
            entry.details,
            entry.prev_hash,
        ],
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
    numbers and short codes only.
    """
    if target is not None:
        object_type = target._meta.label_lower
        object_id = target.pk
    _check_details(details)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            id=head.last_id + 1,
            at=timezone.now(),
            actor_id=_id_of(actor),
            action=action,
            subject_id=_id_of(subject),
            object_type=object_type,
            object_id=str(object_id) if object_id != "" else "",
            details=details,
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(entry)
        entry.save(force_insert=True)
        head.last_id = entry.pk
        head.last_hash = entry.hash
        head.save(update_fields=["last_id", "last_hash"])
    return entry


@dataclass(frozen=True)
class Problem:
    entry_id: int
    message: str

    def __str__(self):
        return f"#{self.entry_id}: {self.message}"


def verify(*, chunk_size: int = 5000) -> tuple[int, list[Problem]]:
    """Walk the whole chain; return (entries checked, problems found).

    Detects an edited entry (its hash no longer matches), a deleted or inserted entry (a
    gap in the ids or a broken link to the previous hash), and a truncated tail (the head
    points past the last entry).
    """
    problems: list[Problem] = []
    head = AuditChainHead.objects.filter(pk=1).first()
    first_id = head.first_id if head else 1
    expected_prev = head.first_prev_hash if head else GENESIS
    previous_id = first_id - 1
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=chunk_size):
        checked += 1
        if entry.pk != previous_id + 1:
            problems.append(
                Problem(entry.pk, f"entries #{previous_id + 1} to #{entry.pk - 1} are missing")
            )
        elif entry.prev_hash != expected_prev:
            problems.append(Problem(entry.pk, "does not link to the previous entry"))
        if entry_hash(entry) != entry.hash:
            problems.append(Problem(entry.pk, "was changed after it was written"))
        expected_prev = entry.hash
        previous_id = entry.pk
    if head is not None and head.last_id != previous_id:
        problems.append(
            Problem(head.last_id, f"the log ends at #{previous_id}: later entries are gone")
        )
    return checked, problems
