"""A member on a phone (390 px wide): nothing makes the page scroll sideways.

Wide content (the seat map, the bookings table) scrolls inside its own box, with a shadow at
the edge that has more to show; the signed-in devices and the data copies become small
cards with every button in view. Also the privacy center's cards on a desktop, and the
site's icon.
"""

import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from privacy.services import export
from tests.cinema.factories import make_booking, make_cinema, make_film, make_showtime
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
CHROME = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36"

# How far the page itself scrolls sideways (0 when it fits the window).
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "en-US"}


@pytest.fixture
def failed_requests(page: Page):
    """Every response of 400 or more the pages asked for (the icon included)."""
    failed = []

    def record(response):
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", record)
    return failed


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("region", name="Your cookie choices").get_by_role(
        "button", name="Reject all"
    ).click()
    page.get_by_label(re.compile(r"^Email:?$")).fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My account")


def assert_fits(page: Page) -> None:
    overflow = page.evaluate(PAGE_OVERFLOW)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 390px"


def assert_in_window(page: Page, target: Locator) -> None:
    box = target.bounding_box()
    assert box is not None, f"{target} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"{target} is outside the window sideways: {box}"
    )


def inside(inner: Locator, outer: Locator) -> bool:
    a, b = inner.bounding_box(), outer.bounding_box()
    return a["x"] >= b["x"] - 1 and a["x"] + a["width"] <= b["x"] + b["width"] + 1


def edge_darkness(page: Page, box: Locator) -> float:
    """How much darker than white the last few pixels of ``box``'s right edge are, with
    its content hidden for the moment: what the box itself paints there."""
    rect = box.bounding_box()
    clip = {
        "x": rect["x"] + rect["width"] - 4,
        "y": rect["y"],
        "width": 3,
        "height": rect["height"],
    }
    hide = "(box, value) => { for (const c of box.children) { c.style.visibility = value; } }"
    box.evaluate(hide, "hidden")
    pixels = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L").tobytes()
    box.evaluate(hide, "")
    return 255 - sum(pixels) / len(pixels)


def test_booking_with_the_seat_map_on_a_phone(page: Page, live_server, failed_requests, snap):
    member = make_member(email="phone.seats@example.com")
    showtime = make_showtime(film=make_film(title="Double Booking"), capacity=60)
    make_booking(showtime=showtime, seat_count=2, seats=["A1", "A2"])

    sign_in(page, live_server.url, member.email)
    page.goto(f"{live_server.url}/showtimes/{showtime.pk}/book/")
    page.get_by_text("Choose your seats on the map").click()
    expect(page.get_by_role("checkbox", name="Row E, seat 1", exact=True)).to_be_visible()
    snap(page, "01-map-open")

    assert_fits(page)
    seats = page.locator(".seat-scroll")
    card = page.locator("section.card").filter(has=seats)
    assert inside(seats, card), "the seat map sticks out of its card"
    assert seats.evaluate("(box) => box.scrollWidth > box.clientWidth"), "12 seats fit? no scroll"
    assert edge_darkness(page, seats) > 3, "no shadow shows that more seats are to the right"
    # The last seat of a row is reached by keyboard: Tab scrolls it into view in the box.
    page.get_by_role("checkbox", name="Row A, seat 11", exact=True).focus()
    page.keyboard.press("Tab")
    last = page.get_by_role("checkbox", name="Row A, seat 12", exact=True)
    expect(last).to_be_focused()
    assert inside(last, seats)
    assert_in_window(page, last)
    page.keyboard.press("Space")
    expect(last).to_be_checked()
    snap(page, "02-last-seat")
    assert_in_window(page, page.get_by_role("button", name="Book seats"))
    assert_fits(page)
    assert not failed_requests, failed_requests


