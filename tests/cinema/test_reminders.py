"""Showtime reminders go out once per active booking, shortly before the showtime."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cinema.models import Booking
from cinema.services.reminders import send_due_reminders
from cinema.tasks import send_showtime_reminders
from tests.cinema.factories import make_booking, make_film, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def test_reminder_is_sent_once_even_when_run_twice(now, mailoutbox):
    member = make_member(first_name="Dana")
    showtime = make_showtime(
        film=make_film(title="Night Train"), starts_at=now + timedelta(hours=2)
    )
    booking = make_booking(showtime=showtime, user=member, seat_count=2, seats=["C7", "C8"])

    assert send_due_reminders(now=now) == 1
    assert send_due_reminders(now=now + timedelta(minutes=5)) == 0

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    assert message.subject.startswith("[Marquee] Reminder: Night Train starts at")
    assert "C7, C8" in message.body and booking.code in message.body
    booking.refresh_from_db()
    assert booking.reminder_sent_at == now


def test_no_reminder_for_cancelled_or_refunded_bookings(now, mailoutbox):
    showtime = make_showtime(starts_at=now + timedelta(hours=1))
    make_booking(showtime=showtime, user=make_member(), status=Booking.Status.CANCELLED)
    make_booking(showtime=showtime, user=make_member(), status=Booking.Status.REFUNDED)

    assert send_due_reminders(now=now) == 0
    assert mailoutbox == []


def test_only_showtimes_within_the_lead_are_reminded(now, settings, mailoutbox):
    settings.CINEMA_REMINDER_LEAD = timedelta(hours=3)
    soon = make_booking(
        showtime=make_showtime(starts_at=now + timedelta(hours=3)), user=make_member()
    )
    later = make_booking(
        showtime=make_showtime(starts_at=now + timedelta(hours=3, minutes=1)), user=make_member()
    )
    make_booking(showtime=make_showtime(starts_at=now - timedelta(minutes=1)), user=make_member())

    assert send_due_reminders(now=now) == 1

    assert [m.to for m in mailoutbox] == [[soon.user.email]]
    later.refresh_from_db()
    assert later.reminder_sent_at is None


def test_erased_members_bookings_get_no_reminder(now, mailoutbox):
    make_booking(showtime=make_showtime(starts_at=now + timedelta(hours=1)), user=None)

    assert send_due_reminders(now=now) == 0
    assert mailoutbox == []


def test_batches_cover_every_due_booking(now, monkeypatch, mailoutbox):
    from cinema.services import reminders

    monkeypatch.setattr(reminders, "BATCH_SIZE", 2)
    showtime = make_showtime(starts_at=now + timedelta(hours=1))
    for _ in range(5):
        make_booking(showtime=showtime, user=make_member())

    assert send_due_reminders(now=now) == 5
    assert len(mailoutbox) == 5


def test_a_failed_send_leaves_the_booking_unclaimed(now, monkeypatch):
    from cinema.services import booking_emails

    booking = make_booking(
        showtime=make_showtime(starts_at=now + timedelta(hours=1)), user=make_member()
    )

    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(booking_emails, "send_booking_email", broken)
    with pytest.raises(RuntimeError):
        send_due_reminders(now=now)

    booking.refresh_from_db()
    assert booking.reminder_sent_at is None


def test_task_calls_the_service(mailoutbox):
    make_booking(
        showtime=make_showtime(starts_at=timezone.now() + timedelta(hours=1)), user=make_member()
    )

    send_showtime_reminders.delay()

    assert len(mailoutbox) == 1


def test_beat_schedules_the_reminders_every_five_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-showtime-reminders"]
    assert entry == {"task": "cinema.send_showtime_reminders", "schedule": timedelta(minutes=5)}
