"""A member signs up, books, consents, browses, exports, deletes, cancels, deletes again.

Then the workers run past the grace period (the beat task, called here as beat would, with
tasks eager), and: nothing of the member is left (``forget_check``), the old credentials
no longer sign in, and the booking of the showtime they went to still counts in the
box-office report.
"""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from cinema.models import Booking, Showtime
from privacy import tasks
from privacy.models import DataExport, ErasureJob, TrackingEvent
from privacy.services import tracking
from tests.cinema.factories import make_cinema, make_film, make_showtime
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "zarina.deletova@example.com"
FIRST, LAST = "Zarina", "Deletova"
CONFIRM_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+")


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def sign_in(page: Page, url: str, email: str = EMAIL) -> None:
    page.goto(f"{url}/accounts/login/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()


def book(page: Page, url: str, showtime: Showtime, seats: int) -> Booking:
    page.goto(f"{url}/showtimes/{showtime.pk}/book/")
    page.get_by_label("Number of seats").fill(str(seats))
    page.get_by_role("button", name="Book seats").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Booking ")
    return Booking.objects.filter(showtime=showtime).get()


def delete_account(page: Page, url: str, snap, step: str) -> None:
    nav(page).get_by_role("link", name="Privacy", exact=True).click()
    page.get_by_role("link", name="Delete my account").click()
    # Re-authentication first: the password again.
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete my account")
    snap(page, f"{step}-plan")
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account will be deleted")
    snap(page, f"{step}-scheduled")


def test_member_deletes_their_account_cancels_once_and_is_erased_after_the_grace_period(
    page: Page, live_server, mailoutbox, settings, tmp_path, snap
):
    settings.REDIS_URL = ""  # usage events buffer in this test's spool folder
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "spool")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.PRIVACY_ERASURE_JOURNAL_FILE = str(tmp_path / "journal.jsonl")
    url = live_server.url
    film = make_film(title="Steppe Wind")
    cinema = make_cinema(name="Marquee Esentai", city="Almaty")
    tonight = make_showtime(
        film=film, cinema=cinema, starts_at=timezone.now() + timedelta(hours=6), price="2500"
    )
    later = make_showtime(
        film=film, cinema=cinema, starts_at=timezone.now() + timedelta(days=5), price="2500"
    )

    # Sign up and verify the address; accept the cookie banner (analytics included).
    page.goto(url)
    page.get_by_role("region", name="Your cookie choices").get_by_role(
        "button", name="Accept all"
    ).click()
    nav(page).get_by_role("link", name="Sign up", exact=True).click()
    field(page, "Email").fill(EMAIL)
    page.get_by_label("First name").fill(FIRST)
    page.get_by_label("Last name").fill(LAST)
    page.get_by_label("Date of birth").fill(date(1991, 3, 8).isoformat())
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up", exact=True).click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    page.goto(CONFIRM_LINK.findall(mailoutbox[-1].body)[0])
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_text(f"Welcome back, {FIRST}.")).to_be_visible()
    member = get_user_model().objects.get(email=EMAIL)

    # Book tonight's showing and one next week; browse (analytics is on).
    seen = book(page, url, tonight, 2)
    upcoming = book(page, url, later, 1)
    for _ in range(3):
        page.goto(f"{url}/films/{film.slug}/")
    page.goto(f"{url}/films/?q=steppe")
    tracking.flush_buffer()  # the beat task's work
    assert TrackingEvent.objects.filter(user=member).count() >= 4
    # Tonight's showing takes place: that booking is history now, not pending.
    Showtime.objects.filter(pk=tonight.pk).update(starts_at=timezone.now() - timedelta(hours=3))

    # Download my data (built at once: tasks are eager in tests).
    page.goto(f"{url}/privacy/export/")
    page.get_by_role("button", name="Prepare a copy of my data").click()
    expect(page.locator("#export-list tbody tr").first).to_contain_text("Ready to download")
    export = DataExport.objects.get(user=member)
    export_file = Path(settings.PRIVACY_EXPORT_DIR) / export.file_name
    assert export_file.exists()

    # Delete: the plan lists what goes, what is kept and why; then the grace period starts.
    delete_account(page, url, snap, "01")
    job = ErasureJob.objects.get(user_id=member.pk)
    assert Booking.objects.get(pk=upcoming.pk).status == "cancelled"
    assert any("will be deleted" in m.subject for m in mailoutbox if m.to == [EMAIL])

    # Cancel once, by signing in: only the cancellation is offered.
    sign_in(page, url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the deletion of your account")
    snap(page, "02-cancel-offered")
    page.get_by_role("button", name="Cancel the deletion").click()
    expect(page.get_by_role("status")).to_contain_text("The deletion is cancelled")
    job.refresh_from_db()
    assert job.status == "cancelled"
    # Signed in again at once: no second password prompt.
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy center")
    expect(nav(page).get_by_role("link", name="Sign in", exact=True)).to_have_count(0)

    # Delete again, for good this time.
    delete_account(page, url, snap, "03")
    job = ErasureJob.objects.get(user_id=member.pk, status="scheduled")

    # The grace period passes; beat's sweeper starts the erasure and a worker runs it.
    ErasureJob.objects.filter(pk=job.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    tasks.sweep_erasures()
    job.refresh_from_db()
    assert job.status == "done"
    assert any("has been erased" in m.subject for m in mailoutbox if m.to == [EMAIL])
    assert not export_file.exists()

    # Nothing of the member is left anywhere.
    out = io.StringIO()
    call_command("forget_check", EMAIL, "--name", f"{FIRST} {LAST}", stdout=out)
    assert "Nothing of this member was found." in out.getvalue()
    call_command("forget_check", str(job.tombstone), stdout=io.StringIO())

    # The old credentials no longer sign in.
    page.context.clear_cookies()
    sign_in(page, url)
    expect(page.get_by_text("The email address and/or password you specified are not correct."))
    expect(nav(page).get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    snap(page, "04-sign-in-fails")

    # The showing they went to still counts in the box office, without them.
    kept = Booking.objects.get(pk=seen.pk)
    assert kept.user_id is None and kept.tombstone == job.tombstone and kept.status == "reserved"
    staff = make_member(email="boxoffice@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_boxoffice"))
    sign_in(page, url, staff.email)
    day = timezone.localdate(timezone.now() - timedelta(hours=3)).isoformat()
    page.goto(f"{url}/staff/box-office/?start={day}&end={day}")
    per_film = page.get_by_role("table", name="Per film")
    row = per_film.get_by_role("row", name=re.compile("Steppe Wind"))
    expect(row.locator(".per-film-tickets")).to_have_text("2")
    expect(row).to_contain_text("5,000\xa0KZT")
    snap(page, "05-box-office")
