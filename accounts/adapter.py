from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from accounts.services import signup


@dataclass(frozen=True)
class PortalSite:
    """What allauth's emails call ``current_site``: the portal's name and address.

    Without django.contrib.sites, allauth names the site after the request's host
    ("Hello from 127.0.0.1:8000!"); our emails say MARQUEE_SITE_NAME and MARQUEE_SITE_URL.
    """

    name: str
    domain: str


def portal_site() -> PortalSite:
    return PortalSite(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


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

    def send_mail(self, template_prefix, email, context):
        # allauth's own emails greet and sign with the portal's name, like ours.
        super().send_mail(template_prefix, email, {**context, "current_site": portal_site()})

    # --- Signing in while the account waits for deletion (privacy/views/deletion.py) ---
    # The account is inactive during the grace period. allauth would stop at its "inactive"
    # page right after the password; instead the remaining sign-in stages (second factor)
    # run, and then, rather than opening the account, this browser gets a short-lived
    # ticket that only lets it cancel the deletion (``login`` runs only once every stage
    # has passed, so the ticket proves the complete sign-in; cancelling with it signs the
    # member in). Nothing else becomes reachable.

    def pre_login(self, request, user, **kwargs):
        if not user.is_active and _pending_deletion(user):
            return None
        return super().pre_login(request, user, **kwargs)

    def login(self, request, user):
        if not user.is_active:
            job = _pending_deletion(user)
            if job is not None:
                from privacy.views.deletion import grant_cancel_ticket

                grant_cancel_ticket(request, job)
                return
        super().login(request, user)

    def post_login(self, request, user, **kwargs):
        if not user.is_active and _pending_deletion(user):
            from django.shortcuts import redirect

            from privacy.views.deletion import keep_language

            # The member is not signed in: keep their language for the cancel page.
            return keep_language(redirect("privacy:cancel_deletion"), user.preferred_language)
        return super().post_login(request, user, **kwargs)


def _pending_deletion(user):
    from privacy.services.erasure import pending_deletion

    return pending_deletion(user)
