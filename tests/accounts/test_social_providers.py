"""Sign-up with Facebook, X and Apple, driven through each provider's whole OAuth flow.

Like tests/accounts/test_social_login.py does for Google: the providers' token, profile
and key endpoints are mocked at the HTTP level with ``responses``; allauth's views, our
adapters and forms and the database are real. Each provider differs in what it proves
about the email address, and the tests pin down what the member experiences for each:
Facebook never vouches for the address (the member confirms it by email), X gives no
address at all (the member types one and confirms it), Apple vouches for it in a signed
id_token (the member is signed in at once).
"""

import importlib
import json
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from privacy.models import PolicyAcceptance
from tests.factories import make_member

User = get_user_model()
pytestmark = pytest.mark.django_db

GRAPH = "https://graph.facebook.com/v19.0"
APPLE_CLIENT_ID = "kz.marquee.web"
APPLE_SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
# Apple signs our client secret check with the team's .p8 key (ES256).
APPLE_P8 = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)


@pytest.fixture(autouse=True)
def seeded_policies():
    """The policies the data migration publishes (transactional tests flush them)."""
    importlib.import_module("privacy.migrations.0005_seed_policies").seed(django_apps, None)


@pytest.fixture(autouse=True)
def provider_apps():
    """Staff configured the three providers in the admin."""
    SocialApp.objects.create(
        provider="facebook", name="Facebook", client_id="fb-app-id", secret="fb-secret"
    )
    SocialApp.objects.create(
        provider="twitter_oauth2", name="X", client_id="x-client-id", secret="x-secret"
    )
    SocialApp.objects.create(
        provider="apple",
        name="Apple",
        client_id=APPLE_CLIENT_ID,
        secret="KEYID12345",  # the key id
        key="TEAMID6789",  # the team id
        settings={"certificate_key": APPLE_P8},
    )


def signup_data(**overrides) -> dict:
    data = {
        "email": "grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "patronymic": "",
        "date_of_birth": "1985-12-09",
        "phone": "",
        "username": "",
        "preferred_language": "en",
    }
    data.update(overrides)
    return data


def authorize(client, provider: str) -> tuple[str, dict]:
    """Press "Continue with <provider>": return the authorize URL and its query."""
    response = client.post(reverse(f"{provider}_login"))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    return f"{location.scheme}://{location.netloc}{location.path}", query


# --- Facebook -----------------------------------------------------------------------------

FACEBOOK_PROFILE = {
    "id": "10223344556677889",
    "email": "grace@example.com",
    "name": "Grace Hopper",
    "first_name": "Grace",
    "last_name": "Hopper",
    "picture": {"data": {"url": "https://platform-lookaside.fbsbx.com/grace.jpg"}},
}


def facebook_calls_back(client, *, error: str = ""):
    _, params = authorize(client, "facebook")
    query = {"state": params["state"]}
    with responses.RequestsMock() as mocked:
        if error:
            query["error"] = error
        else:
            query["code"] = "fb-authorization-code"
            mocked.get(
                f"{GRAPH}/oauth/access_token",
                json={"access_token": "EAAB-provider-token", "expires_in": 5183999},
            )
            profile = mocked.get(f"{GRAPH}/me", json=FACEBOOK_PROFILE)
        response = client.get(reverse("facebook_callback"), query)
        if not error:
            # The profile call is signed with the app secret (appsecret_proof) and asks
            # only for the fields we keep.
            sent = parse_qs(urlparse(profile.calls[0].request.url).query)
            assert sent["appsecret_proof"][0]
            assert sent["fields"][0] == "id,email,name,first_name,last_name,picture"
    return response


def test_facebook_asks_only_for_email_and_public_profile(client):
    url, params = authorize(client, "facebook")

    assert url == "https://www.facebook.com/v19.0/dialog/oauth"
    assert params["client_id"] == "fb-app-id"
    assert sorted(params["scope"].split(",")) == ["email", "public_profile"]
    assert params["redirect_uri"].endswith(reverse("facebook_callback"))


