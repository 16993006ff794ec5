"""Thin receivers of allauth's signals; the work is in accounts.services."""

from allauth.account.signals import user_logged_in
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from accounts.services import security_alerts


@receiver(user_logged_in, dispatch_uid="accounts.record_sign_in")
def on_user_logged_in(sender, request, user, **kwargs):
    security_alerts.record_sign_in(user, request=request)


@receiver(auth_signals.user_logged_in, dispatch_uid="privacy.cancel_dormant_notice")
def on_any_sign_in(sender, request, user, **kwargs):
    # Django's own signal fires for every sign-in path (allauth, social, admin): any of
    # them proves the member still uses the account, so a dormant-account notice is void.
    from privacy.services import dormant

    dormant.cancel_notice(user)


@receiver(auth_signals.user_logged_in, dispatch_uid="privacy.adopt_visitor_choices")
def adopt_cookie_choices(sender, request, user, **kwargs):
    # The cookie banner answered on this browser just before signing in is the member's
    # answer too, unless they gave one of their own before (privacy/services/consent.py).
    from privacy.services import consent

    context = getattr(request, "consent", None) if request is not None else None
    if context is None:
        return
    if consent.adopt_visitor_choices_at_sign_in(context.visitor_id, user, request=request):
        context.refresh()
