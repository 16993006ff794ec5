"""The inventory command and the public pages render the registry for people."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cinema.models import Cinema
from privacy.registry import registry

pytestmark = pytest.mark.django_db


def inventory_json():
    out = StringIO()
    call_command("privacy_inventory", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_inventory_lists_every_personal_field_of_every_declared_model():
    rows = inventory_json()

    listed = {(row["model"], row["field"]) for row in rows}
    for policy in registry.personal():
        for name in policy.personal_fields():
            assert (policy.label, name) in listed
    email = next(r for r in rows if (r["model"], r["field"]) == ("accounts.User", "email"))
    assert email["category"] == "contact"
    assert email["legal_basis"] == "contract"
    assert email["exported"] == "profile"


def test_inventory_shows_legal_holds_with_their_law_and_period():
    rows = inventory_json()

    seats = next(r for r in rows if (r["model"], r["field"]) == ("cinema.Booking", "seats"))
    assert seats["erasure"] == "legal_hold"
    assert "partner-cinemas" in seats["recipients"]
    assert "5 years" in seats["retention"]


def test_inventory_table_is_readable():
    out = StringIO()
    call_command("privacy_inventory", stdout=out)

    text = out.getvalue()
    assert text.splitlines()[0].split()[:3] == ["MODEL", "FIELD", "CATEGORY"]
    assert "accounts.User" in text
    assert "personal fields in" in text


def test_what_we_collect_page_explains_each_category_in_plain_words(client):
    body = client.get(reverse("privacy:what_we_collect")).content.decode()

    assert "Contact details" in body
    assert "Email address" in body
    assert "legal basis" in body
    assert "while your account exists" in body
    assert "Special categories" in body
    assert "We collect none unless you give explicit, separate consent." in body


def test_what_we_collect_page_is_in_the_visitors_language(client):
    response = client.get(reverse("privacy:what_we_collect"), HTTP_ACCEPT_LANGUAGE="ru")

    assert response.headers["Content-Language"] == "ru"


def test_who_we_share_with_lists_recipients_partners_and_sdks(client, settings):
    settings.PRIVACY_HOSTING_COUNTRY = "DE"
    Cinema.objects.create(
        name="Arman", city="Almaty", address="Abay 1", latitude=43.2, longitude=76.9,
        partner_operator="Arman Cinemas LLP",
    )  # fmt: skip

    body = client.get(reverse("privacy:who_we_share_with")).content.decode()

    assert "Payment provider" in body
    assert "Partner cinemas" in body
    assert "Arman Cinemas LLP" in body
    assert "DE" in body
    assert "embed no third-party scripts" in body
