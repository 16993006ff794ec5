"""A member is asked once to review a significant policy change, reads the diff, carries on."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from privacy.models import PolicyVersion
from privacy.services import policies
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_reviews_a_material_change_and_continues(page: Page, live_server, snap):
    member = make_member(email="reviewer@example.com")
    PolicyVersion.objects.create(
        document="privacy", language="en", version="2026-11-10", title="Privacy policy",
        body="## Sharing\n\nWe share bookings with partner cinemas.",
        effective_from=timezone.localdate(), published_at=timezone.now(),
    )  # fmt: skip
    changed = PolicyVersion.objects.create(
        document="privacy", language="en", version="2026-11-21", title="Privacy policy",
        body="## Sharing\n\nWe share bookings with partner cinemas and our payment provider.",
        summary_of_changes="We now name our payment provider.", is_material=True,
        effective_from=timezone.localdate(),
    )  # fmt: skip

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(member.email)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    policies.publish_version(changed, actor=None)

    page.goto(f"{live_server.url}/programme/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Our policies have changed")
    expect(page.get_by_text("We now name our payment provider.")).to_be_visible()
    snap(page, "01-review")

    page.get_by_role("link", name="See every change, word by word").click()
    expect(
        page.get_by_role("heading", name=re.compile("What changed since version"))
    ).to_be_visible()
    expect(page.locator(".policy-diff ins")).to_contain_text("and our payment provider")
    expect(page.locator(".policy-dates")).to_contain_text("Last updated")
    snap(page, "02-diff")

    page.go_back()
    page.get_by_role("button", name="I have read it").click()
    expect(page).to_have_url(f"{live_server.url}/programme/")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Our policies have changed")).to_have_count(0)
