"""The inbound SMS webhook: signed by the gateway, STOP in four languages opts out."""

import json

import pytest
from django.test import Client

from privacy.models import ConsentRecord, SuppressionEntry
from privacy.services import consent, suppression
from privacy.sms import sign_body
from tests.privacy.marketing_helpers import make_subscriber

pytestmark = pytest.mark.django_db

SECRET = "webhook-secret-for-tests"
URL = "/privacy/sms/inbound/"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.PRIVACY_SMS_WEBHOOK_SECRET = SECRET


def deliver(body, *, secret=SECRET, content_type="application/json", signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signature is not None or secret:
        headers["HTTP_X_MARQUEE_SIGNATURE"] = signature or sign_body(raw, secret)
    return Client(enforce_csrf_checks=True).post(URL, raw, content_type=content_type, **headers)


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "  stop \n",
        "Stop",
        "TD",
        "td",
        "退订",
        "СТОП",
        "стоп",
        "\uff33\uff34\uff2f\uff30",
        "STOP.",
    ],
)
def test_a_stop_reply_opts_the_member_out_of_marketing_sms(text):
    member = make_subscriber(email_marketing=True, sms_marketing=True, phone="+77011234567")

    response = deliver({"from": "+77011234567", "text": text})

    assert response.status_code == 200
    assert not consent.allows(member, consent.MARKETING_SMS)
    assert consent.allows(member, consent.MARKETING_EMAIL), "only SMS is stopped"
    latest = ConsentRecord.objects.filter(user=member).first()
    assert (latest.purpose, latest.granted, latest.source) == ("marketing_sms", False, "sms_reply")
    assert suppression.is_suppressed(channel="sms", value="+77011234567")


def test_every_member_with_that_number_is_opted_out():
    first = make_subscriber(sms_marketing=True, phone="+77011234567")
    second = make_subscriber(sms_marketing=True, phone="+77011234567")
    other = make_subscriber(sms_marketing=True, phone="+77019999999")

    deliver({"from": "+77011234567", "text": "STOP"})

    assert not consent.allows(first, consent.MARKETING_SMS)
    assert not consent.allows(second, consent.MARKETING_SMS)
    assert consent.allows(other, consent.MARKETING_SMS)


def test_an_unknown_number_gets_the_same_answer_and_is_suppressed():
    known = make_subscriber(sms_marketing=True, phone="+77011234567")
    known_answer = deliver({"from": "+77011234567", "text": "STOP"})

    unknown_answer = deliver({"from": "+77015550000", "text": "STOP"})

    assert unknown_answer.status_code == known_answer.status_code == 200
    assert unknown_answer.content == known_answer.content
    assert suppression.is_suppressed(channel="sms", value="+77015550000")
    assert not consent.allows(known, consent.MARKETING_SMS)


def test_other_texts_change_nothing():
    member = make_subscriber(sms_marketing=True, phone="+77011234567")

    response = deliver({"from": "+77011234567", "text": "stop sending me films? no, thanks!"})

    assert response.status_code == 200
    assert consent.allows(member, consent.MARKETING_SMS)
    assert not SuppressionEntry.objects.exists()


def test_a_form_encoded_body_is_accepted_too():
    member = make_subscriber(sms_marketing=True, phone="+77011234567")

    response = deliver(
        b"from=%2B77011234567&text=STOP", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert not consent.allows(member, consent.MARKETING_SMS)


@pytest.mark.parametrize(
    "signature", ["", "0" * 64, sign_body(b"another body", SECRET), sign_body(b"{}", "wrong")]
)
def test_a_bad_signature_is_refused_and_changes_nothing(signature):
    member = make_subscriber(sms_marketing=True, phone="+77011234567")
    body = json.dumps({"from": "+77011234567", "text": "STOP"}).encode()

    response = Client().post(
        URL, body, content_type="application/json", HTTP_X_MARQUEE_SIGNATURE=signature
    )

    assert response.status_code == 403
    assert consent.allows(member, consent.MARKETING_SMS)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        json.dumps({"text": "STOP"}).encode(),
        json.dumps({"from": "+77011234567"}).encode(),
        json.dumps({"from": "87011234567", "text": "STOP"}).encode(),
        json.dumps({"from": "+1", "text": "STOP"}).encode(),
        json.dumps({"from": 77011234567, "text": "STOP"}).encode(),
    ],
)
def test_a_malformed_body_gets_400(body):
    response = deliver(body)

    assert response.status_code == 400
    assert "error" in response.json()
    assert not SuppressionEntry.objects.exists()


def test_the_webhook_answers_503_while_no_secret_is_configured(settings):
    settings.PRIVACY_SMS_WEBHOOK_SECRET = ""

    response = deliver({"from": "+77011234567", "text": "STOP"}, secret="anything")

    assert response.status_code == 503


def test_only_post_is_allowed():
    assert Client().get(URL).status_code == 405
