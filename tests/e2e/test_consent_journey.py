"""A visitor answers the cookie banner in a real browser: by keyboard, by customising, and
with a browser that sends Global Privacy Control."""

import re

import pytest
from playwright.sync_api import Page, expect

from privacy.models import ConsentRecord, ConsentState
from privacy.services import consent

pytestmark = pytest.mark.django_db(transaction=True)

OPTIONAL_COOKIES = {"mq_analytics", "mq_ads", "mq_functional"}


def banner(page: Page):
    return page.get_by_role("region", name="Your cookie choices")


def cookie_names(page: Page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def test_keyboard_only_visitor_rejects_all(page: Page, live_server, snap):
    page.goto(live_server.url)
    expect(banner(page)).to_be_visible()
    for name in ("Accept all", "Reject all", "Customise"):
        expect(banner(page).get_by_role("button", name=name)).to_be_visible()
    # Equally prominent: the three buttons are the same size.
    boxes = [
        banner(page).get_by_role("button", name=name).bounding_box()
        for name in ("Accept all", "Reject all", "Customise")
    ]
    assert len({round(box["height"]) for box in boxes}) == 1
    assert len({round(box["width"]) for box in boxes}) == 1
    assert not cookie_names(page) & (OPTIONAL_COOKIES | {consent.VISITOR_COOKIE})
    snap(page, "01-banner")

    reject = banner(page).get_by_role("button", name="Reject all")
    for _ in range(15):
        page.keyboard.press("Tab")
        if reject.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Reject all cannot be reached with the Tab key")
    # The focused button shows a visible focus ring.
    assert reject.evaluate("element => getComputedStyle(element).outlineStyle") != "none"
    snap(page, "02-reject-focused")
    page.keyboard.press("Enter")

    expect(banner(page)).to_have_count(0)
    expect(page).to_have_url(f"{live_server.url}/")
    names = cookie_names(page)
    assert consent.VISITOR_COOKIE in names
    assert not names & OPTIONAL_COOKIES
    assert dict(ConsentState.objects.values_list("purpose", "granted")) == dict.fromkeys(
        consent.BANNER_PURPOSES, False
    )
    snap(page, "03-after-reject")


def test_visitor_customises_and_allows_analytics_only(page: Page, live_server, snap):
    page.goto(f"{live_server.url}/programme/")
    panel = banner(page).get_by_role("group", name="Choose which cookies we may use")
    expect(panel).to_be_hidden()
    customise = banner(page).get_by_role("button", name="Customise")
    customise.click()

    # The panel opens in place; focus moves to its first choice.
    expect(panel).to_be_visible()
    expect(customise).to_have_attribute("aria-expanded", "true")
    expect(panel.get_by_label("Essential (always on)")).to_be_checked()
    expect(panel.get_by_label("Essential (always on)")).to_be_disabled()
    expect(panel.get_by_label("Functionality")).to_be_focused()
    panel.get_by_label("Analytics").check()
    snap(page, "01-customise")
    panel.get_by_role("button", name="Save my choices").click()

    expect(page).to_have_url(f"{live_server.url}/programme/")
    expect(banner(page)).to_have_count(0)
    page.get_by_role("navigation", name="Privacy").get_by_role(
        "link", name="Cookie settings"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookie settings")
    expect(page.get_by_label("Analytics")).to_be_checked()
    expect(page.get_by_label("Functionality")).not_to_be_checked()
    expect(page.get_by_label("Personalised advertising")).not_to_be_checked()
    expect(page.locator("#setting-analytics-state")).to_have_text("On")
    expect(page.locator("#setting-advertising-state")).to_have_text("Off")
    snap(page, "02-settings")
    assert ConsentRecord.objects.filter(source="banner").count() == 3


def test_browser_sending_gpc_has_advertising_off_without_a_click(browser, live_server, snap):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    try:
        page.goto(live_server.url)
        expect(banner(page)).to_contain_text(
            "Opt-out preference signal honoured: Personalised advertising stays off."
        )
        snap(page, "01-banner-with-gpc")

        page.goto(f"{live_server.url}/privacy/cookies/")
        advertising = page.get_by_label("Personalised advertising")
        expect(advertising).not_to_be_checked()
        expect(advertising).to_be_disabled()
        expect(page.locator("#setting-advertising-state")).to_contain_text(
            "Off (not chosen yet) — Opt-out preference signal honoured"
        )
        # A screen reader announces the reason together with the checkbox.
        expect(advertising).to_have_accessible_description(
            re.compile("Opt-out preference signal honoured")
        )
        expect(page.locator("#setting-analytics-state")).not_to_contain_text("honoured")
        snap(page, "02-settings-with-gpc")
        assert not ConsentRecord.objects.exists()
    finally:
        context.close()
