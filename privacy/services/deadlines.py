"""Legal deadlines, as each deployment's law counts them.

A deadline is written the way the law says it: ``"1 month"`` (GDPR Art. 12(3)),
``"45 days"`` (CCPA), ``"7 working days"`` (the Lumière policy's account cancellation),
``"72 hours"`` (GDPR breach notification), ``"1 business day"`` (Kazakhstan). Working
days skip weekends and the deployment's public holidays: those of
``PRIVACY_HOLIDAYS_COUNTRY`` (from the ``holidays`` package, which follows each
country's official calendar, including moved days off) plus ``PRIVACY_EXTRA_HOLIDAYS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from privacy.app_settings import app_settings

PATTERN = re.compile(
    r"^\s*(?P<amount>\d+)\s*(?P<unit>(calendar\s+)?days?|(working|business)\s+days?|"
    r"months?|hours?|weeks?)\s*$",
    re.IGNORECASE,
)


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """A legal period: an amount of hours, calendar days, working days or months."""

    amount: int
    unit: str  # "hours", "days", "working_days", "months"

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        if isinstance(text, Period):
            return text
        match = PATTERN.match(str(text))
        if not match:
            raise InvalidPeriod(
                f"{text!r} is not a period: write e.g. '1 month', '45 days', "
                "'7 working days' or '72 hours'."
            )
        amount = int(match["amount"])
        unit = match["unit"].lower()
        if unit.startswith(("working", "business")):
            return cls(amount, "working_days")
        if unit.startswith("month"):
            return cls(amount, "months")
        if unit.startswith("hour"):
            return cls(amount, "hours")
        if unit.startswith("week"):
            return cls(amount * 7, "days")
        return cls(amount, "days")

    def __str__(self):
        unit = {"working_days": "working days"}.get(self.unit, self.unit)
        if self.amount == 1:
            unit = unit.removesuffix("s")
        return f"{self.amount} {unit}"

    def after(self, start: datetime) -> datetime:
        """Return the moment this period ends when it starts at ``start``.

        Hours run from the moment itself. Days, working days and months are counted from
        the day of ``start`` in the deployment's time zone (that day not included) and end
        at the last second of the final day: "1 month" from 31 January ends on the last
        day of February. A deadline that falls on a weekend is not moved: earlier is safe.
        """
        if self.unit == "hours":
            return start + timedelta(hours=self.amount)
        day = timezone.localtime(start).date() if timezone.is_aware(start) else start.date()
        if self.unit == "days":
            return _end_of_day(day + timedelta(days=self.amount), start)
        if self.unit == "months":
            return _end_of_day(day + relativedelta(months=self.amount), start)
        return _end_of_day(add_working_days(day, self.amount), start)


def _end_of_day(day: date, like: datetime) -> datetime:
    """The last moment of ``day`` in the deployment's time zone: a deadline is a date."""
    tz = timezone.get_current_timezone() if timezone.is_aware(like) else None
    end = datetime.combine(day, time(23, 59, 59))
    return timezone.make_aware(end, tz) if tz else end


@lru_cache(maxsize=32)
def _calendar(country: str, extra: tuple[str, ...], years: tuple[int, ...]) -> frozenset[date]:
    days: set[date] = set()
    if country:
        days.update(holidays.country_holidays(country, years=years).keys())
    days.update(date.fromisoformat(d) for d in extra)
    return frozenset(days)


def holiday_set(years) -> frozenset[date]:
    return _calendar(
        app_settings.HOLIDAYS_COUNTRY,
        tuple(app_settings.EXTRA_HOLIDAYS),
        tuple(sorted(set(years))),
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holiday_set([day.year])


def add_working_days(start: date, count: int) -> date:
    """Return the date ``count`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    off = holiday_set(range(start.year, start.year + 2 + count // 200))
    added = 0
    while added < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            added += 1
    return day


def request_period(request_type: str) -> Period:
    """The deadline of a request type in this deployment."""
    configured = app_settings.REQUEST_DEADLINES
    return Period.parse(configured.get(request_type) or configured["default"])


def due_at(request_type: str, received_at: datetime) -> datetime:
    """Return when a request of ``request_type`` received at ``received_at`` must be answered."""
    return request_period(request_type).after(received_at)


def extension_period() -> Period:
    """How much one extension adds to a request's deadline in this deployment."""
    return Period.parse(app_settings.REQUEST_EXTENSION)


def breach_notification_due(discovered_at: datetime) -> datetime:
    """Return when the authority must have been told of a breach discovered then."""
    return Period.parse(app_settings.BREACH_NOTIFICATION_DEADLINE).after(discovered_at)
