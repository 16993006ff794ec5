"""A member finds a film, books two seats, gets the confirmation email, and cancels."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cinema.models import Booking
from tests.cinema.factories import make_cinema, make_film, make_genre, make_showtime
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def test_member_finds_a_film_books_two_seats_and_cancels(page: Page, live_server, mailoutbox, snap):
    member = make_member(email="cinephile@example.com", first_name="Aru")
    drama = make_genre(name="Drama", slug="drama")
    film = make_film(title="Steppe Wind", age_rating="12+", genres=[drama],
                     synopsis="A young herder crosses the steppe.")  # fmt: skip
    make_film(title="Paper Moons")
    cinema = make_cinema(name="Marquee Esentai", city="Almaty", address="77/8 Al-Farabi Avenue")
    day = timezone.localdate() + timedelta(days=2)
    starts = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 19, 30))
    make_showtime(film=film, cinema=cinema, starts_at=starts, capacity=40, price="2500")

    # Sign in through the login page.
    page.goto(f"{live_server.url}/accounts/login/")
    field(page, "Email").fill(member.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My bookings")).to_be_visible()

    # The programme, then the film search.
    nav.get_by_role("link", name="Programme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")
    expect(field(page, "Cinema")).to_be_visible()
    snap(page, "01-programme")
    page.get_by_role("link", name="Search all films").click()
    page.get_by_label("Film title").fill("steppe")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name="Results")
    expect(results.get_by_role("link", name="Steppe Wind")).to_be_visible()
    expect(results.get_by_role("link", name="Paper Moons")).to_have_count(0)
    snap(page, "02-search")
    results.get_by_role("link", name="Steppe Wind").click()

    # The film page lists the showtime by cinema; book two seats.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Steppe Wind")
    expect(page.get_by_text("A young herder crosses the steppe.")).to_be_visible()
    snap(page, "03-film")
    page.get_by_role("link", name=re.compile("19:30")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book Steppe Wind")
    page.get_by_label("Number of seats").fill("2")
    snap(page, "04-book")
    page.get_by_role("button", name="Book seats").click()

    booking = Booking.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Booking {booking.code}")
    expect(page.get_by_role("status")).to_contain_text(f"Your booking {booking.code} is confirmed.")
    expect(page.get_by_role("main")).to_contain_text("A1, A2")
    expect(page.get_by_role("main")).to_contain_text("Reserved")
    snap(page, "05-confirmation")
    assert booking.user == member and booking.seats == ["A1", "A2"]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["cinephile@example.com"]
    assert mailoutbox[0].subject == f"[Marquee] Your booking {booking.code}: Steppe Wind"
    assert "A1, A2" in mailoutbox[0].body and "Marquee Esentai" in mailoutbox[0].body

    # Cancel it, after a confirmation; the page shows it cancelled, and an email says so.
    page.get_by_role("link", name="Cancel this booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel booking {booking.code}?")
    expect(page.get_by_role("main")).to_contain_text("Your 2 seats are released at once")
    page.get_by_role("button", name="Yes, cancel this booking").click()
    expect(page.get_by_role("status")).to_contain_text("Your booking is cancelled.")
    expect(page.get_by_role("main")).to_contain_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel this booking")).to_have_count(0)
    snap(page, "06-cancelled")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == f"[Marquee] Booking {booking.code} cancelled"

    # My bookings lists it apart from the upcoming ones, marked cancelled.
    nav.get_by_role("link", name="My bookings").click()
    upcoming = page.get_by_role("region", name="Upcoming")
    expect(upcoming.get_by_role("row", name=re.compile(booking.code))).to_have_count(0)
    cancelled = page.get_by_role("region", name="Cancelled")
    expect(cancelled.get_by_role("row", name=re.compile(booking.code))).to_contain_text("Cancelled")
    snap(page, "07-my-bookings")


def test_refused_geolocation_leaves_the_manual_choice(page: Page, live_server, snap):
    make_cinema(name="Marquee Keruen", city="Astana")

    page.context.grant_permissions([])  # the member says no
    page.goto(f"{live_server.url}/programme/")
    page.get_by_role("button", name="Find the nearest cinema").click()

    expect(page.locator("#nearest-status")).to_contain_text("We could not get your position")
    field(page, "Cinema").select_option(label="Marquee Keruen · Astana")
    snap(page, "geolocation-refused")


def test_nearest_cinema_button_lists_the_closest(page: Page, live_server, snap):
    make_cinema(name="Marquee Keruen", city="Astana", latitude="51.128", longitude="71.430")
    esentai = make_cinema(name="Marquee Esentai", city="Almaty", latitude="43.218",
                          longitude="76.928")  # fmt: skip

    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 43.25, "longitude": 76.93})
    page.goto(f"{live_server.url}/programme/")
    page.get_by_role("button", name="Find the nearest cinema").click()

    nearest = page.locator("#nearest-list li")
    expect(nearest.first).to_contain_text("Marquee Esentai")
    expect(field(page, "Cinema")).to_have_value(str(esentai.pk))
    snap(page, "nearest")
