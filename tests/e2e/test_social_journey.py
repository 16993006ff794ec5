"""A visitor signs up with Google in a real browser, then sees what was imported.

The browser never reaches Google: Playwright answers the navigation to Google's authorize
page with a redirect straight back to our callback (as if the visitor had agreed), and the
server-side token request is answered by ``responses``, which patches ``requests`` in this
process, where ``live_server`` runs in a thread. Requests to the live server pass through.
"""

import importlib
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from cryptography.hazmat.primitives.asymmetric import rsa
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, Route, expect

from privacy.models import PolicyAcceptance

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = "marquee-e2e.apps.googleusercontent.com"


@pytest.fixture(autouse=True)
def seeded_policies():
    """The policies the data migration publishes (transactional tests flush them)."""
    importlib.import_module("privacy.migrations.0005_seed_policies").seed(django_apps, None)


def google_id_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT_ID,
        "sub": "200000000000000000001",
        "email": "grace.social@example.com",
        "email_verified": True,
        "name": "Grace Hopper",
        "given_name": "Grace",
        "family_name": "Hopper",
        "picture": "https://lh3.googleusercontent.com/a/grace",
        "locale": "en",
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "e2e"})


def agree_at_google(route: Route) -> None:
    """Stand in for Google's consent screen: send the browser back with a code."""
    query = parse_qs(urlparse(route.request.url).query)
    back = (
        query["redirect_uri"][0]
        + "?"
        + urlencode({"code": "4/0-e2e-code", "state": query["state"][0]})
    )
    route.fulfill(status=302, headers={"Location": back})


def test_visitor_signs_up_with_google_and_sees_connected_account(page: Page, live_server, snap):
    SocialApp.objects.create(
        provider="google", name="Google", client_id=CLIENT_ID, secret="e2e-secret"
    )
    page.route("https://accounts.google.com/**", agree_at_google)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_passthru(live_server.url)
        mocked.post(
            "https://oauth2.googleapis.com/token",
            json={
                "access_token": "ya29.e2e-access-token",
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "openid email profile",
                "id_token": google_id_token(),
            },
        )

        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_role("link", name="Google").click()
        expect(page.get_by_role("heading", name="Sign In Via Google")).to_be_visible()
        page.get_by_role("button", name="Continue").click()

        # Back from "Google": our sign-up form, prefilled with what Google gave.
        expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()
        expect(page.get_by_label("First name")).to_have_value("Grace")
        expect(page.get_by_label("Last name")).to_have_value("Hopper")
        expect(page.get_by_role("textbox", name="Email")).to_have_value("grace.social@example.com")
        page.get_by_label("Date of birth").fill("1986-12-09")
        snap(page, "01-social-signup-form")
        page.get_by_role("button", name="Sign Up").click()

        expect(page).to_have_url(f"{live_server.url}/")
        expect(page.get_by_text("Welcome back, Grace.")).to_be_visible()
        assert len(mocked.calls) == 1

    user = get_user_model().objects.get(email="grace.social@example.com")
    assert PolicyAcceptance.objects.filter(user=user, source="signup").exists()
    assert not SocialToken.objects.exists()
    assert "locale" not in SocialAccount.objects.get(user=user).extra_data

    page.goto(f"{live_server.url}/accounts/3rdparty/")
    expect(page.get_by_role("heading", name="Connected accounts")).to_be_visible()
    card = page.get_by_role("region", name="Google")
    expect(card).to_contain_text("Grace Hopper")
    expect(card).to_contain_text("grace.social@example.com")
    expect(card).to_contain_text("https://lh3.googleusercontent.com/a/grace")
    snap(page, "02-connected-accounts")

    # Google is the only way in (no password yet): disconnecting is refused, clearly.
    card.get_by_role("button", name="Disconnect Google").click()
    expect(page.get_by_role("alert")).to_contain_text("no password")
    snap(page, "03-disconnect-refused")
    assert SocialAccount.objects.filter(user=user).exists()
