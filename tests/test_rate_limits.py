"""Rate limits: sign-in, sign-up, reset and codes (allauth) and our own endpoints.

Every limited request gets the same 429 page, records nothing, and tells an attacker
nothing about which accounts or addresses exist.
"""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from cinema.models import Booking
from privacy.models import ConsentRecord, TrackingEvent
from privacy.services import consent, marketing, tracking
from privacy.sms import sign_body
from tests.cinema.factories import make_showtime
from tests.factories import PASSWORD, make_member
from tests.privacy.marketing_helpers import make_subscriber

pytestmark = pytest.mark.django_db

CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def same_page(response, *, echoed: str = "") -> str:
    """The body without its CSRF token and what the client itself sent (path, address)."""
    body = CSRF_VALUE.sub(r"\1\2", response.content.decode())
    body = body.replace(response.wsgi_request.path, "/the-path-asked-for/")
    return body.replace(echoed, "the-address-typed") if echoed else body


def limit(settings, **rates):
    settings.MARQUEE_RATE_LIMITS = {**settings.MARQUEE_RATE_LIMITS, **rates}


def assert_limited(response):
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()
    body = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        assert "Too many requests" in json.loads(body)["error"]
    else:
        assert "Too many attempts" in body
        assert "Please wait a few minutes and try again." in body


# --- Our own endpoints ----------------------------------------------------------------------


def test_unsubscribe_posts_beyond_the_limit_get_429_and_unsubscribe_nobody(settings):
    limit(settings, unsubscribe="2/m/ip")
    first, second, third = make_subscriber(), make_subscriber(), make_subscriber()
    provider = Client(enforce_csrf_checks=True)

    def one_click(member):
        token = marketing.unsubscribe_token(member, channel="email")
        return provider.post(reverse("privacy:unsubscribe", args=[token]))

    assert [one_click(first).status_code, one_click(second).status_code] == [200, 200]
    response = one_click(third)

    assert_limited(response)
    assert consent.allows(third, consent.MARKETING_EMAIL)
    # A GET only shows the button and is never limited.
    token = marketing.unsubscribe_token(third, channel="email")
    assert provider.get(reverse("privacy:unsubscribe", args=[token])).status_code == 200


def test_a_limited_unsubscribe_looks_the_same_for_a_member_and_a_forged_token(settings):
    limit(settings, unsubscribe="1/m/ip")
    member = make_subscriber()
    provider = Client()
    provider.post(reverse("privacy:unsubscribe", args=["warm-up"]))

    real = provider.post(
        reverse("privacy:unsubscribe", args=[marketing.unsubscribe_token(member, channel="email")])
    )
    forged = provider.post(reverse("privacy:unsubscribe", args=["not-a-token"]))

    assert real.status_code == forged.status_code == 429
    assert same_page(real) == same_page(forged)


def deliver_sms(phone, text="STOP"):
    raw = json.dumps({"from": phone, "text": text}).encode()
    return Client().post(
        reverse("privacy:sms_inbound"),
        raw,
        content_type="application/json",
        HTTP_X_MARQUEE_SIGNATURE=sign_body(raw, "sms-secret"),
    )


def test_the_sms_webhook_beyond_its_limit_gets_429_and_opts_nobody_out(settings):
    settings.PRIVACY_SMS_WEBHOOK_SECRET = "sms-secret"
    limit(settings, sms_inbound="1/m/ip")
    member = make_subscriber(sms_marketing=True, phone="+77011234567")
    deliver_sms("+77019999999")

    known = deliver_sms("+77011234567")
    unknown = deliver_sms("+77018888888")

    assert_limited(known)
    assert known.content == unknown.content
    assert consent.allows(member, consent.MARKETING_SMS)


def test_marketing_preference_posts_are_limited_per_member(client, settings):
    limit(settings, marketing_preferences="1/m/user")
    member = make_subscriber(email_marketing=False)
    client.force_login(member)
    url = reverse("privacy:marketing")

    assert client.post(url, {}).status_code == 302
    response = client.post(url, {"email": "on"})

    assert_limited(response)
    assert not ConsentRecord.objects.filter(user=member, purpose="marketing_email").exists()
    assert client.get(url).status_code == 200


def test_marketing_confirmations_beyond_the_limit_record_no_consent(client, settings):
    limit(settings, marketing_confirm="1/m/ip")
    member = make_member()
    client.post(reverse("privacy:marketing_confirm", args=["not-a-token"]))

    url = reverse("privacy:marketing_confirm", args=[marketing.confirmation_token(member)])
    response = client.post(url)

    assert_limited(response)
    assert not consent.allows(member, consent.MARKETING_EMAIL)


