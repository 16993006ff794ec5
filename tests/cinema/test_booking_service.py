"""Booking seats and cancelling: capacity, refusals, seat labels, payment, emails."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from cinema import payments
from cinema.models import Booking, OutboundEmail
from cinema.services import booking as booking_service
from cinema.services.booking import (
    BookingError,
    allocate_seats,
    book_seats,
    cancel_booking,
    seat_label,
)
from tests.cinema.factories import make_booking, make_cinema, make_film, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def book(member, showtime, seats=2):
    return book_seats(member, showtime_id=showtime.pk, seat_count=seats, actor=member)


class CardProvider:
    """A provider that takes the money at once (for refund tests)."""

    name = "test_card"
    refunded: list[str] = []

    def authorize(self, booking):
        return payments.PaymentResult(reference=f"CARD-{booking.code}", last4="4242", captured=True)

    def refund(self, booking):
        CardProvider.refunded.append(booking.code)


class RefusingProvider:
    name = "refusing"

    def authorize(self, booking):
        raise payments.PaymentError("declined")

    def refund(self, booking):
        raise AssertionError("nothing to refund")


def test_booking_reserves_the_lowest_free_seats_and_pays_at_the_box_office(mailoutbox):
    member = make_member()
    showtime = make_showtime(capacity=30, price="2000")

    booking = book(member, showtime, seats=3)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED
    assert booking.seats == ["A1", "A2", "A3"]
    assert booking.seat_count == 3
    assert booking.total_price == 6000
    assert booking.currency == "KZT"
    assert booking.payment_provider == "box_office"
    assert booking.payment_reference == f"BOX-{booking.code}"
    assert booking.card_last4 == ""
    assert len(booking.code) == 6 and booking.code.isalnum()
    assert str(booking) == f"Booking {booking.code}"
    assert len(mailoutbox) == 1


def test_next_booking_continues_row_by_row(settings):
    settings.CINEMA_SEATS_PER_ROW = 4
    showtime = make_showtime(capacity=12)
    book(make_member(), showtime, seats=3)

    second = book(make_member(), showtime, seats=3)

    assert second.seats == ["A4", "B1", "B2"]


def test_cancelled_seats_are_given_again():
    showtime = make_showtime(capacity=10)
    make_booking(showtime=showtime, seat_count=2, seats=["A1", "A2"], status="cancelled")
    make_booking(showtime=showtime, seat_count=1, seats=["A3"])

    booking = book(make_member(), showtime, seats=3)

    assert booking.seats == ["A1", "A2", "A4"]


def test_seat_labels_go_past_row_z():
    assert seat_label(0, per_row=12) == "A1"
    assert seat_label(13, per_row=12) == "B2"
    assert seat_label(25 * 12, per_row=12) == "Z1"
    assert seat_label(26 * 12 + 2, per_row=12) == "AA3"
    assert allocate_seats({"A1", "A3"}, count=2, capacity=6, per_row=3) == ["A2", "B1"]


def test_capacity_is_enforced():
    showtime = make_showtime(capacity=5)
    make_booking(showtime=showtime, seat_count=3, seats=["A1", "A2", "A3"], status="paid")

    with pytest.raises(BookingError) as refused:
        book(make_member(), showtime, seats=3)

    assert refused.value.code == "not_enough_seats"
    assert refused.value.field == "seat_count"
    assert refused.value.message == "Only 2 seats are left for this showtime."
    assert Booking.objects.count() == 1


def test_sold_out_showtime_is_refused(mailoutbox):
    showtime = make_showtime(capacity=2)
    make_booking(showtime=showtime, seat_count=2, seats=["A1", "A2"])

    with pytest.raises(BookingError) as refused:
        book(make_member(), showtime, seats=1)

    assert refused.value.code == "sold_out"
    assert refused.value.message == "Sorry, this showtime is sold out."
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


def test_too_many_seats_are_refused(settings):
    settings.CINEMA_MAX_SEATS_PER_BOOKING = 4

    with pytest.raises(BookingError) as refused:
        book(make_member(), make_showtime(), seats=5)

    assert refused.value.code == "too_many_seats"
    assert "at most 4 seats" in refused.value.message


def test_zero_seats_are_refused():
    with pytest.raises(BookingError, match="invalid_seat_count"):
        book(make_member(), make_showtime(), seats=0)


def test_showtime_in_the_past_is_refused():
    showtime = make_showtime(starts_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(BookingError) as refused:
        book(make_member(), showtime)

    assert refused.value.code == "past_showtime"
    assert not Booking.objects.exists()


def test_film_rated_above_the_members_age_is_refused():
    starts_at = timezone.now() + timedelta(days=2)
    day = timezone.localdate(starts_at)
    # Turns 18 the day after the screening.
    born = date(day.year - 18, day.month, day.day) + timedelta(days=1)
    member = make_member(date_of_birth=born)
    showtime = make_showtime(film=make_film(age_rating="18+"), starts_at=starts_at)

    with pytest.raises(BookingError) as refused:
        book(member, showtime)

    assert refused.value.code == "age_restricted"
    assert refused.value.message == (
        "This film is rated 18+ (adults only): you must be at least 18 years old on the day "
        "of the screening."
    )
    assert not Booking.objects.exists()


def test_member_of_age_on_the_day_may_book_a_rated_film():
    starts_at = timezone.now() + timedelta(days=2)
    day = timezone.localdate(starts_at)
    member = make_member(date_of_birth=date(day.year - 16, 1, 1))
    showtime = make_showtime(film=make_film(age_rating="16+"), starts_at=starts_at)

    assert book(member, showtime).status == Booking.Status.RESERVED


def test_rated_film_needs_a_date_of_birth():
    member = make_member(date_of_birth=None)

    with pytest.raises(BookingError, match="date_of_birth_missing"):
        book(member, make_showtime(film=make_film(age_rating="12+")))
    assert book(member, make_showtime(film=make_film(age_rating="0+")))


def test_unverified_member_cannot_book():
    with pytest.raises(BookingError, match="not_verified"):
        book(make_member(verified=False), make_showtime())


def test_refused_payment_books_nothing(settings, mailoutbox):
    settings.CINEMA_PAYMENT_PROVIDER = "tests.cinema.test_booking_service.RefusingProvider"

    with pytest.raises(BookingError, match="payment_failed"):
        book(make_member(), make_showtime())

    assert not Booking.objects.exists()
    assert mailoutbox == []


def test_paid_booking_is_refunded_through_the_provider_on_cancel(settings, mailoutbox):
    settings.CINEMA_PAYMENT_PROVIDER = "tests.cinema.test_booking_service.CardProvider"
    member = make_member()
    booking = book(member, make_showtime())
    assert (booking.status, booking.card_last4) == (Booking.Status.PAID, "4242")

    cancelled = cancel_booking(member, booking_id=booking.pk, actor=member)

    assert cancelled.status == Booking.Status.REFUNDED
    assert cancelled.cancelled_at is not None
    assert booking.code in CardProvider.refunded
    assert mailoutbox[-1].subject == f"[Marquee] Booking {booking.code} cancelled and refunded"


def test_reserved_booking_is_cancelled_and_its_seats_freed(mailoutbox):
    member = make_member()
    showtime = make_showtime(capacity=2)
    booking = book(member, showtime, seats=2)

    cancel_booking(member, booking_id=booking.pk, actor=member)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert mailoutbox[-1].subject == f"[Marquee] Booking {booking.code} cancelled"
    assert "Your booking has been cancelled" in mailoutbox[-1].body
    assert book(make_member(), showtime, seats=2).seats == ["A1", "A2"]


def test_cancelling_twice_is_refused():
    member = make_member()
    booking = book(member, make_showtime())
    cancel_booking(member, booking_id=booking.pk, actor=member)

    with pytest.raises(BookingError, match="not_active"):
        cancel_booking(member, booking_id=booking.pk, actor=member)


def test_cannot_cancel_after_the_showtime_started():
    member = make_member()
    showtime = make_showtime()
    booking = book(member, showtime)

    with pytest.raises(BookingError, match="already_started"):
        cancel_booking(
            member, booking_id=booking.pk, actor=member, now=showtime.starts_at + timedelta(1)
        )


def test_cancelling_someone_elses_booking_is_refused():
    owner, other = make_member(), make_member()
    booking = book(owner, make_showtime())

    with pytest.raises(Booking.DoesNotExist):
        cancel_booking(other, booking_id=booking.pk, actor=other)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED


def test_a_code_already_taken_is_drawn_again(monkeypatch):
    make_booking(showtime=make_showtime(), code="AAAAAA")
    characters = iter("AAAAAA" + "BBBBBB")
    monkeypatch.setattr(booking_service.secrets, "choice", lambda alphabet: next(characters))

    assert booking_service.new_booking_code() == "BBBBBB"


def test_booking_email_content(mailoutbox):
    member = make_member(first_name="Aru")
    cinema = make_cinema(name="Marquee Esentai", city="Almaty", address="77 Al-Farabi")
    showtime = make_showtime(
        film=make_film(title="The Long Night"),
        cinema=cinema,
        starts_at=timezone.now().replace(hour=19, minute=30, second=0, microsecond=0)
        + timedelta(days=3),
    )

    booking = book(member, showtime, seats=2)

    message = mailoutbox[0]
    assert message.to == [member.email]
    assert message.subject == f"[Marquee] Your booking {booking.code}: The Long Night"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "Hello Aru," in body
        assert "Your 2 seats are booked." in body
        assert "The Long Night" in body
        assert "Marquee Esentai" in body and "77 Al-Farabi" in body
        # 19:30 in the site's time zone (UTC in tests), on the 24-hour clock, with the day
        starts = showtime.starts_at
        assert f"{starts:%a} {starts.day} {starts:%b %Y}, 19:30" in body
        assert "p.m." not in body
        assert "5,000\xa0KZT" in body and "5000.00" not in body  # 2 seats at 2,500
        assert "A1, A2" in body
        assert booking.code in body
        assert "Please pay at the box office" in body
    assert message.alternatives[0][1] == "text/html"
    assert '<html lang="en">' in html


def test_booking_email_is_rendered_in_the_members_language(mailoutbox):
    # No Russian catalogue exists yet, so we assert the language the templates were
    # rendered in (the <html lang>) and that the date format is Russian, not the wording.
    member = make_member(preferred_language="ru")

    book(member, make_showtime(film=make_film(title="Фильм")))

    html = mailoutbox[0].alternatives[0][0]
    assert '<html lang="ru">' in html
    assert "Фильм" in mailoutbox[0].subject
    for body in (mailoutbox[0].body, html):
        assert "5\xa0000\xa0KZT" in body  # 2 seats at 2 500, grouped as in Russian
        assert re.search(r"\w\w, \d{1,2} \w+ \d{4} г\., \d\d:\d\d", body)  # noqa: RUF001


def test_cancellation_email_states_the_refund_as_the_language_writes_it(settings, mailoutbox):
    settings.CINEMA_PAYMENT_PROVIDER = "tests.cinema.test_booking_service.CardProvider"
    member = make_member()
    booking = book(member, make_showtime(price="1750.50"))

    cancel_booking(member, booking_id=booking.pk, actor=member)

    for body in (mailoutbox[-1].body, mailoutbox[-1].alternatives[0][0]):
        assert "We have refunded 3,501 KZT to your original payment method." in body


# --- Seats chosen on the map ----------------------------------------------------------------


def choose(member, showtime, seats, **more):
    return book_seats(member, showtime_id=showtime.pk, seats=seats, actor=member, **more)


def test_a_member_books_the_seats_they_chose_in_seat_order(settings, mailoutbox):
    settings.CINEMA_SEATS_PER_ROW = 10
    member = make_member()
    showtime = make_showtime(capacity=40, price="2000")

    booking = choose(member, showtime, ["c2", "B10 ", "C1"], seat_count=6)

    booking.refresh_from_db()
    assert booking.seats == ["B10", "C1", "C2"]  # row by row, whatever the order ticked
    assert booking.seat_count == 3  # the seats chosen, not the number typed
    assert booking.total_price == 6000
    assert len(mailoutbox) == 1


def test_seats_someone_else_booked_meanwhile_are_named_and_nothing_is_booked():
    showtime = make_showtime(capacity=30)
    make_booking(showtime=showtime, seat_count=2, seats=["A4", "A5"])
    member = make_member()

    with pytest.raises(BookingError) as refused:
        choose(member, showtime, ["A3", "A4", "A5"])

    assert refused.value.code == "seats_taken"
    assert refused.value.field == "seats"
    assert "A4, A5" in refused.value.message
    assert not Booking.objects.filter(user=member).exists()


def test_a_cancelled_bookings_seats_can_be_chosen_again():
    showtime = make_showtime(capacity=30)
    make_booking(showtime=showtime, seat_count=1, seats=["A1"], status="cancelled")

    booking = choose(make_member(), showtime, ["A1"])

    assert booking.seats == ["A1"]


@pytest.mark.parametrize("seat", ["A13", "A0", "C1", "A01", "1A", "Ä1", "A-1", "<b>"])
def test_a_seat_that_does_not_exist_in_the_auditorium_is_refused(settings, seat):
    settings.CINEMA_SEATS_PER_ROW = 12
    showtime = make_showtime(capacity=24)  # rows A and B

    with pytest.raises(BookingError) as refused:
        choose(make_member(), showtime, ["A1", seat])

    assert refused.value.code == "unknown_seat"
    assert refused.value.field == "seats"
    assert not Booking.objects.exists()


def test_more_chosen_seats_than_allowed_are_refused(settings):
    settings.CINEMA_MAX_SEATS_PER_BOOKING = 2

    with pytest.raises(BookingError) as refused:
        choose(make_member(), make_showtime(), ["A1", "A2", "A3"])

    assert refused.value.code == "too_many_seats"


def test_the_map_lists_every_seat_row_by_row_with_the_taken_ones():
    rows = booking_service.seat_map({"A2", "B1"}, capacity=26, per_row=12)

    assert [(row.name, len(row.seats)) for row in rows] == [("A", 12), ("B", 12), ("C", 2)]
    assert [seat.label for seat in rows[0].seats[:3]] == ["A1", "A2", "A3"]
    assert [seat.label for row in rows for seat in row.seats if seat.taken] == ["A2", "B1"]
    assert all(
        booking_service.seat_index(seat_label(i, per_row=12), per_row=12) == i for i in range(800)
    )
