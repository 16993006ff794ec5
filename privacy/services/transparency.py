"""Figures about privacy requests: the public yearly report and the staff dashboard.

The yearly report is what CCPA regulations § 7102 ask a business to publish, and any
deployment can show it: per calendar year and request type, how many requests were
received, complied with in whole or in part (completed), denied (rejected), and the mean
and median number of days it took to answer. Self-service requests count: they are
rights exercised and answered at once. Counts and means are computed by the database in
one grouped query; medians too on PostgreSQL (``percentile_cont``), and in Python over
the answered requests' durations elsewhere.

Selectors only: nothing here writes.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
)
from django.db.models.functions import ExtractYear, TruncWeek
from django.utils import timezone

from privacy.models import PrivacyRequest

Status = PrivacyRequest.Status
ANSWERED = (Status.COMPLETED, Status.REJECTED)
DAY = timedelta(days=1)
_DURATION = ExpressionWrapper(F("closed_at") - F("received_at"), output_field=DurationField())


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)``."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


def _database_median() -> bool:
    return connection.vendor == "postgresql"


def _days(value: timedelta | None) -> float | None:
    return None if value is None else round(value / DAY, 1)


# --- The public yearly report -------------------------------------------------------------


@dataclass
class Row:
    type: str
    received: int = 0
    completed: int = 0
    rejected: int = 0
    mean_days: float | None = None
    median_days: float | None = None

    @property
    def label(self) -> str:
        return PrivacyRequest.Type(self.type).label if self.type else ""


@dataclass
class Year:
    year: int
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(type=""))
    in_progress: bool = False  # the current year: figures so far


def yearly_report(*, now: datetime | None = None) -> list[Year]:
    """Return one ``Year`` per calendar year with requests, newest first.

    Years are those of ``received_at`` in the deployment's time zone; the days to respond
    are counted from receipt to closing, for the requests completed or rejected.
    """
    now = now or timezone.now()
    answered = Q(status__in=ANSWERED)
    aggregates = {
        "received": Count("pk"),
        "completed": Count("pk", filter=Q(status=Status.COMPLETED)),
        "rejected": Count("pk", filter=Q(status=Status.REJECTED)),
        "mean": Avg(_DURATION, filter=answered),
    }
    if _database_median():
        aggregates["median"] = Median(_DURATION, filter=answered, output_field=DurationField())
    base = PrivacyRequest.objects.annotate(year=ExtractYear("received_at")).order_by()
    per_type = base.values("year", "type").annotate(**aggregates)
    per_year = {row["year"]: row for row in base.values("year").annotate(**aggregates)}
    if not _database_median():
        _add_python_medians(per_type, per_year)

    years: dict[int, Year] = {}
    for row in sorted(per_type, key=lambda r: (-r["year"], r["type"])):
        year = years.setdefault(row["year"], Year(year=row["year"]))
        year.rows.append(_row(row["type"], row))
    for number, year in years.items():
        year.total = _row("", per_year[number])
        year.in_progress = number == timezone.localtime(now).year
        year.rows.sort(key=lambda r: str(r.label))
    return list(years.values())


def _row(type_: str, values: dict) -> Row:
    return Row(
        type=type_,
        received=values["received"],
        completed=values["completed"],
        rejected=values["rejected"],
        mean_days=_days(values["mean"]),
        median_days=_days(values.get("median")),
    )


def _add_python_medians(per_type, per_year) -> None:
    # SQLite has no percentile function: fetch the answered requests' durations once.
    durations: dict[tuple[int, str], list[timedelta]] = {}
    rows = (
        PrivacyRequest.objects.filter(status__in=ANSWERED, closed_at__isnull=False)
        .annotate(year=ExtractYear("received_at"), duration=_DURATION)
        .values_list("year", "type", "duration")
    )
    for year, type_, duration in rows:
        durations.setdefault((year, type_), []).append(duration)
        durations.setdefault((year, ""), []).append(duration)
    for row in per_type:
        found = durations.get((row["year"], row["type"]))
        row["median"] = statistics.median(found) if found else None
    for number, row in per_year.items():
        found = durations.get((number, ""))
        row["median"] = statistics.median(found) if found else None


# --- The staff dashboard ------------------------------------------------------------------


@dataclass
class Week:
    start: date
    received: int = 0
    closed: int = 0
    mean_days: float | None = None
    median_days: float | None = None


@dataclass
class Dashboard:
    by_status: list[tuple[str, int]]
    by_type: list[tuple[str, int]]
    open_count: int
    overdue_count: int
    unassigned_count: int
    weeks: list[Week]


def dashboard(*, weeks: int = 12, now: datetime | None = None) -> Dashboard:
    """Counts by status and type, overdue and unassigned open requests, and per week (the
    last ``weeks``, Monday to Sunday in the deployment's time zone) how many requests came
    in and how long the ones closed that week took."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    start = timezone.make_aware(datetime.combine(first_monday, datetime.min.time()))

    status_counts = dict(
        PrivacyRequest.objects.order_by().values_list("status").annotate(n=Count("pk"))
    )
    type_counts = dict(
        PrivacyRequest.objects.order_by().values_list("type").annotate(n=Count("pk"))
    )
    open_requests = PrivacyRequest.objects.filter(status__in=PrivacyRequest.OPEN_STATUSES)
    summary = open_requests.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )

    table = {}
    for index in range(weeks):
        monday = first_monday + timedelta(weeks=index)
        table[monday] = Week(start=monday)
    received = (
        PrivacyRequest.objects.filter(received_at__gte=start)
        .annotate(week=TruncWeek("received_at"))
        .order_by()
        .values_list("week")
        .annotate(n=Count("pk"))
    )
    for week_start, count in received:
        if (week := table.get(_local_date(week_start))) is not None:
            week.received = count
    closing = {
        "closed": Count("pk"),
        "mean": Avg(_DURATION),
    }
    if _database_median():
        closing["median"] = Median(_DURATION, output_field=DurationField())
    closed = (
        PrivacyRequest.objects.filter(closed_at__gte=start, status__in=ANSWERED)
        .annotate(week=TruncWeek("closed_at"))
        .order_by()
        .values("week")
        .annotate(**closing)
    )
    medians = {} if _database_median() else _python_weekly_medians(start)
    for row in closed:
        monday = _local_date(row["week"])
        if (week := table.get(monday)) is None:
            continue
        week.closed = row["closed"]
        week.mean_days = _days(row["mean"])
        week.median_days = _days(row["median"] if "median" in row else medians.get(monday))

    return Dashboard(
        by_status=[(status, status_counts.get(status, 0)) for status in Status.values],
        by_type=[(type_, type_counts.get(type_, 0)) for type_ in PrivacyRequest.Type.values],
        open_count=summary["open"],
        overdue_count=summary["overdue"],
        unassigned_count=summary["unassigned"],
        weeks=list(table.values()),
    )


def _local_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _python_weekly_medians(start: datetime) -> dict[date, timedelta]:
    # SQLite has no percentile function: fetch the durations of the weeks shown.
    durations: dict[date, list[timedelta]] = {}
    rows = (
        PrivacyRequest.objects.filter(closed_at__gte=start, status__in=ANSWERED)
        .annotate(week=TruncWeek("closed_at"), duration=_DURATION)
        .values_list("week", "duration")
    )
    for week_start, duration in rows:
        durations.setdefault(_local_date(week_start), []).append(duration)
    return {monday: statistics.median(found) for monday, found in durations.items()}
