"""Sign-in with Google, Facebook, X and Apple: import only name, email and photo (M2).

Sign-up through a provider always goes through our social sign-up form
(``accounts.forms.SocialSignupForm``): no provider tells us a date of birth, so automatic
sign-up would skip the age gate. The form's fields are stored by the email sign-up adapter
(``accounts.adapter.AccountAdapter``) and the policy acceptance is recorded by
:func:`accounts.services.signup.record_signup`, the same function email sign-up uses.

What a provider sends beyond name, email and picture is dropped before anything is stored,
both at sign-up and on every later sign-in (allauth refreshes ``extra_data`` each time).
Provider access tokens are never stored (``SOCIALACCOUNT_STORE_TOKENS = False``).
"""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from accounts.services import signup

# Per provider: the keys of the provider's profile kept in SocialAccount.extra_data, and
# what each one is. Everything else the provider sends (ids, locale, tokens' claims) is
# dropped. The uid is kept separately by allauth to recognise the account.
IMPORTED_FIELDS: dict[str, dict[str, str]] = {
    "google": {
        "name": "name",
        "given_name": "name",
        "family_name": "name",
        "email": "email",
        "picture": "picture",
    },
    "facebook": {
        "name": "name",
        "first_name": "name",
        "last_name": "name",
        "email": "email",
        "picture": "picture",
    },
    "twitter_oauth2": {
        "name": "name",
        "username": "name",
        "profile_image_url": "picture",
    },
    "apple": {
        "name": "name",
        "email": "email",
    },
}


def minimal_extra_data(provider: str, data: dict) -> dict:
    """Return only the name, email and picture keys of ``provider``'s profile ``data``."""
    allowed = IMPORTED_FIELDS.get(provider, {})
    return {key: value for key, value in (data or {}).items() if key in allowed}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Age gate and policy acceptance for social sign-up; minimal imported data."""

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        # The sign-up form asks for the date of birth (age gate); never skip it.
        return False

    def populate_user(self, request, sociallogin, data):
        # Called for every sign-in before allauth looks the account up and refreshes its
        # stored profile, so trimming here covers new and returning members alike.
        sociallogin.account.extra_data = minimal_extra_data(
            sociallogin.account.provider, sociallogin.account.extra_data
        )
        return super().populate_user(request, sociallogin, data)

    def save_user(self, request, sociallogin, form=None):
        """Create the member from the social sign-up form, then record the signup (G4)."""
        if form is None:
            # Only the form carries a checked date of birth; see is_auto_signup_allowed.
            raise ValueError("A social sign-up needs the sign-up form (age gate).")
        user = sociallogin.user
        user.set_unusable_password()
        get_account_adapter(request).save_user(request, user, form, commit=False)
        sociallogin.save(request)
        signup.record_signup(user, request=request)
        return user
