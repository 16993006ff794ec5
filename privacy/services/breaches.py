"""The data-breach register: record an incident, list who it affected, tell them.

Staff record a breach in the admin; its deadline to notify the authority is computed from
when it was discovered (``PRIVACY_BREACH_NOTIFICATION_DEADLINE``: "72 hours" under GDPR
Art. 33, "1 business day" in Kazakhstan) and shown counting down. Leak reports (privacy
requests of type ``leak_report``) can be linked to it. Affected members are added by
pasting their member ids or email addresses.

Telling the affected members is one action: ``start_member_notification`` enqueues the
``privacy.notify_breach_members`` task after commit, which emails every member not yet
told, in batches of ``PRIVACY_BREACH_NOTIFY_BATCH_SIZE``, each batch one transaction that
queues the emails (outbox) and stamps ``notified_at``. A rerun, a duplicate message or a
worker killed mid-way therefore mails nobody twice and nobody is forgotten.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cinema.mail import send_templated_email
from privacy.app_settings import app_settings
from privacy.models import BreachAffectedMember, DataBreach
from privacy.registry import Category
from privacy.services import audit, deadlines

logger = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"[\s,;]+")


# --- Recording ----------------------------------------------------------------------------


def save_breach(breach: DataBreach, *, actor, changed_fields: list[str] | None = None) -> None:
    """Save a new or edited breach; its notification deadline follows its discovery time.

    A new breach is stamped with who recorded it and audited as ``breach.recorded``; an
    edit is audited as ``breach.changed`` with the names of the changed fields.
    """
    creating = breach.pk is None
    breach.notification_due_at = deadlines.breach_notification_due(breach.discovered_at)
    with transaction.atomic():
        if creating:
            breach.recorded_by = actor
            breach.recorded_at = timezone.now()
        breach.save()
        if creating:
            audit.record(audit.Action.BREACH_RECORDED, actor=actor, target=breach)
        else:
            audit.record(
                audit.Action.BREACH_CHANGED,
                actor=actor,
                target=breach,
                fields=sorted(changed_fields or []),
            )


@dataclass
class MemberList:
    """Members found in pasted text, and the pieces of text that named nobody."""

    members: list = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def find_members(text: str) -> MemberList:
    """Return the members named in ``text`` by id or email address, and what matched nobody.

    Entries are separated by spaces, commas, semicolons or new lines; ``#42`` and ``42``
    are member ids; anything with an ``@`` is an address, compared without regard to case
    with members' sign-in addresses. Duplicates count once; order is kept.
    """
    tokens = [t for t in _SEPARATORS.split(text or "") if t]
    ids, emails = set(), set()
    for token in tokens:
        if "@" in token:
            emails.add(token.lower())
        elif token.lstrip("#").isdigit():
            ids.add(int(token.lstrip("#")))
    User = get_user_model()
    found = []
    if ids or emails:
        # Addresses are stored as typed: compare them without regard to case.
        found = list(
            User.objects.annotate(email_lower=Lower("email")).filter(
                Q(pk__in=ids) | Q(email_lower__in=emails)
            )
        )
    by_id = {user.pk: user for user in found}
    by_email = {user.email.lower(): user for user in found}
    result = MemberList()
    seen = set()
    for token in tokens:
        if "@" in token:
            user = by_email.get(token.lower())
        elif token.lstrip("#").isdigit():
            user = by_id.get(int(token.lstrip("#")))
        else:
            user = None
        if user is None:
            if token not in result.unknown:
                result.unknown.append(token)
        elif user.pk not in seen:
            seen.add(user.pk)
            result.members.append(user)
    return result


def add_affected_members(breach: DataBreach, members, *, actor) -> int:
    """Link ``members`` to ``breach`` (once each); return how many were new."""
    member_ids = {member.pk for member in members}
    with transaction.atomic():
        existing = set(
            BreachAffectedMember.objects.filter(breach=breach, user_id__in=member_ids).values_list(
                "user_id", flat=True
            )
        )
        new = sorted(member_ids - existing)
        BreachAffectedMember.objects.bulk_create(
            [BreachAffectedMember(breach=breach, user_id=pk) for pk in new],
            ignore_conflicts=True,
        )
        if new:
            audit.record(
                audit.Action.BREACH_MEMBERS_ADDED, actor=actor, target=breach, count=len(new)
            )
    return len(new)


# --- Deadline -----------------------------------------------------------------------------


def countdown(breach: DataBreach, *, now: datetime | None = None) -> str:
    """Return the notification deadline as staff read it: "due in 41 h", "overdue by 3 h"."""
    if breach.authority_notified_at is not None:
        return _("authority notified")
    if breach.notification_due_at is None:
        return ""
    seconds = (breach.notification_due_at - (now or timezone.now())).total_seconds()
    span = _span(abs(seconds))
    if seconds >= 0:
        return _("due in %(span)s") % {"span": span}
    return _("overdue by %(span)s") % {"span": span}


def _span(seconds: float) -> str:
    hours = int(seconds // 3600)
    if hours >= 72:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if hours >= 1:
        return _("%(count)d h") % {"count": hours}
    return _("%(count)d min") % {"count": int(seconds // 60)}


def is_overdue(breach: DataBreach, *, now: datetime | None = None) -> bool:
    return (
        breach.authority_notified_at is None
        and breach.notification_due_at is not None
        and breach.notification_due_at < (now or timezone.now())
    )


# --- Telling the members ------------------------------------------------------------------


def start_member_notification(breach: DataBreach, *, actor) -> int:
    """Enqueue the emails to the breach's affected members not yet told; return how many.

    The task is sent once the caller's transaction commits; it does the sending.
    """
    from privacy import tasks

    pending = BreachAffectedMember.objects.filter(breach=breach, notified_at__isnull=True).count()
    if pending:
        breach_id, actor_id = breach.pk, getattr(actor, "pk", None)
        transaction.on_commit(
            lambda: tasks.notify_breach_members.delay(breach_id, actor_id=actor_id)
        )
    return pending


@dataclass(frozen=True)
class NotifyResult:
    notified: int
    remaining: int


def notify_affected_members(
    breach_id: int, *, actor_id: int | None = None, batch_size: int | None = None
) -> NotifyResult:
    """Email every affected member of the breach not told yet (idempotent, batched).

    Each batch is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` so two workers never
    mail the same member, and commits its emails (queued in the outbox) together with
    ``notified_at``. When nobody is left, ``members_notified_at`` is set and the run is
    audited (``breach.notified``, with the count).
    """
    batch_size = batch_size or app_settings.BREACH_NOTIFY_BATCH_SIZE
    breach = DataBreach.objects.filter(pk=breach_id).first()
    if breach is None:
        logger.warning("breach.notify.missing breach_id=%s", breach_id)
        return NotifyResult(0, 0)
    context = _notice_context(breach)
    notified = 0
    while True:
        with transaction.atomic():
            batch = list(
                BreachAffectedMember.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(breach_id=breach_id, notified_at__isnull=True)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            now = timezone.now()
            for affected in batch:
                member = affected.user
                send_templated_email(
                    "privacy_breach_notice",
                    to=member.email,
                    language=member.preferred_language,
                    context={**context, "member": member},
                )
                affected.notified_at = now
            BreachAffectedMember.objects.bulk_update(batch, ["notified_at"])
            notified += len(batch)
    remaining = BreachAffectedMember.objects.filter(
        breach_id=breach_id, notified_at__isnull=True
    ).count()
    if notified or (remaining == 0 and breach.members_notified_at is None):
        with transaction.atomic():
            if remaining == 0:
                DataBreach.objects.filter(pk=breach_id, members_notified_at__isnull=True).update(
                    members_notified_at=timezone.now()
                )
            audit.record(
                audit.Action.BREACH_NOTIFIED,
                actor=actor_id,
                target=breach,
                notified=notified,
                remaining=remaining,
            )
    logger.info(
        "breach.notify.done breach_id=%s notified=%s remaining=%s", breach_id, notified, remaining
    )
    return NotifyResult(notified, remaining)


def _notice_context(breach: DataBreach) -> dict:
    labels = {category.value: category.label for category in Category}
    return {
        "breach": breach,
        "categories": [labels.get(value, value) for value in breach.categories or []],
        "contact_url": settings.SITE_URL + reverse("privacy:contact"),
        "password_url": settings.SITE_URL + reverse("account_change_password"),
    }
