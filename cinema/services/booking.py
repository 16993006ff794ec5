"""Book seats for a showtime, and cancel a booking.

Transaction boundaries: :func:`book_seats` runs in one transaction that first locks the
showtime row (``SELECT ... FOR UPDATE``), so concurrent bookings of the same showtime
queue up behind each other and every capacity check and seat allocation sees all the
bookings committed before it. SQLite has no row locks; its ``IMMEDIATE`` transactions
(configured in settings) serialize writers instead, which gives the same guarantee.
The confirmation email is queued inside that transaction through the outbox backend, so
it leaves only if the booking commits.

The payment provider is called inside the transaction too: if it refuses, nothing is
booked. A provider that talks to a remote service should keep that call short.
"""

import logging
import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import age_on
from cinema import payments
from cinema.app_settings import app_settings
from cinema.models import Booking, Showtime
from cinema.services import booking_emails

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out at a counter
CODE_LENGTH = 6

# One table of user-facing refusals, keyed by code (as allauth does).
MESSAGES = {
    "not_verified": _("Please verify your email address before booking."),
    "past_showtime": _("This showtime has already started; please choose a later one."),
    "date_of_birth_missing": _(
        "This film is rated %(rating)s. Add your date of birth to your profile to book it."
    ),
    "age_restricted": _(
        "This film is rated %(rating)s: you must be at least %(age)d years old on the day "
        "of the screening."
    ),
    "invalid_seat_count": _("Choose at least one seat."),
    "unknown_seat": _("There is no seat %(seat)s in this auditorium."),
    "seats_taken": _(
        "Someone else has just booked %(seats)s. Your choice is kept: pick other seats, or "
        "clear the map and give a number of seats."
    ),
    "too_many_seats": _("You can book at most %(max)d seats at a time."),
    "sold_out": _("Sorry, this showtime is sold out."),
    "not_enough_seats": _("Only %(available)d seats are left for this showtime."),
    "payment_failed": _("The payment did not go through; nothing was booked."),
    "already_started": _(
        "This showtime has already started, so the booking can no longer be cancelled."
    ),
    "not_active": _("This booking has already been cancelled."),
}
# Refusals about the number of seats belong next to that field on the form; about the
# seats chosen on the map, next to the map.
SEAT_COUNT_ERRORS = {"invalid_seat_count", "too_many_seats", "not_enough_seats"}
SEAT_CHOICE_ERRORS = {"unknown_seat", "seats_taken"}


class BookingError(Exception):
    """A refusal the member can act on; ``message`` is translated at display time."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])

    @property
    def field(self) -> str | None:
        if self.code in SEAT_CHOICE_ERRORS:
            return "seats"
        return "seat_count" if self.code in SEAT_COUNT_ERRORS else None


def seat_label(index: int, *, per_row: int) -> str:
    """Return the label of the seat at 0-based ``index``: rows A, B, … Z, AA, AB, …"""
    row, number = divmod(index, per_row)
    letters = ""
    row += 1
    while row:
        row, remainder = divmod(row - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{number + 1}"


def seat_index(label: str, *, per_row: int) -> int | None:
    """The 0-based index of seat ``label`` (the inverse of :func:`seat_label`), or None."""
    letters = label.rstrip("0123456789")
    number = label[len(letters) :]
    if not (letters.isascii() and letters.isalpha() and letters.isupper()):
        return None
    if not number.isdigit() or number != str(int(number)) or not 1 <= int(number) <= per_row:
        return None
    row = 0
    for letter in letters:
        row = row * 26 + (ord(letter) - ord("A") + 1)
    return (row - 1) * per_row + int(number) - 1


@dataclass(frozen=True)
class Seat:
    label: str
    number: int  # within its row, from 1
    taken: bool


@dataclass(frozen=True)
class SeatRow:
    name: str  # "A", "B", ... "AA"
    seats: list[Seat]


def seat_map(taken: set[str], *, capacity: int, per_row: int) -> list[SeatRow]:
    """The auditorium's seats row by row (row A nearest the screen), each free or taken."""
    rows: list[SeatRow] = []
    for index in range(capacity):
        label = seat_label(index, per_row=per_row)
        number = index % per_row + 1
        if number == 1:
            rows.append(SeatRow(name=label[: -len(str(number))], seats=[]))
        rows[-1].seats.append(Seat(label=label, number=number, taken=label in taken))
    return rows


def chosen_seats(labels, *, capacity: int, per_row: int) -> list[str]:
    """The seats a member ticked, checked and in seat order; ``BookingError`` for one that
    does not exist in the auditorium (as typed, or by position beyond its capacity)."""
    indexes = {}
    for raw in labels:
        label = str(raw).strip().upper()
        index = seat_index(label, per_row=per_row)
        if index is None or index >= capacity:
            raise BookingError("unknown_seat", seat=str(raw)[:8])
        indexes[index] = label
    return [indexes[index] for index in sorted(indexes)]


def allocate_seats(taken: set[str], *, count: int, capacity: int, per_row: int) -> list[str]:
    """Return the ``count`` lowest free seat labels (row by row), or fewer if full."""
    seats = []
    for index in range(capacity):
        label = seat_label(index, per_row=per_row)
        if label not in taken:
            seats.append(label)
            if len(seats) == count:
                break
    return seats


