"""Refusals get the portal's own pages, in the visitor's language."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_a_member_opening_a_staff_page_gets_the_portals_403_in_their_language(client):
    client.force_login(make_member(preferred_language="ru"))

    with translation.override("en"):  # restores the test's language after the request
        response = client.get(reverse("cinema:box_office"), follow=True)

    assert response.status_code == 403
    body = response.content.decode()
    assert "Доступ запрещён" in body
    assert 'href="/"' in body  # a way back, inside the site's header and footer
    assert "<h1>403 Forbidden</h1>" not in body


def test_a_form_sent_without_its_token_gets_a_page_that_says_what_to_do():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("privacy:contact"), {"message": "Hello"})

    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body
    assert "Nothing was saved." in body
    assert "DEBUG" not in body
