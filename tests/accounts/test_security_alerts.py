"""Security alerts: new-device sign-ins, and allauth's own notices, each sent once."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_member, totp_code

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def sign_in(member, *, agent=FIREFOX, ip="203.0.113.77"):
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    return client


def alerts_to(member):
    return [m for m in mail.outbox if m.to == [member.email]]


def test_a_sign_in_from_a_new_device_alerts_the_member_once():
    member = make_member()
    sign_in(member)  # the first device is the baseline
    sign_in(member, ip="203.0.113.200")  # same browser, same /24: the same device
    assert alerts_to(member) == []

    sign_in(member, agent=CHROME, ip="198.51.100.23")

    [alert] = alerts_to(member)
    assert "New sign-in" in alert.subject
    assert "Chrome" in alert.body and "198.51.100.0/24" in alert.body
    assert "198.51.100.23" not in alert.body
    assert reverse("usersessions_list") in alert.body
    html = alert.alternatives[0][0]
    assert "Chrome" in html

    sign_in(member, agent=CHROME, ip="198.51.100.99")
    assert len(alerts_to(member)) == 1


def test_alerts_reach_members_who_opted_out_of_marketing_in_their_language():
    member = make_member(preferred_language="ru")
    sign_in(member)
    sign_in(member, agent=CHROME, ip="198.51.100.23")

    [alert] = alerts_to(member)
    assert "Chrome" in alert.body
    assert "marketing" not in alert.subject.lower()


def test_a_password_change_is_announced_exactly_once(client):
    member = make_member()
    client.force_login(member)
    mail.outbox.clear()

    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-pass-42",
            "password2": "a-new-long-pass-42",
        },
    )

    sent = alerts_to(member)
    assert len(sent) == 1
    assert "password" in sent[0].subject.lower()


@pytest.mark.django_db(transaction=True)  # allauth mails from on_commit, inside the request
def test_turning_two_factor_on_is_announced_exactly_once(client):
    member = make_member()
    client.force_login(member)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    mail.outbox.clear()

    code = totp_code(secret)
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302

    [notice] = alerts_to(member)  # allauth's own; we add none of our own
    assert "sign-in" not in notice.subject.lower()
