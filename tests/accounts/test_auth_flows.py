"""Signing in and out, resetting and changing passwords, changing the email address."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_member_signs_in_with_any_letter_case_and_signs_out(client):
    member = make_member(email="ruslan@example.com")

    response = sign_in(client, "Ruslan@Example.COM")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)

    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_wrong_password_is_refused_with_a_message(client):
    make_member(email="ruslan@example.com")

    response = sign_in(client, "ruslan@example.com", "not-the-password")

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failed_sign_ins_are_rate_limited(client):
    make_member(email="ruslan@example.com")
    for _ in range(5):
        sign_in(client, "ruslan@example.com", "wrong-guess")

    response = sign_in(client, "ruslan@example.com", PASSWORD)

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_working_link_and_the_new_password_signs_in(client):
    make_member(email="ruslan@example.com")

    client.post(reverse("account_reset_password"), {"email": "ruslan@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    form_page = client.get(path, follow=True)
    new_password = "a-brand-new-secret-77"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": new_password, "password2": new_password},
    )

    assert done.status_code == 302
    client.logout()
    assert sign_in(client, "ruslan@example.com", new_password).status_code == 302


def test_password_reset_for_an_unknown_address_looks_the_same(client):
    make_member(email="ruslan@example.com")

    known = client.post(reverse("account_reset_password"), {"email": "ruslan@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    # Same page either way; only the owner of each mailbox learns whether it has an account.
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "/password/reset/key/" in by_recipient["ruslan@example.com"]
    assert "/password/reset/key/" not in by_recipient["nobody@example.com"]


def test_change_password_needs_the_current_one_and_notifies_the_member(client):
    member = make_member(email="ruslan@example.com")
    client.force_login(member)

    refused = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "next-secret-4455", "password2": "next-secret-4455"},
    )
    assert refused.status_code == 200
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "next-secret-4455", "password2": "next-secret-4455"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("next-secret-4455")
    assert any("password" in m.subject.lower() for m in mail.outbox)


def test_changing_email_asks_for_the_password_again_then_verifies_the_new_address(client):
    make_member(email="ruslan@example.com")
    sign_in(client, "ruslan@example.com")
    change = {"action_add": "", "email": "ruslan.new@example.com"}

    first = client.post(reverse("account_email"), change)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="ruslan.new@example.com").exists()

    # After the password, allauth carries out the change the member had asked for.
    reauth = client.post(first["Location"], {"password": PASSWORD})

    assert reauth.status_code == 302
    new = EmailAddress.objects.get(email="ruslan.new@example.com")
    assert not new.verified
    assert any(m.to == ["ruslan.new@example.com"] for m in mail.outbox)


def test_members_are_named_by_their_first_name_not_an_internal_id(client):
    make_member(email="ruslan@example.com", first_name="Ruslan")

    response = sign_in(client, "ruslan@example.com")
    page = client.get(response["Location"]).content.decode()

    assert "Successfully signed in as Ruslan." in page
    assert "User #" not in page
