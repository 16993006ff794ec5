"""Usage tracking in a real browser: nothing after "Reject all", events after consenting."""

import time
import uuid

import pytest
from django.core import signing
from playwright.sync_api import Page, expect

from privacy.middleware.consent import VISITOR_COOKIE_SALT
from privacy.models import TrackingEvent
from privacy.services import consent, tracking
from tests.cinema.factories import make_film

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def spool(settings, tmp_path):
    """The embedded-mode buffer, in a folder of this test's own."""
    settings.REDIS_URL = ""
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "spool")


def banner(page: Page):
    return page.get_by_role("region", name="Your cookie choices")


def visitor_id_of(page: Page) -> uuid.UUID:
    [cookie] = [c for c in page.context.cookies() if c["name"] == consent.VISITOR_COOKIE]
    signer = signing.get_cookie_signer(salt=VISITOR_COOKIE_SALT)
    return uuid.UUID(signer.unsign(cookie["value"]))


def analytics_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url)
            if "analytics.js" in request.url or "/privacy/t/" in request.url
            else None
        ),
    )
    return seen


def test_after_reject_all_browsing_records_nothing(page: Page, live_server, snap):
    film = make_film(title="Arrival")
    requests = analytics_requests(page)

    page.goto(live_server.url)
    expect(banner(page)).to_be_visible()
    banner(page).get_by_role("button", name="Reject all").click()
    expect(banner(page)).to_have_count(0)
    snap(page, "01-rejected")

    page.goto(f"{live_server.url}/programme/")
    page.goto(f"{live_server.url}/films/{film.slug}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arrival")
    page.goto(f"{live_server.url}/films/?q=Arrival")  # pagehide of the film page, too
    snap(page, "02-browsed")

    tracking.flush_buffer()
    assert TrackingEvent.objects.count() == 0
    assert requests == []
    cookie_names = {c["name"] for c in page.context.cookies()}
    assert "mq_analytics" not in cookie_names
    assert consent.VISITOR_COOKIE in cookie_names  # the refusal itself is remembered


def test_after_accepting_analytics_views_searches_and_time_are_recorded(
    page: Page, live_server, snap
):
    film = make_film(title="Arrival")
    make_film(title="Paper Moons")

    page.goto(live_server.url)
    banner(page).get_by_role("button", name="Customise").click()
    banner(page).get_by_label("Analytics").check()
    snap(page, "01-customise")
    banner(page).get_by_role("button", name="Save my choices").click()
    expect(banner(page)).to_have_count(0)
    visitor_id = visitor_id_of(page)

    page.goto(f"{live_server.url}/films/")
    page.get_by_label("Film title").fill("arrival")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name="Results")
    results.get_by_role("link", name="Arrival").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arrival")
    snap(page, "02-film")
    page.wait_for_timeout(300)  # some visible time on the film page
    page.goto(f"{live_server.url}/programme/")  # leaving sends the film page's time

    def film_view_with_time():
        tracking.flush_buffer()
        return TrackingEvent.objects.filter(
            kind="film_view", film=film, time_on_page_ms__gt=0
        ).first()

    deadline = time.monotonic() + 10
    while not film_view_with_time() and time.monotonic() < deadline:
        time.sleep(0.2)

    events = list(TrackingEvent.objects.filter(visitor_id=visitor_id).order_by("created_at"))
    kinds = [e.kind for e in events]
    assert "search" in kinds and "film_view" in kinds and kinds[-1] == "page_view"
    search = next(e for e in events if e.kind == "search")
    assert (search.search_query, search.path) == ("arrival", "/films/")
    viewed = next(e for e in events if e.kind == "film_view")
    assert viewed.film == film
    assert viewed.time_on_page_ms and viewed.time_on_page_ms >= 200
    assert viewed.referrer.endswith("/films/")  # the search page, without "?q=arrival"
    assert all(e.ip_prefix == "127.0.0.0/24" and e.user is None for e in events)
    assert TrackingEvent.objects.exclude(visitor_id=visitor_id).count() == 0
