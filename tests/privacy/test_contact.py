"""Contacting the privacy team, and a guardian's report of a child's account (L4, K8, S2)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from privacy.models import PrivacyRequest, VerificationCode
from privacy.registry import registry
from tests.factories import make_member

pytestmark = pytest.mark.django_db

CONTACT = reverse("privacy:contact")
GUARDIAN = reverse("privacy:guardian_report")


def code_in(message) -> str:
    return re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE).group(1)


def leak_report(**overrides):
    data = {
        "kind": "leak_report",
        "message": "I received a stranger's booking confirmation.",
        "name": "Dana Visitor",
        "email": "dana@example.com",
    }
    return {**data, **overrides}


def guardian_report(**overrides):
    data = {
        "name": "Aigul Parent",
        "email": "aigul@example.com",
        "relationship": "parent",
        "child": "kid@example.com",
        "message": "My son is 12 and opened an account.",
    }
    return {**data, **overrides}


# --- Visitors ----------------------------------------------------------------------------------


def test_a_visitor_sends_a_leak_report_and_confirms_it_with_the_emailed_code(client):
    response = client.post(CONTACT, leak_report())

    req = PrivacyRequest.objects.get()
    assert (req.type, req.status, req.user) == ("leak_report", "awaiting_verification", None)
    assert (req.email, req.name) == ("dana@example.com", "Dana Visitor")
    assert req.description == "I received a stranger's booking confirmation."
    assert response.status_code == 302
    status_page = response["Location"]
    assert status_page.startswith("/privacy/requests/status/")
    [message] = mail.outbox
    assert message.to == ["dana@example.com"]
    assert req.reference in message.subject

    page = client.get(status_page).content.decode()
    assert "Confirm that this request is yours" in page
    assert "Waiting for identity check" in page

    response = client.post(status_page, {"code": code_in(message)}, follow=True)

    req.refresh_from_db()
    assert (req.status, req.verification) == ("received", "email_code")
    page = response.content.decode()
    assert "your request is confirmed" in page
    assert "Received" in page and "Answer due by" in page
    assert "Confirm that this request is yours" not in page
    assert mail.outbox[-1].to == ["dana@example.com"]  # the acknowledgement


def test_a_wrong_code_is_refused_and_counted(client):
    status_page = client.post(CONTACT, leak_report())["Location"]

    response = client.post(status_page, {"code": "000000"})

    assert response.status_code == 400
    assert "That code is not right or has expired" in response.content.decode()
    assert PrivacyRequest.objects.get().status == "awaiting_verification"
    assert VerificationCode.objects.get().attempts == 1


def test_a_visitor_must_give_a_name_and_an_email_address(client):
    response = client.post(CONTACT, leak_report(name="", email=""))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Tell us your name" in page
    assert "Give an email address" in page
    assert not PrivacyRequest.objects.exists()
    assert mail.outbox == []


def test_every_kind_of_message_is_its_own_request_type(client):
    for kind in ("inquiry", "complaint", "leak_report"):
        client.post(CONTACT, leak_report(kind=kind))

    assert sorted(PrivacyRequest.objects.values_list("type", flat=True)) == [
        "complaint",
        "inquiry",
        "leak_report",
    ]


def test_an_unknown_kind_is_refused(client):
    response = client.post(CONTACT, leak_report(kind="erasure"))

    assert response.status_code == 400
    assert not PrivacyRequest.objects.exists()


def test_the_form_can_start_on_a_leak_report(client):
    page = client.get(CONTACT, {"kind": "leak_report"}).content.decode()

    assert re.search(r'value="leak_report"[^>]*checked', page)


# --- Members -----------------------------------------------------------------------------------


def test_a_member_is_known_at_once_and_follows_the_request_in_the_center(client):
    member = make_member(email="member@example.com")
    client.force_login(member)

    page = client.get(CONTACT).content.decode()
    assert 'name="email"' not in page

    response = client.post(CONTACT, {"kind": "complaint", "message": "You mailed me twice."})

    req = PrivacyRequest.objects.get()
    assert (req.user, req.status, req.verification) == (member, "received", "signed_in")
    assert req.email == ""  # the account's address is used
    assert response["Location"] == reverse("privacy:request_detail", args=[req.public_id])
    [message] = mail.outbox
    assert message.to == ["member@example.com"]
    assert VerificationCode.objects.count() == 0


def test_messages_to_the_privacy_team_are_declared_personal_data_of_the_member():
    """S2: what a member writes to support is exported and erased like other data."""
    policy = registry.get(PrivacyRequest)

    assert policy.fields["description"].personal
    assert policy.export is not None
    assert policy.fields["description"].anonymize == "redact"
    member = make_member()
    from privacy.services import requests

    req = requests.open_request("inquiry", user=member, description="Where is my data?")
    assert list(policy.rows_of(member)) == [req]


# --- Guardians ---------------------------------------------------------------------------------


def test_a_guardian_reports_a_childs_account_without_an_account(client):
    response = client.post(GUARDIAN, guardian_report())

    req = PrivacyRequest.objects.get()
    assert (req.type, req.status, req.user) == ("guardian_report", "awaiting_verification", None)
    assert req.details == {"relationship": "parent", "child": "kid@example.com"}
    assert (req.name, req.email) == ("Aigul Parent", "aigul@example.com")
    assert response["Location"].startswith("/privacy/requests/status/")
    assert mail.outbox[0].to == ["aigul@example.com"]


def test_the_answer_is_the_same_whether_or_not_the_childs_account_exists(client):
    make_member(email="kid@example.com")

    existing = client.post(GUARDIAN, guardian_report(child="kid@example.com"), follow=True)
    missing = client.post(GUARDIAN, guardian_report(child="nobody@example.com"), follow=True)

    def normalised(response):
        body = response.content.decode()
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
        body = re.sub(r"/privacy/requests/status/[^/\"]+/", "/status/", body)
        body = re.sub(r"PR-\d{6}", "PR-x", body)
        return re.sub(r"<time[^>]*>[^<]*</time>", "", body)

    assert existing.status_code == missing.status_code == 200
    assert normalised(existing) == normalised(missing)
    first, second = PrivacyRequest.objects.order_by("pk")
    assert first.status == second.status == "awaiting_verification"
    assert [m.subject.replace(first.reference, "PR-x") for m in mail.outbox[:1]] == [
        m.subject.replace(second.reference, "PR-x") for m in mail.outbox[1:]
    ]


def test_a_guardian_report_needs_the_childs_account_and_a_relationship(client):
    response = client.post(GUARDIAN, guardian_report(child="", relationship="neighbour"))

    assert response.status_code == 400
    assert not PrivacyRequest.objects.exists()


# --- Rate limits -------------------------------------------------------------------------------


def test_contact_posts_beyond_the_limit_get_429_and_record_nothing(client, settings):
    settings.MARQUEE_RATE_LIMITS = {**settings.MARQUEE_RATE_LIMITS, "privacy_contact": "2/m/ip"}

    client.post(CONTACT, leak_report())
    client.post(CONTACT, leak_report())
    response = client.post(CONTACT, leak_report())

    assert response.status_code == 429
    assert PrivacyRequest.objects.count() == 2
    assert client.get(CONTACT).status_code == 200  # showing the form is never limited


def test_guardian_reports_beyond_the_limit_get_429(client, settings):
    settings.MARQUEE_RATE_LIMITS = {
        **settings.MARQUEE_RATE_LIMITS,
        "privacy_guardian_report": "1/m/ip",
    }

    client.post(GUARDIAN, guardian_report())
    response = client.post(GUARDIAN, guardian_report())

    assert response.status_code == 429
    assert PrivacyRequest.objects.count() == 1
