"""Legal deadlines as each deployment counts them (promise S7, L5; breach notification)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from privacy.services import deadlines
from privacy.services.deadlines import InvalidPeriod, Period

UTC = ZoneInfo("UTC")


def at(year, month, day, hour=10, minute=0, tz=UTC):
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def end_of(year, month, day):
    return datetime(year, month, day, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_holidays(settings):
    """Weekends only, unless a test names a country or extra days off."""
    settings.PRIVACY_HOLIDAYS_COUNTRY = ""
    settings.PRIVACY_EXTRA_HOLIDAYS = []
    settings.TIME_ZONE = "UTC"


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("1 month", Period(1, "months")),
        ("2 months", Period(2, "months")),
        ("45 days", Period(45, "days")),
        ("30 calendar days", Period(30, "days")),
        ("7 working days", Period(7, "working_days")),
        ("1 business day", Period(1, "working_days")),
        ("72 hours", Period(72, "hours")),
        ("2 weeks", Period(14, "days")),
        ("  10   Working Days ", Period(10, "working_days")),
    ],
)
def test_periods_are_written_as_the_law_words_them(text, period):
    assert Period.parse(text) == period


@pytest.mark.parametrize("text", ["", "a month", "1 fortnight", "-3 days", "7"])
def test_a_period_that_means_nothing_is_refused_with_an_example(text):
    with pytest.raises(InvalidPeriod, match="7 working days"):
        Period.parse(text)


def test_periods_read_back_as_written():
    assert [str(Period.parse(t)) for t in ["1 month", "7 working days", "1 business day"]] == [
        "1 month",
        "7 working days",
        "1 working day",
    ]


def test_a_month_ends_on_the_same_date_next_month_at_the_end_of_the_day():
    assert Period.parse("1 month").after(at(2026, 3, 14)) == end_of(2026, 4, 14)
    assert Period.parse("1 month").after(at(2026, 12, 15)) == end_of(2027, 1, 15)


def test_a_month_from_the_end_of_a_long_month_ends_on_the_last_day_of_a_short_one():
    assert Period.parse("1 month").after(at(2026, 1, 31)) == end_of(2026, 2, 28)
    assert Period.parse("1 month").after(at(2028, 1, 31)) == end_of(2028, 2, 29)  # leap year
    assert Period.parse("1 month").after(at(2026, 3, 31)) == end_of(2026, 4, 30)
    assert Period.parse("2 months").after(at(2026, 12, 31)) == end_of(2027, 2, 28)


def test_calendar_days_count_weekends():
    assert Period.parse("45 days").after(at(2026, 11, 1)) == end_of(2026, 12, 16)


def test_hours_run_from_the_moment_itself():
    discovered = at(2026, 11, 20, 15, 30)
    assert Period.parse("72 hours").after(discovered) == discovered + timedelta(hours=72)


def test_working_days_skip_weekends_and_do_not_count_the_first_day():
    friday = at(2026, 11, 20)
    # Mon 23 .. Fri 27 are 1-5, Mon 30 is 6, Tue 1 December is 7.
    assert Period.parse("7 working days").after(friday) == end_of(2026, 12, 1)
    saturday = at(2026, 11, 21)
    assert Period.parse("1 working day").after(saturday) == end_of(2026, 11, 23)


def test_working_days_skip_the_countrys_public_holidays_including_moved_days_off(settings):
    settings.PRIVACY_HOLIDAYS_COUNTRY = "KZ"
    # Nauryz 2026: 21-23 March, with the days off moved to Tue 24 and Wed 25.
    friday = at(2026, 3, 20)

    assert Period.parse("3 working days").after(friday) == end_of(2026, 3, 30)
    assert not deadlines.is_working_day(date(2026, 3, 24))
    assert deadlines.is_working_day(date(2026, 3, 26))


def test_extra_days_off_of_the_deployment_are_skipped_too(settings):
    settings.PRIVACY_EXTRA_HOLIDAYS = ["2026-11-23", "2026-11-24"]

    assert Period.parse("1 working day").after(at(2026, 11, 20)) == end_of(2026, 11, 25)


def test_days_are_counted_in_the_deployments_time_zone():
    almaty = ZoneInfo("Asia/Almaty")
    # 21:00 UTC on 1 November is already 2 November in Almaty (UTC+5).
    received = at(2026, 11, 1, 21, 0)

    with timezone.override(almaty):
        due = Period.parse("1 day").after(received)

    assert due == datetime(2026, 11, 3, 23, 59, 59, tzinfo=almaty)


def test_each_request_type_gets_its_configured_deadline(settings):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "1 month", "erasure": "7 working days"}
    received = at(2026, 11, 20)

    assert deadlines.due_at("access", received) == end_of(2026, 12, 20)
    assert deadlines.due_at("erasure", received) == end_of(2026, 12, 1)


def test_a_ccpa_deployment_answers_in_45_days_and_extends_by_45(settings):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "45 days"}
    settings.PRIVACY_REQUEST_EXTENSION = "45 days"

    due = deadlines.due_at("access", at(2026, 1, 10))

    assert due == end_of(2026, 2, 24)
    assert deadlines.extension_period().after(due) == end_of(2026, 4, 10)


def test_breach_notification_is_72_hours_under_gdpr_and_one_business_day_in_kazakhstan(settings):
    friday_afternoon = at(2026, 11, 20, 15, 0)

    settings.PRIVACY_BREACH_NOTIFICATION_DEADLINE = "72 hours"
    assert deadlines.breach_notification_due(friday_afternoon) == at(2026, 11, 23, 15, 0)

    settings.PRIVACY_BREACH_NOTIFICATION_DEADLINE = "1 business day"
    settings.PRIVACY_HOLIDAYS_COUNTRY = "KZ"
    assert deadlines.breach_notification_due(friday_afternoon) == end_of(2026, 11, 23)
