"""What every new account records, however it signed up (email form or social provider).

Both allauth adapters (``accounts.adapter.AccountAdapter`` for email sign-up and
``accounts.social_adapter.SocialAccountAdapter`` for Google, Facebook, X and Apple) call
:func:`record_signup` once the user row exists, so a social sign-up accepts the privacy
policy and keeps the cookie-banner choices exactly like an email sign-up (G4).
"""

from privacy.services import consent, policies


def record_signup(user, *, request) -> None:
    """Record the accepted privacy policy and carry over the visitor's banner choices.

    Signing up accepts the privacy policy in force, in the member's language (G4); choices
    made in the cookie banner before signing up belong to the account from now on.
    """
    accepted = policies.record_signup_acceptance(user)
    visitor_id = getattr(getattr(request, "consent", None), "visitor_id", None)
    consent.carry_over_visitor_choices(
        visitor_id,
        user,
        request=request,
        policy_version=accepted.version if accepted is not None else "",
    )
