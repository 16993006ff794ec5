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
