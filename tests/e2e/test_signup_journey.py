"""A visitor becomes a member in a real browser: sign up, verify by email, sign out, sign in.

The email leaves through ``cinema.mail.TaskEmailBackend`` (an outbox row plus a Celery task
on commit). ``live_server`` tests are transactional, so the commit really happens; tasks run
eagerly in tests and deliver with the locmem backend, i.e. into ``mailoutbox``.
"""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+")


def header(page: Page):
    return page.get_by_role("navigation", name="Main")


def field(page: Page, label: str):
    """The input labelled exactly ``label`` (Django adds a trailing colon to labels)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def fill_signup_form(page: Page, *, email: str, born: date) -> None:
    field(page, "Email").fill(email)
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Date of birth").fill(born.isoformat())
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)


def test_visitor_signs_up_verifies_email_signs_out_and_back_in(
    page: Page, live_server, mailoutbox, snap
):
    email = "ada.lovelace@example.com"

    # A visitor arrives and follows the header's sign-up link.
    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your seats, your data, your choice.")
    snap(page, "01-home")
    header(page).get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/")
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()

    # Only the required fields are filled in; the optional ones stay empty.
    fill_signup_form(page, email=email, born=date(1990, 5, 17))
    snap(page, "02-signup-filled")
    page.get_by_role("button", name="Sign Up", exact=True).click()

    # The site asks for verification before the first sign-in.
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    expect(page.get_by_text("We have sent an email to you for verification")).to_be_visible()
    expect(header(page).get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    snap(page, "03-verification-sent")

    user = get_user_model().objects.get(email=email)
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.date_of_birth == date(1990, 5, 17)
    # Nothing the visitor did not give is stored (the language is the preselected one).
    assert user.patronymic == ""
    assert user.username is None
    assert str(user.phone) == ""
    assert user.preferred_language == "en"
    assert user.emailaddress_set.get().verified is False

    # Exactly one message, to the address given, with a link back to this very server.
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [email]
    assert message.subject.startswith("[Marquee] ")
    links = CONFIRM_LINK.findall(message.body)
    assert len(links) == 1, message.body
    link = links[0]
    assert link.startswith(f"{live_server.url}/accounts/confirm-email/")

    # Opening the link does not confirm by itself (no confirmation on GET): a button does.
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(email)
    snap(page, "04-confirm-email")
    page.get_by_role("button", name="Confirm", exact=True).click()

    # Confirming signs the member in and lands on the home page.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_contain_text(f"You have confirmed {email}.")
    expect(page.get_by_text("Welcome back, Ada.")).to_be_visible()
    expect(header(page).get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(header(page).get_by_role("link", name="My account", exact=True)).to_be_visible()
    expect(header(page).get_by_role("link", name="Sign in", exact=True)).to_have_count(0)
    snap(page, "05-signed-in-after-confirmation")
    assert user.emailaddress_set.get().verified is True

    # The account page shows the member's own details.
    header(page).get_by_role("link", name="My account", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/me/profile/")
    expect(page.get_by_label("First name")).to_have_value("Ada")
    expect(page.get_by_label("Date of birth")).to_have_value("1990-05-17")
    expect(page.get_by_label("Phone number")).to_have_value("")
    snap(page, "06-my-account")

    # Signing out from the header takes effect at once (a POST, no extra confirmation).
    header(page).get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    expect(header(page).get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(header(page).get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    snap(page, "07-signed-out")

    # The profile is no longer reachable without signing in.
    page.goto(f"{live_server.url}/me/profile/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/me/profile/$"))

    # Signing in again with email and password works.
    header(page).get_by_role("link", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    snap(page, "08-sign-in-filled")
    page.get_by_role("button", name="Sign In", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("Welcome back, Ada.")).to_be_visible()
    expect(header(page).get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(header(page).get_by_role("link", name="My account", exact=True)).to_be_visible()
    snap(page, "09-signed-in-again")

    # Still one account, still one email: signing in sends nothing.
    assert get_user_model().objects.filter(email__iexact=email).count() == 1
    assert len(mailoutbox) == 1


def test_visitor_under_minimum_age_is_refused_next_to_date_of_birth(
    page: Page, live_server, mailoutbox, settings, snap
):
    settings.ACCOUNTS_MINIMUM_AGE = 16
    today = timezone.localdate()
    # One day short of the 16th birthday (29 February falls back to 1 March).
    try:
        sixteenth_birthday = today.replace(year=today.year - 16)
    except ValueError:
        sixteenth_birthday = date(today.year - 16, 3, 1)
    born = sixteenth_birthday + timedelta(days=1)

    page.goto(f"{live_server.url}/accounts/signup/")
    fill_signup_form(page, email="too.young@example.com", born=born)
    page.get_by_role("button", name="Sign Up", exact=True).click()

    # The form comes back with the reason attached to the date of birth field.
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/")
    date_of_birth = page.get_by_label("Date of birth")
    expect(date_of_birth).to_have_attribute("aria-invalid", "true")
    expect(date_of_birth).to_have_accessible_description(re.compile("at least 16 years old"))
    field = page.locator("form > div").filter(has=date_of_birth)
    expect(field.locator(".errorlist")).to_contain_text("at least 16 years old")
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_have_count(0)
    snap(page, "refused")

    assert not get_user_model().objects.exists()
    assert mailoutbox == []
