"""Emailing every member about a material policy change, in batches that survive a kill.

Design: one ``PolicyNotification`` row per policy version holds a checkpoint, the id of
the last member whose email was queued. Members are taken in primary-key order, a batch
at a time (``pk > checkpoint ORDER BY pk LIMIT n``), each batch in one short transaction
that locks the row, queues the batch's emails in the outbox (cinema.mail) and moves the
checkpoint. Emails and checkpoint commit together or not at all, so a worker killed at
any point resumes after the last committed batch and no member is mailed twice; two
workers on the same version wait for each other on the row lock.

These are service messages: members get them whatever their marketing choices.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from cinema.mail import render_templated_email
from privacy.models import PolicyNotification, PolicyVersion
from privacy.services import policies

BATCH_SIZE = 500
# A task works through this many batches, then re-enqueues itself, so no single task
# runs anywhere near the broker's visibility timeout.
BATCHES_PER_TASK = 20
# An unfinished notification untouched this long lost its task; the sweeper resumes it.
STALE_AFTER = timedelta(minutes=15)
EMAIL_NAME = "policy_changed"

logger = logging.getLogger(__name__)


def recipients(version: PolicyVersion):
    """Return the members to tell about ``version``: those it applies to, who joined before.

    A version applies to members whose language it is written in; an English version
    also to members whose language has no published version of that document yet (they
    read the English one).
    """
    users = (
        get_user_model()
        .objects.filter(is_active=True, date_joined__lt=version.published_at)
        .exclude(email="")
    )
    if version.language != policies.FALLBACK_LANGUAGE:
        return users.filter(preferred_language=version.language)
    translated = set(
        PolicyVersion.objects.filter(document=version.document, published_at__isnull=False)
        .exclude(language=policies.FALLBACK_LANGUAGE)
        .values_list("language", flat=True)
    )
    return users.exclude(preferred_language__in=translated)


def render_policy_email(user, version: PolicyVersion) -> tuple[str, str, str]:
    """Return (subject, text, html) about ``version`` for ``user``, in the member's language."""
    site_url = getattr(settings, "SITE_URL", "").rstrip("/")
    context = {
        "member": user,
        "version": version,
        "document_name": version.get_document_display(),
        "summary_html": policies.render_text(version.summary_of_changes),
        "changes_url": f"{site_url}{policies.version_path(version)}#changes",
    }
    return render_templated_email(EMAIL_NAME, context, language=policies.language_of(user))


def send_policy_email(user, version: PolicyVersion) -> None:
    subject, text, html = render_policy_email(user, version)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()


def notify_batch(notification_id: int, *, batch_size: int = BATCH_SIZE) -> bool:
    """Queue the next batch of emails and move the checkpoint; return whether more remain."""
    with transaction.atomic():
        notification = (
            PolicyNotification.objects.select_for_update()
            .select_related("policy_version")
            .get(pk=notification_id)
        )
        if notification.finished_at is not None:
            return False
        version = notification.policy_version
        batch = list(
            recipients(version).filter(pk__gt=notification.last_user_id).order_by("pk")[:batch_size]
        )
        for user in batch:
            send_policy_email(user, version)
        now = timezone.now()
        if batch:
            notification.last_user_id = batch[-1].pk
            notification.sent_count += len(batch)
        if len(batch) < batch_size:
            notification.finished_at = now
        notification.updated_at = now
        notification.save()
    logger.info(
        "privacy.policy_notification_batch notification_id=%s version_id=%s count=%s "
        "last_user_id=%s finished=%s",
        notification.pk,
        version.pk,
        len(batch),
        notification.last_user_id,
        notification.finished_at is not None,
    )
    return notification.finished_at is None


def notify_members(
    policy_version_id: int,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> bool:
    """Email the members about a published version, resuming where a run stopped.

    Returns True when every member has been handled, False when ``max_batches`` ran
    out first (call again to continue). Safe to call any number of times.
    """
    version = PolicyVersion.objects.get(pk=policy_version_id)
    if not version.is_published:
        raise ValueError("Only a published policy version can be announced.")
    notification, _created = PolicyNotification.objects.get_or_create(policy_version=version)
    done = 0
    while max_batches is None or done < max_batches:
        if not notify_batch(notification.pk, batch_size=batch_size):
            return True
        done += 1
    return PolicyNotification.objects.filter(pk=notification.pk, finished_at__isnull=False).exists()


def stale_notifications(*, now: datetime | None = None) -> list[int]:
    """Return the policy version ids whose unfinished notification has stalled."""
    now = now or timezone.now()
    return list(
        PolicyNotification.objects.filter(
            finished_at__isnull=True, updated_at__lt=now - STALE_AFTER
        ).values_list("policy_version_id", flat=True)
    )