def new_booking_code() -> str:
    """Return a random code not yet used by any booking."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        # The unique constraint is the real guarantee; this makes a clash merely unlikely
        # to reach it (32**6 ≈ 10**9 codes).
        if not Booking.objects.filter(code=code).exists():
            return code


def check_may_book(member, showtime: Showtime, *, now=None) -> None:
    """Raise :class:`BookingError` when ``member`` may not book ``showtime`` at all."""
    now = now or timezone.now()
    if showtime.starts_at <= now:
        raise BookingError("past_showtime")
    film = showtime.film
    if film.minimum_age:
        rating = film.get_age_rating_display()
        if member.date_of_birth is None:
            raise BookingError("date_of_birth_missing", rating=rating)
        screening_day = timezone.localdate(showtime.starts_at)
        if age_on(member.date_of_birth, screening_day) < film.minimum_age:
            raise BookingError("age_restricted", rating=rating, age=film.minimum_age)


def book_seats(
    member,
    *,
    showtime_id: int,
    seat_count: int | None = None,
    seats: list[str] | None = None,
    actor,
    now=None,
) -> Booking:
    """Book seats of a showtime for ``member`` and email a confirmation.

    Either the ``seats`` the member chose on the map (labels such as ``"C7"``), or
    ``seat_count`` seats allocated for them (the best free seats, row by row); chosen seats
    win when both are given. Refuses (``BookingError``) an unverified member, a showtime
    that has started, a film rated above the member's age, more seats than allowed or left,
    a seat that does not exist or was taken meanwhile. ``Showtime.DoesNotExist`` propagates
    for an unknown showtime.
    """
    now = now or timezone.now()
    if not EmailAddress.objects.filter(user=member, verified=True).exists():
        raise BookingError("not_verified")
    maximum = app_settings.MAX_SEATS_PER_BOOKING
    per_row = app_settings.SEATS_PER_ROW
    if seats:
        seat_count = len({str(label).strip().upper() for label in seats})
    if not seat_count or seat_count < 1:
        raise BookingError("invalid_seat_count")
    if seat_count > maximum:
        raise BookingError("too_many_seats", max=maximum)

    with transaction.atomic():
        showtime = (
            Showtime.objects.select_for_update(of=("self",))
            .select_related("film", "cinema")
            .get(pk=showtime_id)
        )
        check_may_book(member, showtime, now=now)
        active = list(
            Booking.objects.filter(
                showtime=showtime, status__in=Booking.ACTIVE_STATUSES
            ).values_list("seats", flat=True)
        )
        taken = {seat for booked in active for seat in booked}
        if seats:
            seats = chosen_seats(seats, capacity=showtime.capacity, per_row=per_row)
            if clash := [seat for seat in seats if seat in taken]:
                raise BookingError("seats_taken", seats=", ".join(clash))
        available = showtime.capacity - len(taken)
        if available <= 0:
            raise BookingError("sold_out")
        if seat_count > available:
            raise BookingError("not_enough_seats", available=available)
        if not seats:
            seats = allocate_seats(
                taken, count=seat_count, capacity=showtime.capacity, per_row=per_row
            )
        booking = Booking.objects.create(
            showtime=showtime,
            user=member,
            code=new_booking_code(),
            seat_count=seat_count,
            seats=seats,
            unit_price=showtime.price,
            total_price=showtime.price * seat_count,
            currency=showtime.currency,
            status=Booking.Status.RESERVED,
        )
        provider = payments.get_provider()
        try:
            result = provider.authorize(booking)
        except payments.PaymentError as exc:
            logger.warning("booking.payment_refused showtime_id=%s", showtime.pk)
            raise BookingError("payment_failed") from exc
        booking.payment_provider = provider.name
        booking.payment_reference = result.reference
        booking.card_last4 = result.last4
        if result.captured:
            booking.status = Booking.Status.PAID
        booking.save(
            update_fields=[
                "payment_provider",
                "payment_reference",
                "card_last4",
                "status",
                "updated_at",
            ]
        )
        booking_emails.send_booking_email(booking, kind=booking_emails.CONFIRMATION)
    logger.info(
        "booking.created booking_id=%s showtime_id=%s seats=%s actor_id=%s",
        booking.pk,
        showtime.pk,
        seat_count,
        getattr(actor, "pk", None),
    )
    return booking


def check_may_cancel(booking: Booking, *, now=None) -> None:
    """Raise :class:`BookingError` when ``booking`` can no longer be cancelled."""
    now = now or timezone.now()
    if not booking.is_active:
        raise BookingError("not_active")
    if booking.showtime.starts_at <= now:
        raise BookingError("already_started")


def cancel_booking(member, *, booking_id: int, actor, now=None, because: str = "") -> Booking:
    """Cancel one of ``member``'s bookings before its showtime starts, and email them
    (saying ``because``, e.g. ``"account_deletion"``, when they did not cancel it).

    A paid booking is refunded through the payment provider that took it (status
    ``refunded``); a reserved one becomes ``cancelled``. The seats are free again at once.
    The row itself is kept (it is part of the box-office and tax record).
    Raises ``Booking.DoesNotExist`` when the booking is not ``member``'s, and
    ``BookingError`` when it has already started or been cancelled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("showtime__film", "showtime__cinema", "user")
            .get(pk=booking_id, user=member)
        )
        check_may_cancel(booking, now=now)
        if booking.status == Booking.Status.PAID:
            payments.get_provider().refund(booking)
            booking.status = Booking.Status.REFUNDED
        else:
            booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancelled_at", "updated_at"])
        booking_emails.send_booking_email(
            booking, kind=booking_emails.CANCELLATION, because=because
        )
    logger.info(
        "booking.cancelled booking_id=%s status=%s actor_id=%s",
        booking.pk,
        booking.status,
        getattr(actor, "pk", None),
    )
    return booking
