"""Marketing preferences: off by default, double opt-in for email, SMS needs a phone."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from cinema.services.booking import book_seats
from privacy.models import ConsentRecord, EmailOptInRequest, SuppressionEntry
from privacy.registry import registry
from privacy.services import consent, marketing, suppression
from tests.cinema.factories import make_showtime
from tests.factories import make_member
from tests.privacy.marketing_helpers import make_subscriber

pytestmark = pytest.mark.django_db


def confirmation_link(message) -> str:
    return re.search(r"https?://\S+/privacy/marketing/confirm/[^/\s]+/", message.body).group(0)


def checkbox(html: str, name: str) -> str:
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_marketing_is_off_until_the_member_turns_it_on(client):
    member = make_member()
    client.force_login(member)

    page = client.get(reverse("privacy:marketing"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "checked" not in checkbox(html, "email")
    assert "checked" not in checkbox(html, "sms")
    assert html.count("Current state: off.") == 2
    assert not consent.allows(member, consent.MARKETING_EMAIL)
    assert not consent.allows(member, consent.MARKETING_SMS)
    assert list(consent.members_allowing(consent.MARKETING_EMAIL)) == []


def test_the_profile_page_links_to_marketing_preferences(client):
    client.force_login(make_member())

    page = client.get(reverse("accounts:profile"))

    assert reverse("privacy:marketing") in page.content.decode()


def test_marketing_preferences_need_a_signed_in_member(client):
    page = client.get(reverse("privacy:marketing"))

    assert page.status_code == 302
    assert reverse("account_login") in page["Location"]


def test_switching_email_on_sends_a_confirmation_and_grants_nothing_yet(client, settings):
    settings.SITE_URL = "https://tickets.example"
    member = make_member(email="fan@example.com")
    client.force_login(member)

    response = client.post(reverse("privacy:marketing"), {"email": "on"}, follow=True)

    assert "We have sent a confirmation link" in response.content.decode()
    assert "waiting for your confirmation" in response.content.decode()
    assert not consent.allows(member, consent.MARKETING_EMAIL)
    assert not ConsentRecord.objects.filter(user=member).exists()
    [message] = mail.outbox
    assert message.to == ["fan@example.com"]
    assert confirmation_link(message).startswith("https://tickets.example/privacy/marketing/")


def test_following_the_confirmation_link_records_the_grant(client):
    member = make_member()
    client.force_login(member)
    client.post(reverse("privacy:marketing"), {"email": "on"})
    link = path_of(confirmation_link(mail.outbox[0]))
    client.logout()  # the link works from any browser: the signed token identifies the member

    shown = client.get(link)
    assert shown.status_code == 200
    assert not consent.allows(member, consent.MARKETING_EMAIL), "a GET must not opt in"
    assert "Yes, send me marketing email" in shown.content.decode()

    confirmed = client.post(link)

    assert confirmed.status_code == 200
    assert "marketing email is on" in confirmed.content.decode()
    assert consent.allows(member, consent.MARKETING_EMAIL)
    record = ConsentRecord.objects.get(user=member, purpose=consent.MARKETING_EMAIL)
    assert (record.granted, record.source) == (True, "settings")
    assert not EmailOptInRequest.objects.filter(user=member).exists()
    assert client.post(link).status_code == 200, "following the link twice is harmless"
    assert ConsentRecord.objects.filter(user=member).count() == 1


def test_an_expired_or_tampered_confirmation_link_is_refused_clearly(client, settings):
    member = make_member()
    marketing.request_email_optin(member)
    link = path_of(confirmation_link(mail.outbox[0]))

    tampered = client.post(link.replace("/confirm/", "/confirm/x"))
    settings.PRIVACY_MARKETING_CONFIRM_MAX_AGE = timedelta(seconds=-1)
    expired = client.post(link)

    assert tampered.status_code == 400
    assert "not valid" in tampered.content.decode()
    assert expired.status_code == 400
    assert "has expired" in expired.content.decode()
    assert not consent.allows(member, consent.MARKETING_EMAIL)


def test_a_confirmation_for_an_old_address_does_not_opt_in_the_new_one(client):
    member = make_member(email="old@example.com")
    marketing.request_email_optin(member)
    link = path_of(confirmation_link(mail.outbox[0]))
    User.objects.filter(pk=member.pk).update(email="new@example.com")

    response = client.post(link)

    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()
    assert not consent.allows(member, consent.MARKETING_EMAIL)


def test_switching_email_off_takes_effect_at_once_and_suppresses_the_address(client):
    member = make_subscriber(email="leaving@example.com")
    client.force_login(member)

    response = client.post(reverse("privacy:marketing"), {}, follow=True)

    assert "Marketing email is off" in response.content.decode()
    assert not consent.allows(member, consent.MARKETING_EMAIL)
    latest = ConsentRecord.objects.filter(user=member).first()
    assert (latest.purpose, latest.granted, latest.source) == ("marketing_email", False, "settings")
    assert suppression.is_suppressed(channel="email", value="Leaving@Example.com")


def test_cancelling_a_pending_email_opt_in_makes_its_link_useless(client):
    member = make_member()
    client.force_login(member)
    client.post(reverse("privacy:marketing"), {"email": "on"})
    link = path_of(confirmation_link(mail.outbox[0]))

    client.post(reverse("privacy:marketing"), {})
    response = client.post(link)

    assert response.status_code == 400
    assert not consent.allows(member, consent.MARKETING_EMAIL)


def test_opting_in_again_after_unsubscribing_lifts_the_suppression(client):
    member = make_subscriber()
    marketing.opt_out(member, channel="email", source=consent.Source.UNSUBSCRIBE)
    assert suppression.is_suppressed(channel="email", value=member.email)

    marketing.request_email_optin(member)
    client.post(path_of(confirmation_link(mail.outbox[-1])))

    assert consent.allows(member, consent.MARKETING_EMAIL)
    assert not suppression.is_suppressed(channel="email", value=member.email)


def test_sms_needs_a_phone_number_on_the_profile(client):
    member = make_member()
    client.force_login(member)

    response = client.post(reverse("privacy:marketing"), {"sms": "on"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Add a phone number to your profile first" in html
    assert 'aria-invalid="true"' in html and 'id="sms-errors"' in html
    assert not consent.allows(member, consent.MARKETING_SMS)
    assert not ConsentRecord.objects.filter(user=member).exists()


def test_sms_can_be_switched_on_and_off_in_settings(client):
    member = make_member(phone="+77011234567")
    client.force_login(member)

    client.post(reverse("privacy:marketing"), {"sms": "on"})
    assert consent.allows(member, consent.MARKETING_SMS)
    assert not consent.allows(member, consent.MARKETING_EMAIL)

    client.post(reverse("privacy:marketing"), {})
    assert not consent.allows(member, consent.MARKETING_SMS)
    assert list(
        ConsentRecord.objects.filter(user=member).order_by("pk").values_list("granted", "source")
    ) == [(True, "settings"), (False, "settings")]


def test_a_member_who_opted_out_of_marketing_still_gets_booking_confirmations():
    member = make_subscriber(sms_marketing=True, phone="+77011234567")
    marketing.opt_out(member, channel="email", source=consent.Source.UNSUBSCRIBE)
    marketing.opt_out(member, channel="sms", source=consent.Source.SMS_REPLY)
    showtime = make_showtime()

    book_seats(member, showtime_id=showtime.pk, seat_count=2, actor=member)

    [confirmation] = mail.outbox
    assert confirmation.to == [member.email]
    assert "booking" in confirmation.subject.lower()


def test_suppression_entries_hold_no_plain_address_and_outlive_the_account():
    member = make_member(email="gone@example.com", phone="+77011234567")
    suppression.suppress(channel="email", value="gone@example.com", reason="erasure")
    suppression.suppress(channel="sms", value="+7 701 123 4567", reason="erasure")
    policy = registry.get(SuppressionEntry)
    assert policy.rows_of(member).count() == 2

    User.objects.filter(pk=member.pk).delete()

    assert SuppressionEntry.objects.count() == 2
    stored = list(SuppressionEntry.objects.values_list("value_hash", flat=True))
    assert all("gone" not in value and "701" not in value for value in stored)
    assert suppression.is_suppressed(channel="email", value=" GONE@example.com ")
    assert suppression.is_suppressed(channel="sms", value="+77011234567")
    assert not suppression.is_suppressed(channel="email", value="other@example.com")


def test_suppressing_twice_keeps_one_entry():
    assert suppression.suppress(channel="email", value="a@example.com", reason="unsubscribe")
    assert not suppression.suppress(channel="email", value="A@example.com", reason="complaint")

    assert SuppressionEntry.objects.get().reason == "unsubscribe"
