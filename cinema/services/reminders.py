"""Remind members of a showtime shortly before it starts, exactly once per booking.

Design: a booking is *claimed* by an atomic ``UPDATE … SET reminder_sent_at = now WHERE
reminder_sent_at IS NULL`` and its email is queued in the same short transaction (the
outbox backend writes a row there and enqueues delivery on commit). A second run, or a
concurrent worker, finds the booking already claimed and skips it; if queueing the email
fails, the claim rolls back with it and the next run tries again. One transaction per
booking, candidates read in bounded batches, so a long run holds no long locks.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cinema.app_settings import app_settings
from cinema.models import Booking
from cinema.services import booking_emails

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def due_booking_ids(*, now: datetime, after_id: int = 0, limit: int = BATCH_SIZE) -> list[int]:
    """Ids of active bookings whose showtime starts within the reminder lead, unreminded."""
    return list(
        Booking.objects.filter(
            pk__gt=after_id,
            reminder_sent_at__isnull=True,
            status__in=Booking.ACTIVE_STATUSES,
            user__isnull=False,
            showtime__starts_at__gt=now,
            showtime__starts_at__lte=now + app_settings.REMINDER_LEAD,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Queue a reminder for every booking that is due one; return how many were queued."""
    now = now or timezone.now()
    sent = 0
    last_id = 0
    while ids := due_booking_ids(now=now, after_id=last_id):
        last_id = ids[-1]
        for booking_id in ids:
            if _remind(booking_id, now=now):
                sent += 1
    if sent:
        logger.info("reminders.sent count=%s", sent)
    return sent


def _remind(booking_id: int, *, now: datetime) -> bool:
    with transaction.atomic():
        claimed = Booking.objects.filter(
            pk=booking_id,
            reminder_sent_at__isnull=True,
            status__in=Booking.ACTIVE_STATUSES,
        ).update(reminder_sent_at=now)
        if not claimed:
            return False  # Reminded by another run, or cancelled meanwhile.
        booking = Booking.objects.select_related("showtime__film", "showtime__cinema", "user").get(
            pk=booking_id
        )
        booking_emails.send_booking_email(booking, kind=booking_emails.REMINDER)
    return True
