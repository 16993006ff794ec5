"""The base layout, error pages and the security headers every page carries."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_home_page_invites_visitors_to_sign_up(client):
    body = client.get("/").content.decode()

    assert '<html lang="en"' in body
    assert 'href="#main"' in body  # skip link
    assert reverse("account_signup") in body
    assert reverse("account_login") in body


def test_home_page_greets_a_signed_in_member_and_offers_sign_out(client):
    client.force_login(make_member(first_name="Timur"))

    body = client.get("/").content.decode()

    assert "Welcome back, Timur." in body
    assert reverse("account_logout") in body
    assert reverse("account_signup") not in body


def test_unknown_address_gets_the_site_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert reverse("home") in response.content.decode()


def test_server_error_page_renders_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong" in html


def test_browser_language_is_used_for_visitors(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.headers["Content-Language"] == "ru"


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/signup/", "/healthz", "/no-such-page/"]
)
def test_every_page_type_sends_the_security_headers(client, path):
    response = client.get(path)

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
