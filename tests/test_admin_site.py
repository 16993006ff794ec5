"""The staff admin names the portal and tells its sections apart."""

import pytest
from django.urls import reverse

from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_the_admin_is_branded_and_its_two_account_sections_have_different_names(client):
    client.force_login(make_member(is_staff=True, is_superuser=True))

    body = client.get(reverse("admin:index")).content.decode()

    assert "Marquee staff administration" in body
    assert "Django administration" not in body
    assert "<title>Site administration | Marquee staff administration</title>" in body
    # Our members (users, known devices) and allauth's accounts (email addresses).
    assert 'class="section" title="Models in the Members application">Members</a>' in body
    assert 'title="Models in the Accounts application">Accounts</a>' in body


def test_list_pages_have_the_width_for_their_columns(client):
    client.force_login(make_member(is_staff=True, is_superuser=True))

    body = client.get(reverse("admin:privacy_privacyrequest_changelist")).content.decode()

    assert 'id="nav-sidebar"' not in body  # the side menu would take a third of the width
    assert "Marquee staff administration" in body