def test_my_bookings_scroll_in_their_box_with_a_cue(page: Page, live_server, snap):
    member = make_member(email="phone.bookings@example.com")
    cinema = make_cinema(name="Caspian Screens", city="Aktau")
    for days in (1, 2, 3):
        showtime = make_showtime(
            film=make_film(title="The Last Tram"),
            cinema=cinema,
            starts_at=timezone.now() + timedelta(days=days),
        )
        make_booking(showtime=showtime, user=member, seat_count=3, seats=["C4", "C5", "C6"])

    sign_in(page, live_server.url, member.email)
    page.goto(f"{live_server.url}/bookings/")
    assert_fits(page)
    box = page.locator(".table-scroll").first
    status = box.locator("tbody tr").first.locator(".status")
    assert not inside(status, box), "the table fits: nothing to check"
    snap(page, "01-start")
    hinted = edge_darkness(page, box)

    box.evaluate("(box) => { box.scrollLeft = box.scrollWidth; }")
    assert inside(status, box)
    assert_in_window(page, status)
    expect(box.locator("tbody tr").first).to_contain_text("C4, C5, C6")
    snap(page, "02-scrolled-to-the-end")
    # The shadow at the right edge shows while columns are hidden there, and goes at the end.
    assert hinted > edge_darkness(page, box) + 3, "no cue that the table scrolls"
    assert_fits(page)


def test_signed_in_devices_fit_a_phone(page: Page, live_server, snap):
    member = make_member(email="phone.devices@example.com")
    for n in range(3):  # three more browsers, each signed in
        client = Client(HTTP_USER_AGENT=CHROME, REMOTE_ADDR=f"198.51.100.{n + 10}")
        client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    sign_in(page, live_server.url, member.email)
    page.goto(f"{live_server.url}/accounts/sessions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed-in devices")
    snap(page, "01-devices")

    assert_fits(page)
    buttons = page.get_by_role("button", name="Sign out Chrome")
    expect(buttons).to_have_count(3)
    for button in buttons.all():
        assert_in_window(page, button)
    assert_in_window(page, page.get_by_role("button", name="Sign out all other devices"))
    # Still a table to a screen reader, the column names with the cells.
    table = page.get_by_role("table", name="Signed-in devices")
    expect(table.get_by_role("columnheader", name="Approximate network")).to_have_count(1)
    expect(table.get_by_role("cell", name="198.51.100.0/24")).to_have_count(3)


def test_download_my_data_fits_a_phone_in_english_and_russian(
    page: Page, live_server, settings, tmp_path, snap
):
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    member = make_member(email="phone.export@example.com")
    data_export = export.request_export(member)
    export.build_export(data_export.pk)

    sign_in(page, live_server.url, member.email)
    for language, download in (("en", "Download"), ("ru", "Скачать")):
        member.preferred_language = language
        member.save(update_fields=["preferred_language"])
        page.goto(f"{live_server.url}/privacy/export/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        snap(page, f"export-{language}")
        assert_fits(page)
        link = page.locator("#export-list").get_by_role("link", name=download, exact=True)
        assert_in_window(page, link)


def test_privacy_center_cards_on_a_desktop_and_a_phone(page: Page, live_server, snap):
    member = make_member(email="phone.center@example.com")
    sign_in(page, live_server.url, member.email)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/privacy/center/")
    snap(page, "01-desktop")

    rights = page.get_by_role("region", name="Your rights").locator(".card")
    expect(rights).to_have_count(5)
    tops = {round(card.bounding_box()["y"]) for card in rights.all()}
    assert len(tops) == 1, "the rights' cards do not share one row on a desktop"
    after = page.locator("#objections-heading").locator("xpath=..")
    gap = after.bounding_box()["y"] - max(
        box["y"] + box["height"] for box in (card.bounding_box() for card in rights.all())
    )
    assert gap >= 16, f"the Profiling and marketing card is {gap}px below the rights' cards"
    # Every kind of record says what it is; the sessions that keep the member signed in too.
    expect(page.get_by_text("The key that keeps you signed in on a browser")).to_be_visible()

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/privacy/center/")
    snap(page, "02-phone")
    assert_fits(page)


def test_the_site_icon_is_linked_and_answers_at_favicon_ico(page: Page, live_server):
    page.goto(f"{live_server.url}/")
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_attribute("type", "image/svg+xml")
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    assert response.url.endswith(icon.get_attribute("href"))
