from allauth.account.adapter import DefaultAccountAdapter

from accounts.services import signup


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
            # Policy acceptance (G4) and banner choices; social sign-up records them in
            # accounts.social_adapter after the user row exists (it calls us with commit=False).
            signup.record_signup(user, request=request)
        return user
