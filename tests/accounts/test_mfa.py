"""Two-factor authentication: encrypted TOTP secrets, staff need it for the admin."""

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import InvalidToken
from django.urls import reverse

from cinema import demo
from tests.factories import PASSWORD, make_member, totp_code

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_stored_totp_secret_is_encrypted_and_codes_still_verify():
    member = make_member()

    TOTP.activate(member, SECRET)

    stored = Authenticator.objects.get(user=member, type=Authenticator.Type.TOTP)
    assert SECRET not in str(stored.data)
    assert get_adapter().decrypt(stored.data["secret"]) == SECRET
    assert TOTP(stored).validate_code(totp_code(SECRET))
    assert not TOTP(stored).validate_code("000000" if totp_code(SECRET) != "000000" else "1")


def test_a_different_key_cannot_read_the_secret(settings):
    member = make_member()
    TOTP.activate(member, SECRET)
    stored = Authenticator.objects.get(user=member)

    settings.ACCOUNTS_MFA_ENCRYPTION_KEY = "another-key"

    with pytest.raises(InvalidToken):
        get_adapter().decrypt(stored.data["secret"])


def test_member_with_totp_must_give_a_code_after_the_password(client):
    member = make_member(email="two@example.com")
    TOTP.activate(member, SECRET)

    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert client.session["_auth_user_id"] == str(member.pk)


def test_the_profile_links_to_two_factor_and_devices(client):
    client.force_login(make_member())
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_index") in page
    assert reverse("usersessions_list") in page


def test_security_keys_can_be_added_as_a_second_factor(client):
    client.force_login(make_member())
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    page = client.get(reverse("mfa_index")).content.decode()

    assert reverse("mfa_add_webauthn") in page
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, settings):
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = True
    client.force_login(make_member(is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert "two-factor" in response.content.decode().lower()


def test_staff_with_totp_open_the_admin_and_members_are_untouched(client, settings):
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = True
    staff = make_member(is_staff=True, is_superuser=True)
    TOTP.activate(staff, SECRET)
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200

    client.force_login(make_member())
    assert client.get(reverse("home")).status_code == 200


def test_admin_sign_in_goes_through_allauth_and_its_second_factor(client, settings):
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = True
    staff = make_member(is_staff=True)
    TOTP.activate(staff, SECRET)

    login = client.get(reverse("admin:login"))
    assert login["Location"].startswith(reverse("account_login"))

    response = client.post(login["Location"], {"login": staff.email, "password": PASSWORD})
    assert response["Location"].startswith(reverse("mfa_authenticate"))


def test_the_demo_officer_can_enter_the_admin_with_the_published_secret(client, settings):
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = True
    demo.seed_demo(members=0, seed=1)
    demo.seed_demo(members=0, seed=1)  # twice: still one authenticator

    officer = demo.get_user_model().objects.get(email=demo.OFFICER_EMAIL)
    assert Authenticator.objects.filter(user=officer).count() == 1
    client.post(reverse("account_login"), {"login": officer.email, "password": demo.DEMO_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(demo.DEMO_TOTP_SECRET)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_start_banner_shows_the_demo_secret():
    from io import StringIO

    from cinema.management.commands.start import Command

    out = StringIO()
    Command(stdout=out)._print_banner("http://127.0.0.1:8000/")
    assert demo.DEMO_TOTP_SECRET in out.getvalue()
