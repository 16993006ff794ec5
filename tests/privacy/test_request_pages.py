"""A member's list of requests, one request's page, and the signed public status page."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from privacy.models import PrivacyRequest, RequestEvent, VerificationCode
from privacy.services import requests
from tests.factories import make_member

pytestmark = pytest.mark.django_db

REQUEST_LIST = reverse("privacy:request_list")


def visitor_request(**fields) -> PrivacyRequest:
    fields.setdefault("email", "dana@example.com")
    fields.setdefault("name", "Dana Visitor")
    return requests.open_request("inquiry", description="Which data do you hold?", **fields)


def age_codes(req, minutes=2) -> None:
    """Make the request's codes ``minutes`` older, as if that time had passed."""
    req.verification_codes.update(created_at=F("created_at") - timedelta(minutes=minutes))


def last_code() -> str:
    return re.search(r"^\s*(\d{6})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)


# --- My requests -------------------------------------------------------------------------------


def test_the_list_shows_the_members_requests_with_status_deadline_and_overdue_mark(client):
    member = make_member()
    long_ago = timezone.now() - timedelta(days=90)
    late = requests.open_request("rectification", user=member, received_at=long_ago)
    recent = requests.open_request("access", user=member)
    done = requests.record_self_service("export", user=member)
    others = requests.open_request("access", user=make_member())
    client.force_login(member)

    page = client.get(REQUEST_LIST).content.decode()

    for req in (late, recent, done):
        assert req.reference in page
    assert others.reference not in page
    assert page.count(">overdue<") == 1
    assert "Correction of my data" in page and "Waiting" not in page
    assert recent.due_at.strftime("%Y") in page
    assert "Completed" in page and "self-service" in page


def test_the_list_is_paginated(client):
    member = make_member()
    for _ in range(27):
        requests.record_self_service("export", user=member)
    client.force_login(member)

    first = client.get(REQUEST_LIST).content.decode()
    second = client.get(REQUEST_LIST, {"page": 2}).content.decode()

    assert first.count("/privacy/requests/") - first.count("/privacy/requests/status") >= 25
    assert "Page 1 of 2" in first and "Page 2 of 2" in second


def test_another_members_request_is_a_404(client):
    owner, other = make_member(), make_member()
    req = requests.open_request("access", user=owner, description="Secret question")
    client.force_login(other)

    response = client.get(reverse("privacy:request_detail", args=[req.public_id]))
    withdraw = client.post(reverse("privacy:request_detail", args=[req.public_id]))

    assert response.status_code == withdraw.status_code == 404
    assert "Secret question" not in response.content.decode()
    req.refresh_from_db()
    assert req.status == "received"


def test_my_requests_need_a_signed_in_member(client):
    req = requests.open_request("access", user=make_member())

    for url in (REQUEST_LIST, reverse("privacy:request_detail", args=[req.public_id])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_the_trail_shows_steps_and_answers_but_no_staff_identity_or_internal_note(client):
    member = make_member()
    officer = make_member(email="officer.olga@example.com", first_name="Olga", is_staff=True)
    req = requests.open_request("access", user=member)
    requests.assign(req, assignee=officer, actor=officer)
    requests.add_note(req, actor=officer, note="Internal: check the old CRM too.")
    requests.extend(req, actor=officer, reason="Your data is in two archives.")
    client.force_login(member)

    page = client.get(reverse("privacy:request_detail", args=[req.public_id])).content.decode()

    assert "Deadline extended" in page and "Your data is in two archives." in page
    assert "Internal: check the old CRM too." not in page
    assert "officer.olga@example.com" not in page and "Olga" not in page
    assert f"#{officer.pk}" not in page
    assert "Email sent to the requester" in page
    assert "(extended)" in page


def test_the_member_withdraws_an_open_request(client):
    member = make_member()
    req = requests.open_request("rectification", user=member, description="Wrong name.")
    client.force_login(member)
    url = reverse("privacy:request_detail", args=[req.public_id])
    assert "Withdraw this request" in client.get(url).content.decode()

    response = client.post(url, follow=True)

    req.refresh_from_db()
    assert req.status == "withdrawn"
    page = response.content.decode()
    assert "Your request is withdrawn." in page
    assert "Withdraw this request" not in page
    assert req.events.filter(action="withdrawn", actor=member).exists()


def test_a_closed_request_cannot_be_withdrawn(client):
    member = make_member()
    req = requests.record_self_service("export", user=member)
    client.force_login(member)

    response = client.post(reverse("privacy:request_detail", args=[req.public_id]), follow=True)

    req.refresh_from_db()
    assert req.status == "completed"
    assert "This request is already closed." in response.content.decode()


def test_switching_a_restriction_on_and_lifting_it_read_apart_in_the_list_and_detail(client):
    from privacy.services import restriction

    member = make_member()
    client.force_login(member)
    restriction.restrict(member)
    restriction.lift(member)
    switched_on, lifted = PrivacyRequest.objects.order_by("pk")

    listing = client.get(REQUEST_LIST).content.decode()
    on_page = client.get(reverse("privacy:request_detail", args=[switched_on.public_id]))
    lift_page = client.get(reverse("privacy:request_detail", args=[lifted.public_id]))

    assert listing.count("Restriction switched on") == 1
    assert listing.count("Restriction lifted") == 1
    assert "Restriction switched on" in on_page.content.decode()
    assert "Restriction lifted" not in on_page.content.decode()
    assert "Restriction lifted" in lift_page.content.decode()


# --- Rectification -----------------------------------------------------------------------------


def test_a_member_asks_to_correct_a_past_booking_and_sees_what_they_can_edit_themselves(client):
    member = make_member()
    client.force_login(member)
    url = reverse("privacy:rectification")

    page = client.get(url).content.decode()
    assert "You can change these at once in your profile" in page
    assert "First name" in page and "Phone number" in page
    assert f'href="{reverse("accounts:profile")}"' in page
    assert "The name on a booking" not in page  # bookings hold no name
    assert 'value="other"' in page

    response = client.post(
        url, {"data": "booking", "message": "Booking T00012 shows the wrong seats."}
    )

    req = PrivacyRequest.objects.get()
    assert (req.type, req.user, req.status) == ("rectification", member, "received")
    assert req.details == {"data": "booking"}
    assert req.description == "Booking T00012 shows the wrong seats."
    assert response["Location"] == reverse("privacy:request_detail", args=[req.public_id])
    assert mail.outbox[0].to == [member.email]


def test_a_rectification_needs_a_description(client):
    client.force_login(make_member())

    response = client.post(reverse("privacy:rectification"), {"data": "other", "message": ""})

    assert response.status_code == 400
    assert not PrivacyRequest.objects.exists()


# --- The public status page --------------------------------------------------------------------


def test_the_status_page_opens_with_its_signed_link_only(client):
    req = visitor_request()

    page = client.get(requests.status_path(req))
    assert page.status_code == 200
    assert req.reference in page.content.decode()
    assert "Which data do you hold?" not in page.content.decode()  # the link shows no content
    assert "no-store" in page["Cache-Control"]

    for token in ("not-a-token", signing.dumps(str(req.public_id), salt="another-salt")):
        response = client.get(reverse("privacy:request_status", args=[token]))
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()


def test_an_expired_status_link_is_a_clear_404(client, settings):
    req = visitor_request()
    path = requests.status_path(req)
    settings.PRIVACY_REQUEST_STATUS_LINK_MAX_AGE = timedelta(seconds=-1)

    response = client.get(path)

    assert response.status_code == 404
    assert "has expired" in response.content.decode()


def test_a_link_to_a_members_request_leads_to_the_center(client):
    member = make_member()
    req = requests.open_request("access", user=member)
    token = signing.dumps(str(req.public_id), salt=requests.STATUS_SALT)

    response = client.get(reverse("privacy:request_status", args=[token]))

    assert response["Location"] == reverse("privacy:request_detail", args=[req.public_id])


def test_a_new_code_replaces_the_old_one(client):
    req = visitor_request()
    first = last_code()
    path = requests.status_path(req)
    age_codes(req)

    response = client.post(
        reverse("privacy:request_status_resend", args=[path.split("/")[-2]]), follow=True
    )

    assert "We emailed you a new code" in response.content.decode()
    second = last_code()
    assert VerificationCode.objects.filter(request=req).count() == 2
    if first != second:
        assert client.post(path, {"code": first}).status_code == 400
    client.post(path, {"code": second})
    req.refresh_from_db()
    assert req.status == "received"


def test_new_codes_wait_a_minute_and_stop_after_a_few(client, settings):
    # The per-IP rate limit is tested below; this is the per-request rule.
    settings.MARQUEE_RATE_LIMITS = {**settings.MARQUEE_RATE_LIMITS, "privacy_request_resend": ""}
    req = visitor_request()
    token = requests.status_path(req).split("/")[-2]
    resend = reverse("privacy:request_status_resend", args=[token])

    response = client.post(resend, follow=True)
    assert "Wait a minute" in response.content.decode()
    assert VerificationCode.objects.filter(request=req).count() == 1

    for _ in range(10):
        age_codes(req)
        client.post(resend)
    assert VerificationCode.objects.filter(request=req).count() == 5
    age_codes(req)
    response = client.post(resend, follow=True)
    assert "We have sent the most codes we send for one request" in response.content.decode()


def test_code_checks_and_resends_are_rate_limited(client, settings):
    settings.MARQUEE_RATE_LIMITS = {
        **settings.MARQUEE_RATE_LIMITS,
        "privacy_request_code": "2/m/ip",
        "privacy_request_resend": "1/m/ip",
    }
    req = visitor_request()
    path = requests.status_path(req)
    token = path.split("/")[-2]

    client.post(path, {"code": "111111"})
    client.post(path, {"code": "222222"})
    assert client.post(path, {"code": "333333"}).status_code == 429
    client.post(reverse("privacy:request_status_resend", args=[token]))
    assert client.post(reverse("privacy:request_status_resend", args=[token])).status_code == 429
    assert VerificationCode.objects.get(request=req).attempts == 2


def test_the_status_page_of_a_verified_request_shows_its_trail_and_due_date(client):
    req = visitor_request()
    requests.check_code(req, last_code())
    req.refresh_from_db()

    page = client.get(requests.status_path(req)).content.decode()

    assert "Confirm that this request is yours" not in page
    assert "Received" in page and "Identity verified" in page
    assert "Answer due by" in page
    assert RequestEvent.objects.filter(request=req, action="verified").exists()
