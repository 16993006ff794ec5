"""Sign-up and sign-in with Google, driven through the whole OAuth flow.

Google's token endpoint is mocked at the HTTP level with ``responses``; everything else
(allauth's views, our adapter and forms, the database) is real. allauth fetches the token
server-side over TLS, so it checks the id_token's issuer, audience and expiry but not its
signature (OpenID Connect Core 3.1.3.7); the test still signs it with a fresh RSA key.
"""

import importlib
import re
import time
from datetime import date
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from cryptography.hazmat.primitives.asymmetric import rsa
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from privacy.models import PolicyAcceptance
from tests.factories import PASSWORD, make_member

User = get_user_model()
pytestmark = pytest.mark.django_db

CLIENT_ID = "marquee-test.apps.googleusercontent.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(autouse=True)
def seeded_policies():
    """The policies the data migration publishes (transactional tests flush them)."""
    importlib.import_module("privacy.migrations.0005_seed_policies").seed(django_apps, None)


@pytest.fixture(autouse=True)
def google_app():
    """Staff configured Google in the admin (no environment variables needed)."""
    return SocialApp.objects.create(
        provider="google", name="Google", client_id=CLIENT_ID, secret="google-secret"
    )


def google_profile(**overrides) -> dict:
    profile = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT_ID,
        "azp": CLIENT_ID,
        "sub": "109876543210987654321",
        "email": "ada.social@example.com",
        "email_verified": True,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ada",
        "locale": "en-GB",
        "hd": "example.com",
        "at_hash": "not-checked",
        "iat": int(time.time()),
        "exp": int(time.time()) + 3600,
    }
    profile.update(overrides)
    return profile


def id_token(profile: dict) -> str:
    return jwt.encode(profile, SIGNING_KEY, algorithm="RS256", headers={"kid": "test-key"})


def start_login(client) -> dict:
    """Press "Continue with Google": return the query of the authorize redirect."""
    response = client.post(reverse("google_login"))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URL
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def google_calls_back(client, *, profile: dict | None = None, **query):
    """Google sends the browser back; allauth swaps the code for tokens at Google."""
    params = start_login(client)
    with responses.RequestsMock() as mocked:
        if "error" not in query:
            mocked.post(
                TOKEN_URL,
                json={
                    "access_token": "ya29.provider-access-token",
                    "refresh_token": "1//provider-refresh-token",
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": "openid email profile",
                    "id_token": id_token(profile or google_profile()),
                },
            )
        query.setdefault("state", params["state"])
        if "error" not in query:
            query.setdefault("code", "4/0-authorization-code")
        return client.get(reverse("google_callback"), query)


def social_signup_data(**overrides) -> dict:
    data = {
        "email": "ada.social@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "patronymic": "",
        "date_of_birth": "1990-12-10",
        "phone": "",
        "username": "",
        "preferred_language": "en",
    }
    data.update(overrides)
    return data


def test_login_asks_google_only_for_name_email_and_picture(client):
    params = start_login(client)

    assert params["client_id"] == CLIENT_ID
    assert sorted(params["scope"].split()) == ["email", "openid", "profile"]
    assert params["response_type"] == "code"
    assert params["redirect_uri"].endswith(reverse("google_callback"))
    assert params["state"]


def test_google_signup_asks_date_of_birth_then_creates_the_member(client):
    response = google_calls_back(client)

    # No automatic sign-up: the provider gives no date of birth, so our form comes first.
    assert response.status_code == 302
    assert response["Location"] == reverse("socialaccount_signup")
    assert not User.objects.exists()
    form_page = client.get(reverse("socialaccount_signup")).content.decode()
    assert 'value="ada.social@example.com"' in form_page
    assert 'name="date_of_birth"' in form_page
    assert "privacy policy" in form_page

    response = client.post(reverse("socialaccount_signup"), social_signup_data())

    # Google verified the address, so the member is signed in straight away.
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get()
    assert user.email == "ada.social@example.com"
    assert user.date_of_birth == date(1990, 12, 10)
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("home")).wsgi_request.user == user
    # The privacy policy in force was accepted by signing up, like an email sign-up (G4).
    acceptance = PolicyAcceptance.objects.get(user=user)
    assert acceptance.source == "signup" and acceptance.policy_version.document == "privacy"
    # Only name, email and picture were kept; no provider token is stored (M2).
    account = SocialAccount.objects.get(user=user)
    assert account.uid == "109876543210987654321"
    assert set(account.extra_data) == {"name", "given_name", "family_name", "email", "picture"}
    assert not SocialToken.objects.exists()


