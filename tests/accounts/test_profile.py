"""A member sees and corrects their own profile, and chooses the interface language."""

import pytest
from django.urls import reverse

from tests.factories import make_member

pytestmark = pytest.mark.django_db


def profile_data(**overrides):
    data = {
        "first_name": "Aigerim",
        "last_name": "Nurlanova",
        "patronymic": "",
        "date_of_birth": "1990-01-01",
        "phone": "+77011112233",
        "username": "",
        "preferred_language": "kk",
    }
    data.update(overrides)
    return data


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_member_sees_only_their_own_details(client):
    me = make_member(first_name="Aigerim", email="aigerim@example.com")
    make_member(first_name="Somebody", email="else@example.com")
    client.force_login(me)

    body = client.get(reverse("accounts:profile")).content.decode()

    assert "aigerim@example.com" in body
    assert "else@example.com" not in body
    assert "Somebody" not in body


def test_member_corrects_their_profile(client):
    me = make_member(email="aigerim@example.com")
    client.force_login(me)

    response = client.post(reverse("accounts:profile"), profile_data())

    assert response.status_code == 302
    me.refresh_from_db()
    assert (me.first_name, me.last_name) == ("Aigerim", "Nurlanova")
    assert me.phone.as_e164 == "+77011112233"
    assert me.preferred_language == "kk"


def test_profile_refuses_an_underage_birth_date_and_keeps_the_old_one(client):
    me = make_member(email="aigerim@example.com")
    client.force_login(me)

    response = client.post(reverse("accounts:profile"), profile_data(date_of_birth="2024-01-01"))

    assert response.status_code == 200
    assert "at least 16 years old" in response.content.decode()
    me.refresh_from_db()
    assert me.date_of_birth.year == 1990


def test_a_bad_phone_number_gets_the_international_example_and_keeps_the_old_one(client):
    me = make_member(email="aigerim@example.com", phone="+77011112233")
    client.force_login(me)

    response = client.post(reverse("accounts:profile"), profile_data(phone="8 701"))

    assert response.context["form"].errors["phone"] == [
        "Enter a valid phone number in international format, for example +7 701 234 5678."
    ]
    me.refresh_from_db()
    assert me.phone.as_e164 == "+77011112233"


def test_language_switch_is_remembered_on_the_account(client):
    me = make_member(email="aigerim@example.com")
    client.force_login(me)

    response = client.post(reverse("accounts:set_language"), {"language": "ru", "next": "/"})

    assert response.status_code == 302
    me.refresh_from_db()
    assert me.preferred_language == "ru"
    assert client.get("/").headers["Content-Language"] == "ru"


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    response = client.post(
        reverse("accounts:set_language"), {"language": "xx", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"
    assert "django_language" not in response.cookies
