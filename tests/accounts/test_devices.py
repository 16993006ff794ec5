"""Signed-in devices: the member sees coarse facts and signs other devices out."""

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from accounts.models import KnownDevice
from privacy import registry
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def signed_in(member, *, agent, ip):
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(member.pk)
    return client


def test_the_devices_page_shows_browser_and_network_never_the_full_address():
    member = make_member()
    laptop = signed_in(member, agent=FIREFOX, ip="203.0.113.77")
    signed_in(member, agent=CHROME, ip="198.51.100.23")

    page = laptop.get(reverse("usersessions_list")).content.decode()

    assert "Firefox" in page and "Chrome" in page
    assert "203.0.113.0/24" in page and "198.51.100.0/24" in page
    assert "203.0.113.77" not in page and "198.51.100.23" not in page
    assert FIREFOX not in page


def test_member_signs_one_other_device_out():
    member = make_member()
    laptop = signed_in(member, agent=FIREFOX, ip="203.0.113.77")
    phone = signed_in(member, agent=CHROME, ip="198.51.100.23")
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)

    response = laptop.post(reverse("accounts:end_session", args=[phone_session.pk]))

    assert response["Location"] == reverse("usersessions_list")
    assert phone.get(reverse("accounts:profile")).status_code == 302  # signed out
    assert laptop.get(reverse("accounts:profile")).status_code == 200


def test_member_signs_out_all_other_devices():
    member = make_member()
    laptop = signed_in(member, agent=FIREFOX, ip="203.0.113.77")
    phone = signed_in(member, agent=CHROME, ip="198.51.100.23")
    tablet = signed_in(member, agent=CHROME, ip="192.0.2.9")

    laptop.post(reverse("usersessions_list"))

    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert tablet.get(reverse("accounts:profile")).status_code == 302
    assert laptop.get(reverse("accounts:profile")).status_code == 200


def test_nobody_can_end_another_members_session():
    victim = make_member()
    victim_client = signed_in(victim, agent=FIREFOX, ip="203.0.113.77")
    session = UserSession.objects.get(session_key=victim_client.session.session_key)
    attacker = signed_in(make_member(), agent=CHROME, ip="198.51.100.23")

    attacker.post(reverse("accounts:end_session", args=[session.pk]))

    assert victim_client.get(reverse("accounts:profile")).status_code == 200


def test_known_devices_keep_only_a_hash_and_are_declared():
    member = make_member()
    signed_in(member, agent=FIREFOX, ip="203.0.113.77")

    device = KnownDevice.objects.get(user=member)
    assert "203.0.113" not in device.fingerprint_hash
    assert "Firefox" not in device.fingerprint_hash
    policy = registry.registry.get(KnownDevice)
    assert policy.export.section == "devices"
    assert policy.retention.after == "last_seen"
