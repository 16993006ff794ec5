"""One-click unsubscribe (RFC 8058) from the headers of a real marketing email."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from privacy.models import ConsentRecord
from privacy.services import campaigns, consent, marketing, suppression
from tests.privacy.marketing_helpers import make_campaign, make_subscriber

pytestmark = pytest.mark.django_db


def send_marketing_email(member, settings, *, site_url="https://tickets.example"):
    settings.SITE_URL = site_url
    campaign = make_campaign()
    campaigns.start_campaign(campaign.pk, actor=None)
    # start_campaign enqueues on commit, which never comes inside the test's transaction.
    campaigns.send_campaign(campaign.pk)
    [message] = [m for m in mail.outbox if m.to == [member.email]]
    return message


def unsubscribe_url_from_headers(message) -> str:
    headers = message.message()
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.fullmatch(r"<(https://tickets\.example(/privacy/unsubscribe/[^/>]+/))>",
                         headers["List-Unsubscribe"])  # fmt: skip
    assert match, headers["List-Unsubscribe"]
    return match.group(2)


def test_a_one_click_post_to_the_header_url_unsubscribes_without_login_or_csrf(settings):
    member = make_subscriber()
    path = unsubscribe_url_from_headers(send_marketing_email(member, settings))
    mail_provider = Client(enforce_csrf_checks=True)

    response = mail_provider.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not consent.allows(member, consent.MARKETING_EMAIL)
    latest = ConsentRecord.objects.filter(user=member).first()
    assert (latest.purpose, latest.granted, latest.source) == (
        "marketing_email",
        False,
        "unsubscribe",
    )
    assert suppression.is_suppressed(channel="email", value=member.email)


def test_a_get_of_the_link_only_shows_a_button(client, settings):
    member = make_subscriber()
    path = unsubscribe_url_from_headers(send_marketing_email(member, settings))

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'<form method="post" action="{re.escape(path)}">', html)
    assert consent.allows(member, consent.MARKETING_EMAIL), (
        "a prefetching scanner must not unsubscribe"
    )
    assert not suppression.is_suppressed(channel="email", value=member.email)


def test_the_email_shows_a_visible_unsubscribe_link_too(settings):
    member = make_subscriber()
    message = send_marketing_email(member, settings)
    path = unsubscribe_url_from_headers(message)

    html = message.alternatives[0][0]
    assert f"https://tickets.example{path}" in message.body
    assert f'href="https://tickets.example{path}"' in html


def test_unsubscribing_twice_records_one_withdrawal(settings):
    member = make_subscriber()
    path = unsubscribe_url_from_headers(send_marketing_email(member, settings))

    assert Client().post(path).status_code == 200
    assert Client().post(path).status_code == 200

    withdrawals = ConsentRecord.objects.filter(user=member, granted=False)
    assert withdrawals.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_gets_a_clear_400(method, settings):
    member = make_subscriber()
    path = unsubscribe_url_from_headers(send_marketing_email(member, settings))
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = path.replace(token, token[:-4] + ("BBBB" if token.endswith("AAAA") else "AAAA"))

    response = getattr(Client(), method)(forged)

    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    assert consent.allows(member, consent.MARKETING_EMAIL)


def test_a_token_cannot_be_made_for_another_member(settings):
    victim = make_subscriber()
    attacker = make_subscriber()
    token = marketing.unsubscribe_token(attacker, channel="email")
    signature = token.rsplit(":", 1)[1]
    other = marketing.unsubscribe_token(victim, channel="email").rsplit(":", 1)[0]

    response = Client().post(f"/privacy/unsubscribe/{other}:{signature}/")

    assert response.status_code == 400
    assert consent.allows(victim, consent.MARKETING_EMAIL)


def test_the_link_of_a_deleted_member_still_answers(settings):
    member = make_subscriber()
    path = unsubscribe_url_from_headers(send_marketing_email(member, settings))
    User.objects.filter(pk=member.pk).delete()

    assert Client().post(path).status_code == 200