def test_consent_banner_posts_beyond_the_limit_record_nothing(client, settings):
    limit(settings, consent_banner="1/m/ip")
    banner = reverse("privacy:consent_banner")
    assert client.post(banner, {"choice": "reject", "next": "/"}).status_code == 302
    recorded = ConsentRecord.objects.count()

    response = client.post(banner, {"choice": "accept", "next": "/"})

    assert_limited(response)
    assert ConsentRecord.objects.count() == recorded


def test_nearest_cinema_beyond_the_limit_gets_a_json_429(client, settings):
    limit(settings, nearest_cinemas="1/m/ip")
    url = reverse("cinema:nearest_cinemas")
    coordinates = {"latitude": "43.25", "longitude": "76.92"}
    assert client.post(url, coordinates, HTTP_ACCEPT="application/json").status_code == 200

    response = client.post(url, coordinates, HTTP_ACCEPT="application/json")

    assert_limited(response)
    assert response["Content-Type"].startswith("application/json")


def test_tracking_beacons_beyond_the_limit_are_not_recorded(client, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "spool")
    limit(settings, tracking_beacon="1/m/ip")
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"analytics": True}, source="settings")
    client.force_login(member)
    click = json.dumps({"kind": "outbound_click", "path": "/", "target": "https://a.example/"})

    def beacon():
        return client.post(
            reverse("privacy:track"),
            click,
            content_type="text/plain;charset=UTF-8",
            HTTP_SEC_FETCH_SITE="same-origin",
        )

    assert beacon().status_code == 204
    assert_limited(beacon())
    tracking.flush_buffer()
    assert TrackingEvent.objects.filter(kind="outbound_click").count() == 1


def test_bookings_beyond_the_limit_are_not_made(client, settings):
    limit(settings, booking="1/m/user")
    showtime = make_showtime()
    member = make_member()
    client.force_login(member)
    url = reverse("cinema:book", args=[showtime.pk])
    assert client.post(url, {"seat_count": 1}).status_code == 302

    response = client.post(url, {"seat_count": 1})

    assert_limited(response)
    assert Booking.objects.filter(user=member).count() == 1


def test_limits_count_per_client_ip(settings):
    limit(settings, consent_banner="1/m/ip")
    banner = reverse("privacy:consent_banner")
    data = {"choice": "reject", "next": "/"}

    assert Client(REMOTE_ADDR="198.51.100.1").post(banner, data).status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.1").post(banner, data).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.2").post(banner, data).status_code == 302


def test_the_429_page_is_translated(client, settings):
    limit(settings, consent_banner="0/m/ip")

    response = client.post(
        reverse("privacy:consent_banner"), {"choice": "reject"}, HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert response.status_code == 429
    assert response.headers["Content-Language"] == "ru"
    assert '<html lang="ru"' in response.content.decode()


# --- allauth: sign-in, sign-up, password reset ----------------------------------------------


def test_failed_sign_ins_are_limited_alike_for_members_and_unknown_addresses(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "2/m/key"}
    make_member(email="known@example.com")

    def attempts(email):
        browser = Client()
        return [
            browser.post(reverse("account_login"), {"login": email, "password": "wrong-guess-1"})
            for _ in range(3)
        ]

    known, unknown = attempts("known@example.com"), attempts("nobody@example.com")

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert known[-1].status_code in (200, 429)
    assert same_page(known[-1], echoed="known@example.com") == same_page(
        unknown[-1], echoed="nobody@example.com"
    )
    assert "Too many failed login attempts" in known[-1].content.decode()


def test_the_right_password_is_refused_too_once_an_address_is_locked(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "2/m/key"}
    make_member(email="target@example.com")
    attacker = Client()
    for _ in range(2):
        attacker.post(reverse("account_login"), {"login": "target@example.com", "password": "x"})

    response = attacker.post(
        reverse("account_login"), {"login": "target@example.com", "password": PASSWORD}
    )

    assert "_auth_user_id" not in attacker.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_requests_are_limited_alike_for_members_and_unknown_addresses(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "1/m/key"}
    make_member(email="known@example.com")

    def requests(email):
        browser = Client()
        return [browser.post(reverse("account_reset_password"), {"email": email}) for _ in range(2)]

    known, unknown = requests("known@example.com"), requests("nobody@example.com")

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert known[-1].status_code == 429
    assert same_page(known[-1], echoed="known@example.com") == same_page(
        unknown[-1], echoed="nobody@example.com"
    )


def test_sign_ups_beyond_the_limit_get_429_and_create_no_account(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    client.post(reverse("account_signup"), {"email": "first@example.com"})

    response = client.post(
        reverse("account_signup"),
        {"email": "second@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    from accounts.models import User

    assert not User.objects.filter(email="second@example.com").exists()
