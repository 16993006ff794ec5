"""Thin receivers of allauth's signals; the work is in accounts.services."""

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from accounts.services import security_alerts


@receiver(user_logged_in, dispatch_uid="accounts.record_sign_in")
def on_user_logged_in(sender, request, user, **kwargs):
    security_alerts.record_sign_in(user, request=request)