def test_returning_member_signs_in_and_stored_profile_stays_minimal(client):
    google_calls_back(client)
    client.post(reverse("socialaccount_signup"), social_signup_data())
    client.logout()

    response = google_calls_back(client, profile=google_profile(name="Ada King"))

    assert response.status_code == 302 and response["Location"] == reverse("home")
    account = SocialAccount.objects.get()
    assert account.extra_data["name"] == "Ada King"
    assert "locale" not in account.extra_data and "hd" not in account.extra_data
    assert User.objects.count() == 1
    assert not SocialToken.objects.exists()


def test_underage_date_of_birth_is_refused_on_the_social_signup_form(client):
    google_calls_back(client)
    too_young = date.today().replace(year=date.today().year - 10, day=1)

    response = client.post(
        reverse("socialaccount_signup"), social_signup_data(date_of_birth=too_young.isoformat())
    )

    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize("error", ["server_error", "access_denied"])
def test_provider_error_or_denied_consent_shows_a_message_and_creates_nothing(client, error):
    response = google_calls_back(client, error=error)

    page = response.content.decode()
    if error == "access_denied":
        # allauth treats a refused consent as a cancelled sign-in.
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "cancel" in page.lower()
    else:
        assert response.status_code == 401
        assert "An error occurred while attempting to login via your third-party account" in page
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_email_of_an_existing_member_is_not_taken_over(client):
    member = make_member(email="ada.social@example.com")

    response = google_calls_back(client)
    assert response["Location"] == reverse("socialaccount_signup")
    response = client.post(reverse("socialaccount_signup"), social_signup_data())

    # Nobody is signed in and Google is not attached to the member's account: to connect
    # it the member has to sign in with their password first.
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session
    # ACCOUNT_PREVENT_ENUMERATION: the page looks like "check your email" (nobody learns
    # that the address has an account) and the owner is told by email instead.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert mail.outbox[-1].to == [member.email]
    assert "Account Already Exists" in mail.outbox[-1].subject


def test_unverified_provider_email_must_be_verified_before_sign_in(client):
    google_calls_back(client, profile=google_profile(email_verified=False))

    response = client.post(reverse("socialaccount_signup"), social_signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    assert mail.outbox[-1].to == ["ada.social@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[-1].body


# --- Connected accounts -------------------------------------------------------------------


def connected_member(client, *, password: bool):
    google_calls_back(client)
    client.post(reverse("socialaccount_signup"), social_signup_data())
    user = User.objects.get()
    if password:
        user.set_password(PASSWORD)
        user.save()
        # Changing the password signs the session out of sync; sign in again.
        client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return user


def test_connected_accounts_page_shows_exactly_what_was_imported(client):
    connected_member(client, password=False)

    page = client.get(reverse("socialaccount_connections")).content.decode()

    assert "Ada Lovelace" in page
    assert "ada.social@example.com" in page
    assert "https://lh3.googleusercontent.com/a/ada" in page
    assert "en-GB" not in page and "109876543210987654321" not in page
    assert re.search(r"Disconnect\s+Google", page)


def test_last_sign_in_method_cannot_be_disconnected_without_a_password(client):
    connected_member(client, password=False)
    account = SocialAccount.objects.get()

    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})

    assert response.status_code == 200
    page = response.content.decode()
    assert "no password" in page.lower()
    assert reverse("account_set_password") in page
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_member_with_a_password_can_disconnect_google(client):
    connected_member(client, password=True)
    account = SocialAccount.objects.get()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})

    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1


def test_only_configured_providers_get_a_sign_in_button(client, google_app):
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("google_login") in page
    for unconfigured in ("facebook_login", "twitter_oauth2_login", "apple_login"):
        assert reverse(unconfigured) not in page

    google_app.delete()
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("google_login") not in page


@pytest.mark.parametrize("provider", ["google", "facebook", "twitter_oauth2", "apple"])
def test_a_provider_without_a_configured_app_answers_404_not_an_error(client, provider):
    from allauth.socialaccount.models import SocialApp

    SocialApp.objects.filter(provider=provider).delete()

    # Apple's callback takes a form POST and then finishes with a GET of its own.
    callback = "callback/finish/" if provider == "apple" else "callback/"

    assert client.get(f"/accounts/{provider}/login/").status_code == 404
    assert client.get(f"/accounts/{provider}/login/{callback}").status_code == 404