def test_facebook_signup_needs_the_address_confirmed_by_email(client):
    response = facebook_calls_back(client)
    assert response["Location"] == reverse("socialaccount_signup")
    page = client.get(reverse("socialaccount_signup")).content.decode()
    assert 'value="grace@example.com"' in page and 'name="date_of_birth"' in page

    response = client.post(reverse("socialaccount_signup"), signup_data())

    # Facebook does not vouch for the address: confirm it before the first sign-in.
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    assert mail.outbox[-1].to == ["grace@example.com"]
    assert PolicyAcceptance.objects.filter(user=user, source="signup").exists()
    # Name, email and picture only; the provider's token is not kept (M2).
    account = SocialAccount.objects.get(user=user, provider="facebook")
    assert set(account.extra_data) == {"email", "name", "first_name", "last_name", "picture"}
    assert not SocialToken.objects.exists()


# --- X ------------------------------------------------------------------------------------

X_PROFILE = {
    "id": "1460000000000000000",
    "name": "Grace Hopper",
    "username": "amazing_grace",
    "verified": False,
    "profile_image_url": "https://pbs.twimg.com/profile_images/grace.jpg",
    "created_at": "2015-06-01T10:00:00.000Z",
}


def x_calls_back(client, *, error: str = "", status: int = 200):
    _, params = authorize(client, "twitter_oauth2")
    query = {"state": params["state"]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        if error:
            query["error"] = error
        else:
            query["code"] = "x-authorization-code"
            token = mocked.post(
                "https://api.x.com/2/oauth2/token",
                json={"access_token": "x-provider-token", "token_type": "bearer"},
                status=status,
            )
            mocked.get("https://api.x.com/2/users/me", json={"data": X_PROFILE})
        response = client.get(reverse("twitter_oauth2_callback"), query)
        if not error:
            # PKCE: the code is swapped with the verifier matching the challenge we sent.
            body = parse_qs(token.calls[0].request.body)
            assert body["code_verifier"][0]
    return response


def test_x_uses_pkce_and_asks_only_to_read_the_profile(client):
    url, params = authorize(client, "twitter_oauth2")

    assert url == "https://x.com/i/oauth2/authorize"
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert sorted(params["scope"].split()) == ["tweet.read", "users.read"]


def test_x_gives_no_email_so_the_member_types_one_and_confirms_it(client):
    response = x_calls_back(client)
    assert response["Location"] == reverse("socialaccount_signup")
    page = client.get(reverse("socialaccount_signup")).content.decode()
    assert 'name="email"' in page

    missing = client.post(reverse("socialaccount_signup"), signup_data(email=""))
    assert missing.status_code == 200
    assert "email" in missing.context["form"].errors
    assert not User.objects.exists()

    response = client.post(reverse("socialaccount_signup"), signup_data())

    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert not EmailAddress.objects.get(user=user).verified
    account = SocialAccount.objects.get(user=user, provider="twitter_oauth2")
    assert account.uid == "1460000000000000000"
    # Kept: the name, the handle and the picture; dropped: verified flag, creation date.
    assert set(account.extra_data) == {"name", "username", "profile_image_url"}
    assert not SocialToken.objects.exists()


def test_x_token_endpoint_failure_shows_an_error_and_creates_nothing(client):
    response = x_calls_back(client, status=500)

    assert response.status_code == 401
    assert "third-party account" in response.content.decode()
    assert not User.objects.exists() and not SocialAccount.objects.exists()


# --- Apple --------------------------------------------------------------------------------


def apple_id_token(**claims) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://appleid.apple.com",
        "aud": APPLE_CLIENT_ID,
        "sub": "001234.abcdef0123456789.1234",
        "email": "grace@privaterelay.appleid.com",
        "email_verified": "true",
        "is_private_email": "true",
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(payload, APPLE_SIGNING_KEY, algorithm="RS256", headers={"kid": "apple-k1"})


def apple_keys() -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(APPLE_SIGNING_KEY.public_key()))
    return {"keys": [{**jwk, "kid": "apple-k1", "alg": "RS256", "use": "sig"}]}


