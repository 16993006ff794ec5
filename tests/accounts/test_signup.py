"""Sign-up with email and password: what is stored, what is refused, what is sent."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.validators import age_on
from tests.factories import make_member

User = get_user_model()
pytestmark = pytest.mark.django_db


def years_ago(years: int, *, days: int = 0) -> date:
    today = date.today()
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return date.fromordinal(anniversary.toordinal() + days)


def signup_data(**overrides):
    data = {
        "email": "Nadia.Petrova@Example.com",
        "first_name": "Nadia",
        "last_name": "Petrova",
        "patronymic": "",
        "date_of_birth": "1995-03-14",
        "phone": "",
        "username": "",
        "preferred_language": "ru",
        "password1": "popcorn-and-a-film-42",
        "password2": "popcorn-and-a-film-42",
    }
    data.update(overrides)
    return data


def test_signup_stores_exactly_what_the_form_showed_and_sends_verification(client):
    response = client.post(reverse("account_signup"), signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "nadia.petrova@example.com"
    assert (user.first_name, user.last_name) == ("Nadia", "Petrova")
    assert user.date_of_birth == date(1995, 3, 14)
    assert user.preferred_language == "ru"
    # Optional fields left empty stay empty: no generated username, no phone.
    assert user.username is None
    assert str(user.phone) == ""
    assert user.patronymic == ""
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nadia.petrova@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_allauths_emails_carry_the_portals_name_not_the_request_host(client, settings):
    settings.SITE_NAME = "Marquee Cinemas"
    settings.SITE_URL = "https://cinema.example"

    client.post(reverse("account_signup"), signup_data(preferred_language="en"))

    [message] = mail.outbox
    assert "Hello from Marquee Cinemas!" in message.body
    assert "cinema.example" in message.body
    assert "testserver" not in message.body.replace("http://testserver/accounts/", "")


def test_optional_fields_are_stored_when_given(client):
    client.post(
        reverse("account_signup"),
        signup_data(patronymic="Ivanovna", phone="+7 701 234 5678", username="nadia_p"),
    )

    user = User.objects.get()
    assert user.patronymic == "Ivanovna"
    assert user.phone.as_e164 == "+77012345678"
    assert user.username == "nadia_p"


def test_unverified_member_cannot_sign_in_until_verified(client):
    client.post(reverse("account_signup"), signup_data())

    response = client.post(
        reverse("account_login"),
        {"login": "nadia.petrova@example.com", "password": "popcorn-and-a-film-42"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_verification_link_verifies_and_signs_in(client):
    client.post(reverse("account_signup"), signup_data())
    link = next(line for line in mail.outbox[0].body.splitlines() if "/confirm-email/" in line)
    path = link[link.index("/accounts/") :].strip()

    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path)

    assert response.status_code == 302
    user = User.objects.get()
    assert user.emailaddress_set.get().verified
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("age", [0, 10, 15])
def test_people_under_the_minimum_age_are_refused_and_nothing_is_stored(client, age):
    born = years_ago(age + 1, days=1)  # a day short of their next birthday
    response = client.post(reverse("account_signup"), signup_data(date_of_birth=born.isoformat()))

    assert response.status_code == 200
    assert "at least 16 years old" in response.content.decode()
    assert not User.objects.exists()
    assert mail.outbox == []


def test_person_turning_the_minimum_age_today_may_sign_up(client):
    born = years_ago(16)
    assert age_on(born, date.today()) == 16

    client.post(reverse("account_signup"), signup_data(date_of_birth=born.isoformat()))

    assert User.objects.filter(date_of_birth=born).exists()


def test_minimum_age_is_a_deployment_setting(client, settings):
    settings.ACCOUNTS_MINIMUM_AGE = 13
    born = years_ago(14)

    client.post(reverse("account_signup"), signup_data(date_of_birth=born.isoformat()))

    assert User.objects.exists()


def test_future_and_implausible_birth_dates_get_a_clear_error(client):
    future = client.post(reverse("account_signup"), signup_data(date_of_birth="2999-01-01"))
    ancient = client.post(reverse("account_signup"), signup_data(date_of_birth="1800-01-01"))

    assert "cannot be in the future" in future.content.decode()
    assert "check the year" in ancient.content.decode()
    assert not User.objects.exists()


def test_invalid_phone_is_refused_and_the_form_keeps_the_other_input(client):
    response = client.post(reverse("account_signup"), signup_data(phone="12"))

    body = response.content.decode()
    assert response.status_code == 200
    # The error gives the same international example as the hint, never a national one.
    assert response.context["form"].errors["phone"] == [
        "Enter a valid phone number in international format, for example +7 701 234 5678."
    ]
    assert "8 (71234)" not in body
    assert 'value="Petrova"' in body
    assert not User.objects.exists()


def test_taken_username_is_refused_case_insensitively(client):
    make_member(username="Popcorn")

    response = client.post(reverse("account_signup"), signup_data(username="popcorn"))

    assert "already taken" in response.content.decode()
    assert User.objects.count() == 1


def test_signing_up_with_an_existing_email_does_not_reveal_the_account(client):
    make_member(email="nadia.petrova@example.com")

    response = client.post(reverse("account_signup"), signup_data())

    # Same outcome as a fresh sign-up; the owner of the address is told by email instead.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nadia.petrova@example.com"]


def test_passwords_are_hashed_with_argon2_outside_the_test_suite():
    from cinema.settings import base

    # production.py inherits these; tests/test_deploy_settings.py checks it there.
    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
    assert settings.ACCOUNT_PREVENT_ENUMERATION is True
