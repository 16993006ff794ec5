"""Who may see a member's data: the member, and staff with the permission — nobody else.

Each view that shows member data is listed explicitly below. Another member, an
anonymous visitor and a support agent without the permission each get a 404, a 403 or
the sign-in page, and the body never contains the victim's email, name or booking code.
"""

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.services import avatar as avatar_service
from privacy import roles
from privacy.services import consent
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

VICTIM_EMAIL = "zhanar.victim@example.com"
VICTIM_FIRST, VICTIM_LAST = "Zhanargul", "Victimova"


@pytest.fixture
def victim(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    member = make_member(email=VICTIM_EMAIL, first_name=VICTIM_FIRST, last_name=VICTIM_LAST)
    booking = make_booking(showtime=make_showtime(), user=member)
    consent.record_choices(
        consent.Subject.of(member),
        {consent.MARKETING_EMAIL: True, "analytics": True},
        source=consent.Source.SETTINGS,
    )
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, format="JPEG")
    upload = SimpleUploadedFile("me.jpg", buffer.getvalue(), content_type="image/jpeg")
    avatar_service.set_avatar(member, upload=upload, actor=member)
    member.refresh_from_db()
    assert member.avatar
    return {"member": member, "booking": booking}


@pytest.fixture
def support_group():
    """The "Support" role (privacy/roles.py): accounts, their addresses and bookings only."""
    group = Group.objects.get(name=roles.SUPPORT)
    assert set(group.permissions.values_list("codename", flat=True)) == {
        "view_user",
        "view_emailaddress",
        "view_booking",
    }
    return group


@pytest.fixture
def support_agent(support_group):
    agent = get_user_model().objects.create_user(
        email="support@example.com", password="support-pass-123", is_staff=True
    )
    agent.groups.add(support_group)
    return agent


def member_pages(victim) -> list[tuple[str, str]]:
    """(method, path) of every view that shows a member's own data."""
    code = victim["booking"].code
    return [
        ("get", reverse("accounts:profile")),
        ("get", reverse("accounts:avatar_image")),
        ("get", reverse("accounts:member_avatar_image", args=[victim["member"].pk])),
        ("get", reverse("cinema:booking_list")),
        ("get", reverse("cinema:booking_detail", args=[code])),
        ("post", reverse("cinema:booking_cancel", args=[code])),
        ("get", reverse("cinema:preferences")),
        ("get", reverse("cinema:for_you")),
        ("get", reverse("privacy:marketing")),
        ("get", reverse("privacy:cookie_settings")),
        ("get", reverse("privacy:policy_review")),
        ("get", reverse("privacy:center")),
        ("get", reverse("privacy:request_list")),
        ("get", reverse("privacy:restriction")),
        ("get", reverse("privacy:objection")),
        ("get", reverse("privacy:rectification")),
        ("get", reverse("cinema:box_office")),
    ]


def personal_data_changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def assert_nothing_of_the_victim(response, victim):
    path = response.wsgi_request.path
    if response.streaming or response.get("Content-Type", "").startswith("image/"):
        raise AssertionError(f"{path} served a file (the victim's photo)")
    # A 404 page may echo the address that was asked for: that is the asker's own input.
    body = response.content.replace(path.encode(), b"")
    for secret in (VICTIM_EMAIL, VICTIM_FIRST, VICTIM_LAST, victim["booking"].code):
        assert secret.encode() not in body, (response.wsgi_request.path, secret)


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and (
        response["Location"].startswith(reverse("account_login"))
        or response["Location"].startswith(reverse("admin:login"))
    )


def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_member_page(victim):
    visitor = Client()

    for method, path in member_pages(victim):
        response = getattr(visitor, method)(path)

        if path == reverse("privacy:cookie_settings"):  # a visitor's own choices, by cookie
            assert response.status_code == 200
        else:
            assert is_sign_in_redirect(response), (path, response.status_code)
        assert_nothing_of_the_victim(response, victim)


def test_another_member_sees_only_their_own_data_or_a_404(victim):
    other = Client()
    other.force_login(make_member(email="curious@example.com", first_name="Curious"))

    for method, path in member_pages(victim):
        response = getattr(other, method)(path)

        assert response.status_code in (200, 302, 403, 404), (path, response.status_code)
        if response.status_code == 302:  # e.g. "nothing to review": never off-site
            assert response["Location"].startswith("/"), path
        assert_nothing_of_the_victim(response, victim)
    code = victim["booking"].code
    assert other.get(reverse("cinema:booking_detail", args=[code])).status_code == 404
    assert other.post(reverse("cinema:booking_cancel", args=[code])).status_code == 404
    photo = reverse("accounts:member_avatar_image", args=[victim["member"].pk])
    assert other.get(photo).status_code == 404
    victim["booking"].refresh_from_db()
    assert victim["booking"].is_active


def test_a_member_gets_no_admin_page(victim):
    other = Client()
    other.force_login(make_member())

    for path in personal_data_changelists():
        response = other.get(path)

        assert is_sign_in_redirect(response), (path, response.status_code)
        assert_nothing_of_the_victim(response, victim)


def test_support_staff_see_bookings_and_accounts_but_nothing_else_in_the_admin(
    victim, support_agent
):
    support = Client()
    support.force_login(support_agent)
    allowed = {
        reverse("admin:cinema_booking_changelist"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:account_emailaddress_changelist"),
    }

    for path in personal_data_changelists():
        response = support.get(path)

        if path in allowed:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, (path, response.status_code)
            assert_nothing_of_the_victim(response, victim)
    assert VICTIM_EMAIL.encode() in support.get(reverse("admin:accounts_user_changelist")).content


@pytest.mark.parametrize(
    "changelist",
    ["privacy_consentrecord", "privacy_disclosure", "privacy_campaign", "privacy_suppressionentry"],
)
def test_support_staff_cannot_open_the_consent_ledger_disclosures_or_campaigns(
    victim, support_agent, changelist
):
    support = Client()
    support.force_login(support_agent)

    response = support.get(reverse(f"admin:{changelist}_changelist"))

    assert response.status_code == 403
    assert_nothing_of_the_victim(response, victim)


def test_support_staff_cannot_open_member_pages_of_someone_else(victim, support_agent):
    support = Client()
    support.force_login(support_agent)

    photo = reverse("accounts:member_avatar_image", args=[victim["member"].pk])
    for method, path in member_pages(victim):
        if path == photo:  # support may see photos: their view_user permission, tested below
            continue
        response = getattr(support, method)(path)

        assert_nothing_of_the_victim(response, victim)
    assert support.get(reverse("cinema:box_office")).status_code == 403
    code = victim["booking"].code
    assert support.get(reverse("cinema:booking_detail", args=[code])).status_code == 404


def test_support_staff_may_see_a_members_photo_only_through_their_view_permission(
    victim, support_agent, support_group
):
    support = Client()
    support.force_login(support_agent)
    photo = reverse("accounts:member_avatar_image", args=[victim["member"].pk])

    assert support.get(photo).status_code == 200
    support_group.permissions.remove(Permission.objects.get(codename="view_user"))
    assert support.get(photo).status_code == 404
