"""Security alerts: service emails about sign-in events the member should know of.

allauth already mails the member (ACCOUNT_EMAIL_NOTIFICATIONS=True) when the password is
changed, set or reset, when an email address is changed or removed, when a TOTP app, a
security key or new recovery codes are added or removed, and when a social account is
connected or disconnected. This module adds the one alert allauth lacks: a sign-in from a
device not seen before, where "device" is the browser family on a /24 (IPv6 /48) network.

Devices are remembered as ``KnownDevice`` rows holding only a keyed hash of those two
facts. A member's very first remembered device does not raise an alert (there is nothing
to compare with); each later new one does. Alerts are service messages: they are sent
whatever the member's marketing choices.
"""

import logging
from dataclasses import dataclass

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import KnownDevice
from cinema.mail import render_templated_email
from privacy.services.network import truncate_ip, user_agent_family

logger = logging.getLogger(__name__)

NEW_DEVICE = "new_device"
KINDS = (NEW_DEVICE,)
# Part of the hash key: a SECRET_KEY rotation only makes devices "new" once more.
_FINGERPRINT_SALT = "accounts.KnownDevice.fingerprint"


@dataclass(frozen=True)
class Device:
    family: str
    network: str

    @property
    def fingerprint_hash(self) -> str:
        return salted_hmac(_FINGERPRINT_SALT, f"{self.family}|{self.network}").hexdigest()


def device_of(request: HttpRequest) -> Device:
    """Return the coarse device of a request: browser family and truncated network."""
    adapter = get_account_adapter(request)
    family = user_agent_family(request.META.get("HTTP_USER_AGENT", "")) or "Other"
    network = truncate_ip(adapter.get_client_ip(request) or "")
    return Device(family=family, network=network)


def record_sign_in(user, *, request: HttpRequest) -> bool:
    """Remember the device ``user`` just signed in from; alert them if it is new.

    Return whether an alert was queued.
    """
    device = device_of(request)
    now = timezone.now()
    updated = KnownDevice.objects.filter(
        user=user, fingerprint_hash=device.fingerprint_hash
    ).update(last_seen=now)
    if updated:
        return False
    had_devices = KnownDevice.objects.filter(user=user).exists()
    try:
        with transaction.atomic():
            KnownDevice.objects.create(
                user=user, fingerprint_hash=device.fingerprint_hash, first_seen=now, last_seen=now
            )
    except IntegrityError:
        return False  # a parallel sign-in from the same device recorded it first
    if not had_devices:
        logger.info("accounts.known_device.first", extra={"user_id": user.pk})
        return False
    send_security_alert(user, kind=NEW_DEVICE, device=device, when=now)
    logger.info("accounts.security_alert.new_device", extra={"user_id": user.pk})
    return True


def render_security_alert(user, *, kind: str, device: Device, when) -> tuple[str, str, str]:
    """Return (subject, text, html) of alert ``kind`` for ``user``, in their language."""
    if kind not in KINDS:
        raise ValueError(f"unknown security alert {kind!r}")
    context = {
        "member": user,
        "device": device,
        "when": timezone.localtime(when),
        "devices_url": settings.SITE_URL + reverse("usersessions_list"),
        "password_url": settings.SITE_URL + reverse("account_change_password"),
    }
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    return render_templated_email(f"security_alert_{kind}", context, language=language)


def send_security_alert(user, *, kind: str, device: Device, when) -> None:
    """Queue alert ``kind`` to ``user``'s address, whatever their marketing choices."""
    if not user.email:
        return
    subject, text, html = render_security_alert(user, kind=kind, device=device, when=when)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()
