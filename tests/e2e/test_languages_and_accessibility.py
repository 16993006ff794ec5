"""Every page type in each of the four languages: translated, and accessible per axe-core.

For each language a member picks it with the footer's switcher, then walks the pages a
visitor and a member see; on each page the test checks the document language, that the
main heading is the translated one, and that axe-core finds no serious or critical
violation. Screenshots of every page in every language go to
test-artifacts/screenshots/languages/ (docs/accessibility.md links them).
"""

import importlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from cinema.models import Booking
from tests.cinema.factories import make_booking, make_cinema, make_film, make_showtime
from tests.e2e.axe import assert_accessible, violations
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"en": "English", "ru": "Русский", "kk": "Қазақ", "zh-hans": "简体中文"}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "languages"


def heading(language: str, english: str) -> str:
    with translation.override(language):
        return gettext(english)


@pytest.fixture(autouse=True)
def published_policies():
    """The policies the data migrations publish, in every language (the flush removed them)."""
    for name in ("0005_seed_policies", "0012_policy_translations"):
        importlib.import_module(f"privacy.migrations.{name}").seed(django_apps, None)


@pytest.fixture
def cinema_data():
    film = make_film(title="Steppe Wind", synopsis="A herder's journey.")
    cinema = make_cinema(name="Marquee Esentai")
    day = timezone.localdate() + timedelta(days=2)
    starts = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 19, 30))
    showtime = make_showtime(film=film, cinema=cinema, starts_at=starts, price="2500")
    return film, showtime


# (path, English text of the page's h1 or None when the heading is data, e.g. a film title)
VISITOR_PAGES = [
    ("/", None),
    ("/programme/", "Programme"),
    ("/accounts/login/", "Sign In"),
    ("/accounts/signup/", "Sign Up"),
    ("/accounts/password/reset/", "Password Reset"),
    ("/privacy/what-we-collect/", "What we collect"),
    ("/privacy/who-we-share-with/", "Who we share with"),
    ("/privacy/policy/", None),
    ("/privacy/cookies/", "Cookie settings"),
    ("/privacy/transparency/", None),
    ("/privacy/contact/", None),
    ("/privacy/guardian/", None),
]
MEMBER_PAGES = [
    ("/me/profile/", None),
    ("/bookings/", "My bookings"),
    ("/preferences/", None),
    ("/for-you/", None),
    ("/privacy/center/", None),
    ("/privacy/export/", None),
    ("/privacy/requests/", None),
    ("/privacy/restriction/", None),
    ("/privacy/objection/", None),
    ("/privacy/rectification/", None),
    ("/privacy/marketing/", None),
    ("/accounts/sessions/", None),
    ("/accounts/3rdparty/", None),
    ("/accounts/2fa/", None),
]


def check_page(page: Page, base: str, language: str, path: str, english: str | None, where: str):
    response = page.goto(base + path)
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    expect(page.locator("html")).to_have_attribute("lang", language)
    if english:
        expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile(re.escape(heading(language, english)))
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home"
    page.screenshot(path=str(SHOTS / f"{language}-{where}-{name}.png"), full_page=True)
    assert_accessible(page, f"{path} ({language})")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_type_is_translated_and_accessible(
    page: Page, live_server, language, cinema_data
):
    film, showtime = cinema_data
    film_page = [(f"/films/{film.slug}/", None)]
    member = make_member(email=f"reader-{language}@example.com", first_name="Aru")
    booking = make_booking(showtime=showtime, user=member, seat_count=1)

    # A visitor chooses the language with the switcher in the footer.
    page.goto(f"{live_server.url}/")
    page.get_by_label(re.compile("^(Language|Язык|Тіл|语言)$")).select_option(language)
    page.locator("form.language-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    # The cookie banner is part of every first visit: it must be accessible too.
    assert not violations(page), f"banner ({language})"
    page.locator("#consent-banner form button[value=reject]").click()

    for path, english in VISITOR_PAGES + film_page:
        check_page(page, live_server.url, language, path, english, "visitor")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=login]").fill(member.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("form[action='/accounts/logout/']").first).to_be_attached()

    for path, english in [*MEMBER_PAGES, (f"/bookings/{booking.code}/", None),
                          (f"/showtimes/{showtime.pk}/book/", None)]:  # fmt: skip
        check_page(page, live_server.url, language, path, english, "member")
    assert Booking.objects.filter(user=member).count() == 1


def test_axe_reports_what_it_finds(page: Page, live_server):
    """The check can fail: an image without a text alternative is a critical violation."""
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/x.png';"
        " document.querySelector('main').appendChild(i); }"
    )

    found = violations(page)

    assert "image-alt" in [v["id"] for v in found]
