"""Two-factor authentication and signed-in devices, in a real browser."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_member, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile(r"^Email:?$")).fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_load_state()


def test_member_turns_on_an_authenticator_app_and_signs_in_with_a_code(
    page: Page, live_server, snap
):
    member = make_member(email="totp@example.com")
    sign_in(page, live_server.url, member.email)

    page.goto(f"{live_server.url}/me/profile/")
    page.get_by_role("link", name="Two-factor authentication").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/")
    snap(page, "01-two-factor-index")
    page.get_by_role("link", name="Activate").first.click()

    # Turning on a second factor asks for the password again (allauth's reauthentication).
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.locator("input[name=code]").fill(totp_code(secret))
    snap(page, "02-activate-totp")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_contain_text("Authenticator app activated.")
    stored = Authenticator.objects.get(user=member, type=Authenticator.Type.TOTP)
    assert secret not in str(stored.data)  # encrypted at rest

    page.context.clear_cookies()
    sign_in(page, live_server.url, member.email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    snap(page, "03-asked-for-code")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/me/profile/")
    expect(page).to_have_url(f"{live_server.url}/me/profile/")


def test_member_sees_two_devices_and_signs_the_other_out(page: Page, browser, live_server, snap):
    member = make_member(email="devices@example.com")
    other_context = browser.new_context()
    other = other_context.new_page()
    sign_in(other, live_server.url, member.email)
    sign_in(page, live_server.url, member.email)

    page.goto(f"{live_server.url}/me/profile/")
    page.get_by_role("link", name="Signed-in devices").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("This device")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("127.0.0.0/24")
    expect(page.locator("tbody")).not_to_contain_text("127.0.0.1")
    snap(page, "04-two-devices")

    page.get_by_role("button", name=re.compile(r"^Sign out Chrome")).click()
    expect(page.get_by_role("status")).to_contain_text("That device has been signed out.")
    expect(rows).to_have_count(1)

    other.goto(f"{live_server.url}/me/profile/")
    expect(other).to_have_url(re.compile(r"/accounts/login/"))
    other_context.close()
