"""Settings of the cinema domain, read lazily so that tests can override them.

Each is ``CINEMA_<NAME>`` in Django settings; ``CURRENCY`` falls back to ``CINEMA_CURRENCY``.
"""

from datetime import timedelta

from cinema.conf import AppSettings


class CinemaSettings(AppSettings):
    @property
    def PAYMENT_PROVIDER(self) -> str:
        """Dotted path of the payment provider class (see :mod:`cinema.payments`)."""
        return self._setting("PAYMENT_PROVIDER", "cinema.payments.BoxOfficeProvider")

    @property
    def REMINDER_LEAD(self) -> timedelta:
        """How long before a showtime starts its reminder email goes out."""
        return self._setting("REMINDER_LEAD", timedelta(hours=3))

    @property
    def SEATS_PER_ROW(self) -> int:
        """Seats in one row of an auditorium; seat labels are row letter + number."""
        return self._setting("SEATS_PER_ROW", 12)

    @property
    def MAX_SEATS_PER_BOOKING(self) -> int:
        return self._setting("MAX_SEATS_PER_BOOKING", 8)

    @property
    def CURRENCY(self) -> str:
        """ISO 4217 code of new showtimes' prices."""
        return self._setting("CURRENCY", "KZT")


app_settings = CinemaSettings("CINEMA_")
