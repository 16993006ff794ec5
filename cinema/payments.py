"""Payment providers: the seam between a booking and whoever takes the money.

A provider is a class with ``authorize(booking) -> PaymentResult`` and
``refund(booking) -> None``; the one in use is named by the dotted path in
``CINEMA_PAYMENT_PROVIDER``. Marquee stores no card data: a provider may return the last
four digits for the member's receipt, nothing more.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.utils.module_loading import import_string

from cinema.app_settings import app_settings

if TYPE_CHECKING:
    from cinema.models import Booking


@dataclass(frozen=True)
class PaymentResult:
    reference: str
    last4: str = ""
    # True when the money has been taken; the booking becomes "paid". False leaves it
    # "reserved" (paid later, e.g. at the box office).
    captured: bool = False


class PaymentError(Exception):
    """The provider refused or failed; the booking must not go ahead."""


class PaymentProvider(Protocol):
    name: str

    def authorize(self, booking: "Booking") -> PaymentResult: ...

    def refund(self, booking: "Booking") -> None: ...


class BoxOfficeProvider:
    """Pay at the box office: nothing is charged online, the booking stays reserved."""

    name = "box_office"

    def authorize(self, booking: "Booking") -> PaymentResult:
        return PaymentResult(reference=f"BOX-{booking.code}")

    def refund(self, booking: "Booking") -> None:
        # Nothing was taken online; the box office refunds in person if it took money.
        return None


def get_provider() -> PaymentProvider:
    """Return an instance of the configured provider."""
    return import_string(app_settings.PAYMENT_PROVIDER)()
