from allauth.account.adapter import DefaultAccountAdapter

from privacy.services import consent, policies


class AccountAdapter(DefaultAccountAdapter):
    """Store exactly the sign-up fields the form showed and the member filled in."""

    def save_user(self, request, user, form, commit=True):
        data = form.cleaned_data
        user.patronymic = data.get("patronymic") or ""
        user.username = data.get("username") or None
        user.phone = data.get("phone") or ""
        user.date_of_birth = data.get("date_of_birth")
        user.preferred_language = data.get("preferred_language") or ""
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Signing up accepts the privacy policy in force, in the member's language (G4).
            accepted = policies.record_signup_acceptance(user)
            # Choices made in the cookie banner before signing up belong to the account now.
            visitor_id = getattr(getattr(request, "consent", None), "visitor_id", None)
            consent.carry_over_visitor_choices(
                visitor_id,
                user,
                request=request,
                policy_version=accepted.version if accepted is not None else "",
            )
        return user
