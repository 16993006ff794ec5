"""Deliver queued email, at least once.

A message is claimed by an atomic status change (queued -> sending), delivered, then its
row deleted. A worker killed between delivery and deletion leaves a "sending" row that
the sweeper re-queues: the member may get a duplicate, never nothing.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cinema.mail import delivery_connection, deserialize_message
from cinema.models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=10)


def deliver_outbound_email(outbound_id: int) -> bool:
    """Send one queued message and delete it; return whether this call delivered it."""
    claimed = OutboundEmail.objects.filter(
        pk=outbound_id, status=OutboundEmail.Status.QUEUED
    ).update(status=OutboundEmail.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False  # Already delivered, taken by another worker, or given up on.
    outbound = OutboundEmail.objects.get(pk=outbound_id)
    try:
        with delivery_connection() as connection:
            connection.send_messages([deserialize_message(outbound.payload)])
    except Exception:
        status = (
            OutboundEmail.Status.FAILED
            if outbound.attempts >= MAX_ATTEMPTS
            else OutboundEmail.Status.QUEUED
        )
        OutboundEmail.objects.filter(pk=outbound_id).update(status=status)
        logger.exception("email.delivery_failed outbound_id=%s", outbound_id)
        raise
    outbound.delete()
    logger.info("email.delivered outbound_id=%s", outbound_id)
    return True


def requeue_stale_outbound_emails(*, now=None) -> list[int]:
    """Return to the queue messages whose task was lost or whose worker died."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            OutboundEmail.objects.filter(
                status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING],
                updated_at__lt=now - STALE_AFTER,
            ).values_list("pk", flat=True)[:1000]
        )
        OutboundEmail.objects.filter(pk__in=stale).update(
            status=OutboundEmail.Status.QUEUED, updated_at=now
        )
    return stale