def apple_calls_back(client, *, id_token: str | None = None, error: str = ""):
    """Apple POSTs the code to our callback, which hands over to a GET that finishes."""
    _, params = authorize(client, "apple")
    form = {"state": params["state"]}
    if error:
        form["error"] = error
    else:
        form["code"] = "apple-authorization-code"
        # Apple sends the name only once, in the first form post.
        form["user"] = json.dumps({"name": {"firstName": "Grace", "lastName": "Hopper"}})
    handover = client.post(reverse("apple_callback"), form)
    assert handover.status_code == 302
    finish = urlparse(handover["Location"])
    assert finish.path == reverse("apple_finish_callback")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        token = mocked.post(
            "https://appleid.apple.com/auth/token",
            json={
                "access_token": "apple-provider-token",
                "refresh_token": "apple-refresh-token",
                "expires_in": 3600,
                "token_type": "Bearer",
                "id_token": id_token or apple_id_token(),
            },
        )
        mocked.get("https://appleid.apple.com/auth/keys", json=apple_keys())
        response = client.get(finish.path + "?" + finish.query)
        if not error:
            # Our client secret is a JWT signed with the team's key.
            secret = parse_qs(token.calls[0].request.body)["client_secret"][0]
            header = jwt.get_unverified_header(secret)
            assert header == {"alg": "ES256", "kid": "KEYID12345", "typ": "JWT"}
    return response


def test_apple_posts_back_with_form_post(client):
    url, params = authorize(client, "apple")

    assert url == "https://appleid.apple.com/auth/authorize"
    assert params["response_mode"] == "form_post"
    assert sorted(params["scope"].split()) == ["email", "name"]


def test_apple_vouches_for_the_relay_address_so_the_member_is_signed_in(client):
    response = apple_calls_back(client)
    assert response["Location"] == reverse("socialaccount_signup")
    page = client.get(reverse("socialaccount_signup")).content.decode()
    assert 'value="grace@privaterelay.appleid.com"' in page
    assert 'value="Grace"' in page

    response = client.post(
        reverse("socialaccount_signup"), signup_data(email="grace@privaterelay.appleid.com")
    )

    assert response["Location"] == reverse("home")
    user = User.objects.get()
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("home")).wsgi_request.user == user
    # The id_token's claims and Apple's tokens are not kept: name and email only (M2).
    account = SocialAccount.objects.get(user=user, provider="apple")
    assert set(account.extra_data) <= {"name", "email"}
    stored = json.dumps(account.extra_data)
    assert "apple-refresh-token" not in stored and "apple-provider-token" not in stored
    assert not SocialToken.objects.exists()


def test_apple_id_token_for_another_app_is_refused(client):
    response = apple_calls_back(client, id_token=apple_id_token(aud="com.someone.else"))

    assert response.status_code == 401
    assert not User.objects.exists() and not SocialAccount.objects.exists()


# --- Shared paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "calls_back", [facebook_calls_back, x_calls_back, apple_calls_back], ids=lambda f: f.__name__
)
def test_denied_consent_cancels_the_sign_in_and_creates_nothing(client, calls_back):
    response = calls_back(client, error="access_denied")

    assert response.status_code == 302
    assert "cancel" in client.get(response["Location"]).content.decode().lower()
    assert not User.objects.exists() and not SocialAccount.objects.exists()


def test_a_provider_address_already_used_by_a_local_account_is_not_taken_over(client):
    member = make_member(email="grace@example.com")

    facebook_calls_back(client)
    response = client.post(reverse("socialaccount_signup"), signup_data())

    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1 and not SocialAccount.objects.exists()
    assert "_auth_user_id" not in client.session
    assert mail.outbox[-1].to == [member.email]
