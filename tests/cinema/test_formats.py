"""Dates, times and prices as each language writes them (cinema/formats, the money filter)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.utils import formats, timezone, translation

from privacy import roles
from privacy.services import requests as workflow
from tests.factories import make_member

SUNDAY = datetime(2026, 11, 22, 9, 5)  # a Sunday morning

# (language, DATETIME_FORMAT, SHOWTIME_FORMAT, SHORT_DATE_FORMAT)
EXPECTED = [
    ("en", "22 November 2026, 09:05", "Sun 22 Nov 2026, 09:05", "22 Nov 2026"),
    ("ru", "22 ноября 2026 г., 09:05", "Вс, 22 ноября 2026 г., 09:05", "22.11.2026"),  # noqa: RUF001
    ("kk", "22 қараша 2026, 09:05", "Жк, 22 қараша 2026, 09:05", "22.11.2026"),
    ("zh-hans", "2026年11月22日 09:05", "2026年11月22日 星期日 09:05", "2026年11月22日"),
]


def shown(value, name: str, language: str) -> str:
    with translation.override(language):
        text = formats.date_format(value, name)
    # Django's Kazakh catalogue capitalises the month after a day ("22 Қараша"); ours
    # lower-cases it once translated (cinema/formats/__init__.py). Either is Kazakh.
    return text.lower() if language == "kk" else text


@pytest.mark.parametrize(("language", "long", "showtime", "short"), EXPECTED)
def test_dates_read_day_month_year_on_the_24_hour_clock(language, long, showtime, short):
    expected_long = long.lower() if language == "kk" else long
    expected_showtime = showtime.lower() if language == "kk" else showtime

    assert shown(SUNDAY, "DATETIME_FORMAT", language) == expected_long
    assert shown(SUNDAY, "SHOWTIME_FORMAT", language) == expected_showtime
    assert shown(SUNDAY, "SHORT_DATE_FORMAT", language) == short
    assert shown(SUNDAY, "TIME_FORMAT", language) == "09:05"
    assert "a.m." not in shown(SUNDAY, "SHORT_DATETIME_FORMAT", language)


def test_every_language_has_the_named_formats_the_templates_use():
    for language in ("en", "ru", "kk", "zh-hans"):
        for name in ("SHOWTIME_FORMAT", "DAY_FORMAT"):
            with translation.override(language):
                assert formats.get_format(name) != name, (language, name)


def money(amount, currency, language: str) -> str:
    template = Template("{% load money %}{{ amount|money:currency }}")
    with translation.override(language):
        return template.render(Context({"amount": amount, "currency": currency}))


@pytest.mark.parametrize(
    ("language", "whole", "cents"),
    [
        ("en", "3,600\xa0KZT", "1,234,567.50\xa0KZT"),
        ("ru", "3\xa0600\xa0KZT", "1\xa0234\xa0567,50\xa0KZT"),
        ("kk", "3\xa0600\xa0KZT", "1\xa0234\xa0567,50\xa0KZT"),
        ("zh-hans", "3,600\xa0KZT", "1,234,567.50\xa0KZT"),
    ],
)
def test_prices_are_grouped_with_the_languages_separators(language, whole, cents):
    assert money(Decimal("3600.00"), "KZT", language) == whole
    assert money(Decimal("1234567.5"), "KZT", language) == cents
    assert money(None, "KZT", language) == ""


def test_other_numbers_are_not_grouped():
    # Grouping is the money filter's alone: a year or an id still reads 2026, not 2,026.
    with translation.override("en"):
        assert Template("{{ year }}").render(Context({"year": 2026})) == "2026"


@pytest.mark.django_db
def test_the_request_queue_shows_both_dates_of_a_row_alike(client, settings):
    settings.TIME_ZONE = "UTC"
    officer = make_member(email="officer@example.com", is_staff=True)
    officer.groups.add(Group.objects.get(name=roles.PRIVACY_OFFICER))
    client.force_login(officer)
    received = timezone.now() - timedelta(days=3)
    req = workflow.open_request("access", user=make_member(), received_at=received)

    with translation.override("en"):
        body = client.get("/admin/privacy/privacyrequest/").content.decode()

    received_at, due = timezone.localtime(req.received_at), timezone.localtime(req.due_at)
    assert f'<td class="field-received">{received_at.day} {received_at:%b %Y, %H:%M}</td>' in body
    assert f"{due.day} {due:%b %Y}" in body
    assert "a.m." not in body and "p.m." not in body
    assert f"{due:%m/%d/%Y}" not in body
