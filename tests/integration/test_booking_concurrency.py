"""Bookings under real concurrency on PostgreSQL, and reminders sent by a real worker."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from cinema.models import Booking, OutboundEmail
from cinema.services import booking as booking_service
from cinema.services.booking import BookingError, book_seats
from cinema.tasks import send_showtime_reminders
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import make_member
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def race(functions):
    """Run each function in its own thread (own connection), started together."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, fn):
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_members_race_for_the_last_seat_and_exactly_one_wins(monkeypatch):
    assert connection.vendor == "postgresql"
    showtime = make_showtime(capacity=3)
    make_booking(showtime=showtime, user=make_member(), seat_count=2, seats=["A1", "A2"])
    members = [make_member(), make_member()]
    # Widen the window between "how many seats are left" and "insert the booking": without
    # the row lock both members would see one free seat and both would get it.
    allocate = booking_service.allocate_seats

    def slow_allocate(*args, **kwargs):
        time.sleep(0.3)
        return allocate(*args, **kwargs)

    monkeypatch.setattr(booking_service, "allocate_seats", slow_allocate)

    results = race(
        [
            lambda m=member: book_seats(m, showtime_id=showtime.pk, seat_count=1, actor=m)
            for member in members
        ]
    )

    winners = [r for r in results if isinstance(r, Booking)]
    losers = [r for r in results if isinstance(r, BookingError)]
    assert len(winners) == 1, results
    assert [e.code for e in losers] == ["sold_out"], results
    assert winners[0].seats == ["A3"]
    active = Booking.objects.filter(showtime=showtime, status__in=Booking.ACTIVE_STATUSES)
    assert sum(b.seat_count for b in active) == 3


def test_many_concurrent_bookings_never_oversell():
    showtime = make_showtime(capacity=10)
    members = [make_member() for _ in range(8)]

    results = race(
        [
            lambda m=member: book_seats(m, showtime_id=showtime.pk, seat_count=2, actor=m)
            for member in members
        ]
    )

    winners = [r for r in results if isinstance(r, Booking)]
    assert len(winners) == 5, results
    seats = [seat for booking in winners for seat in booking.seats]
    assert len(seats) == len(set(seats)) == 10


def test_reminder_task_runs_on_the_real_worker_once(
    celery_worker, worker_outbox, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    member = make_member(email="reminder.worker@example.com")
    booking = make_booking(
        showtime=make_showtime(starts_at=timezone.now() + timedelta(hours=1)), user=member
    )

    def delivered():
        return [
            text
            for path in worker_outbox.glob("*.log")
            if "reminder.worker@example.com" in (text := path.read_text())
        ]

    send_showtime_reminders.delay()
    messages = wait_for(delivered, what="the reminder email")
    wait_for(
        lambda: Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=False).exists(),
        what="the booking to be marked as reminded",
    )
    wait_for(lambda: not OutboundEmail.objects.exists(), what="the outbox to empty")

    # A second run (beat fires again) sends nothing more.
    send_showtime_reminders.delay()
    time.sleep(2)
    wait_for(lambda: not OutboundEmail.objects.exists(), what="the outbox to empty")
    assert len(delivered()) == 1
    assert booking.code in messages[0]
