"""A visitor reports a suspected leak and confirms it by code; a member restricts processing."""

import re

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from privacy.models import PrivacyRequest
from privacy.services import consent, restriction
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def test_a_visitor_reports_a_leak_and_confirms_it_with_the_emailed_code(
    page: Page, live_server, mailoutbox, snap
):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Contact the privacy team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact the privacy team")

    page.get_by_label("A report that my data may have leaked or been misused").check()
    field(page, "Your message").fill("Someone else's booking confirmation reached me.")
    field(page, "Your name").fill("Dana Visitor")
    field(page, "Your email address").fill("dana.visitor@example.com")
    snap(page, "01-contact-form")
    page.get_by_role("button", name="Send to the privacy team").click()

    req = PrivacyRequest.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {req.reference}")
    expect(page.get_by_role("heading", name="Confirm that this request is yours")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("Waiting for identity check")
    snap(page, "02-awaiting-code")

    [message] = mailoutbox
    assert message.to == ["dana.visitor@example.com"]
    code = re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE).group(1)
    field(page, "Code from the email").fill(code)
    page.get_by_role("button", name="Confirm", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("your request is confirmed")
    expect(page.locator("#request-status")).to_have_text("Received")
    req.refresh_from_db()
    with translation.override("en"):
        due = formats.date_format(timezone.localtime(req.due_at), "DATE_FORMAT")
    expect(page.locator("#request-due")).to_have_text(due)
    expect(page.get_by_role("heading", name="Confirm that this request is yours")).to_have_count(0)
    snap(page, "03-received")
    assert (req.type, req.status) == ("leak_report", "received")
    assert mailoutbox[-1].to == ["dana.visitor@example.com"]


def test_a_member_opens_the_privacy_center_and_restricts_processing(page: Page, live_server, snap):
    member = make_member(email="restricting@example.com", first_name="Aru")
    consent.record_choices(
        consent.Subject.of(member),
        {consent.ANALYTICS: True, consent.MARKETING_EMAIL: True},
        source=consent.Source.SETTINGS,
    )

    page.goto(f"{live_server.url}/accounts/login/")
    field(page, "Email").fill(member.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Privacy").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy center")
    expect(page.get_by_role("heading", name="What we hold about you")).to_be_visible()
    expect(page.get_by_role("heading", name="Contact details")).to_be_visible()
    expect(page.get_by_text("restricting@example.com (verified)")).to_be_visible()
    snap(page, "01-center")

    page.get_by_role("link", name="Restrict processing of my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Restrict processing")
    expect(page.get_by_role("heading", name="What continues")).to_be_visible()
    page.get_by_role("button", name="Restrict processing of my data").click()

    state = page.locator("#restriction-state")
    expect(state).to_contain_text("Processing of your data is restricted since")
    expect(page.get_by_role("button", name="Lift the restriction")).to_be_visible()
    snap(page, "02-restricted")
    assert restriction.is_restricted(type(member).objects.get(pk=member.pk))

    nav.get_by_role("link", name="Privacy").click()
    expect(page.locator("#restriction-state")).to_contain_text(
        "Processing of your data is restricted since"
    )
    snap(page, "03-center-restricted")
