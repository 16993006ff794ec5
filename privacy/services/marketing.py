"""Marketing preferences: per-channel opt-in, double opt-in, unsubscribe, SMS STOP.

Whether a member may receive marketing is the consent ledger's answer for the purposes
``marketing_email`` and ``marketing_sms`` (off until the member turns it on; M5, G3, G6).

- Email needs a double opt-in: switching it on sends a signed, expiring link to the
  member's address (salt ``privacy.marketing-confirm``); only following it records the
  grant. Until then an :class:`EmailOptInRequest` row stands for "waiting for your
  confirmation".
- SMS needs a phone number on the profile.
- Every opt-out (settings, one-click unsubscribe link, SMS reply STOP, staff) withdraws the
  consent at once and puts the address on the suppression list, which outlives the account.
- Unsubscribe tokens are signed (salt ``privacy.unsubscribe``) and carry the member id and
  channel. They do not expire: RFC 8058 one-click links in old messages must keep working,
  and the only thing a token can do is switch marketing off for its member. Rotating
  ``SECRET_KEY`` invalidates them all (the page then says the link is not valid).

Service messages (booking confirmations, reminders, security alerts) do not ask any of
this: an opt-out stops marketing only (M13, K4, L8).
"""

from __future__ import annotations

import contextlib
import logging
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from cinema.mail import render_text
from privacy.models import Channel, EmailOptInRequest
from privacy.services import consent, suppression

logger = logging.getLogger(__name__)

EMAIL = Channel.EMAIL
SMS = Channel.SMS
PURPOSE_OF = {EMAIL: consent.MARKETING_EMAIL, SMS: consent.MARKETING_SMS}
Source = consent.Source

UNSUBSCRIBE_SALT = "privacy.unsubscribe"
CONFIRM_SALT = "privacy.marketing-confirm"
SUBJECT_PREFIX = "[Marquee] "

# Replies that end marketing SMS, compared after NFKC normalisation, trimming and casefold.
STOP_WORDS = frozenset({"stop", "td", "退订", "стоп"})
_TRIM = " \t\r\n.!。"  # NFKC already turned the full-width exclamation mark into "!"

# Texts shown for a confirmation link that cannot be used, keyed by code.
CONFIRM_ERRORS = {
    "invalid": _("This confirmation link is not valid. Please copy the whole link."),
    "expired": _(
        "This confirmation link has expired. Switch marketing email on again in your "
        "marketing preferences to get a new one."
    ),
    "stale": _(
        "This confirmation link is no longer valid: the request was cancelled or your email "
        "address has changed. Switch marketing email on again to get a new link."
    ),
}


class InvalidToken(Exception):
    """The token was tampered with, truncated, or signed with another key."""


class ConfirmationError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self):
        return CONFIRM_ERRORS[self.code]


@dataclass(frozen=True)
class Preferences:
    """A member's marketing preferences as the settings page shows them."""

    email: bool
    email_pending: bool
    sms: bool
    has_phone: bool


def site_url(path: str) -> str:
    """Return the absolute URL of ``path`` on this site (``SITE_URL``)."""
    return settings.SITE_URL.rstrip("/") + path


# --- Reading -------------------------------------------------------------------------------


def get_preferences(user) -> Preferences:
    choices = consent.current_choices(consent.Subject.of(user))
    return Preferences(
        email=choices[consent.MARKETING_EMAIL],
        email_pending=EmailOptInRequest.objects.filter(user=user).exists(),
        sms=choices[consent.MARKETING_SMS],
        has_phone=bool(user.phone),
    )


# --- Unsubscribe tokens ---------------------------------------------------------------------


def unsubscribe_token(user, *, channel: str) -> str:
    """Return the signed token that unsubscribes ``user`` from ``channel``."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"m": user.pk, "c": str(channel)})


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """Return (member id, channel) from ``token``; raise InvalidToken if it is not ours."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        member_id, channel = int(data["m"]), str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken from exc
    if channel not in PURPOSE_OF:
        raise InvalidToken
    return member_id, channel


def unsubscribe_url(user, *, channel: str) -> str:
    path = reverse("privacy:unsubscribe", args=[unsubscribe_token(user, channel=channel)])
    return site_url(path)


def list_unsubscribe_headers(user) -> dict[str, str]:
    """Return the RFC 8058 one-click unsubscribe headers for a marketing email."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user, channel=EMAIL)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- Opting in ------------------------------------------------------------------------------


def _address_hash(email: str) -> str:
    return salted_hmac(CONFIRM_SALT, email.strip().lower()).hexdigest()[:32]


def confirmation_token(user) -> str:
    return signing.dumps({"m": user.pk, "h": _address_hash(user.email)}, salt=CONFIRM_SALT)


def request_email_optin(user, *, request=None) -> None:
    """Start the double opt-in: remember the request and email a confirmation link.

    Nothing is granted here; :func:`confirm_email_optin` records the consent.
    """
    with transaction.atomic():
        EmailOptInRequest.objects.update_or_create(
            user=user,
            defaults={"email_hash": _address_hash(user.email), "requested_at": timezone.now()},
        )
        _send_confirmation_email(user)
    logger.info("privacy.marketing.optin_requested member=%s", user.pk)


def _send_confirmation_email(user) -> None:
    from cinema.services.booking_emails import language_for

    link = site_url(reverse("privacy:marketing_confirm", args=[confirmation_token(user)]))
    hours = int(settings.PRIVACY_MARKETING_CONFIRM_MAX_AGE.total_seconds() // 3600)
    with translation.override(language_for(user)):
        context = {
            "member": user,
            "link": link,
            "hours": hours,
            "site_name": settings.SITE_NAME,
            "language": translation.get_language(),
        }
        subject = render_text("emails/marketing_confirm_subject.txt", context)
        text = render_text("emails/marketing_confirm_message.txt", context)
        html = render_to_string("emails/marketing_confirm_message.html", context)
    message = EmailMultiAlternatives(
        subject=SUBJECT_PREFIX + " ".join(subject.split()), body=text, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def check_confirmation(token: str):
    """Return the member a confirmation token belongs to; raise ConfirmationError if unusable."""
    from django.contrib.auth import get_user_model

    max_age = settings.PRIVACY_MARKETING_CONFIRM_MAX_AGE
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
        member_id, address_hash = int(data["m"]), str(data["h"])
    except signing.SignatureExpired as exc:
        raise ConfirmationError("expired") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ConfirmationError("invalid") from exc
    user = get_user_model().objects.filter(pk=member_id, is_active=True).first()
    if user is None or address_hash != _address_hash(user.email):
        raise ConfirmationError("stale")
    # The member's own answer, not whether marketing may go out now (a restriction of
    # processing pauses sending but is not a refusal of the opt-in).
    if consent.granted(user, consent.MARKETING_EMAIL):
        return user  # already confirmed: following the link twice is fine
    pending = EmailOptInRequest.objects.filter(user=user, email_hash=address_hash).exists()
    if not pending:
        raise ConfirmationError("stale")
    return user


def confirm_email_optin(token: str, *, request=None):
    """Record the member's marketing-email consent from a confirmation link; return them.

    Takes the address off the suppression list (unless it is there for a spam complaint):
    following the link is a fresh, explicit opt-in by the address's owner.
    """
    user = check_confirmation(token)
    with transaction.atomic():
        if not consent.granted(user, consent.MARKETING_EMAIL):
            consent.record_choices(
                consent.Subject.of(user),
                {consent.MARKETING_EMAIL: True},
                source=Source.SETTINGS,
                request=request,
            )
        EmailOptInRequest.objects.filter(user=user).delete()
        suppression.lift(channel=EMAIL, value=user.email)
    logger.info("privacy.marketing.optin_confirmed member=%s channel=email", user.pk)
    return user


def update_preferences(user, *, email: bool, sms: bool, request=None) -> list[str]:
    """Apply the settings form; return what happened ("email_confirmation_sent", …).

    Switching something off takes effect immediately (G6); switching email on only starts
    the double opt-in. SMS needs a phone number on the profile (ValueError otherwise).
    """
    done: list[str] = []
    current = get_preferences(user)
    if email and not current.email:
        request_email_optin(user, request=request)
        done.append("email_confirmation_sent")
    elif not email and (current.email or current.email_pending):
        opt_out(user, channel=EMAIL, source=Source.SETTINGS, request=request)
        done.append("email_off")
    if sms and not current.sms:
        if not user.phone:
            raise ValueError("Marketing SMS needs a phone number on the profile.")
        with transaction.atomic():
            consent.record_choices(
                consent.Subject.of(user),
                {consent.MARKETING_SMS: True},
                source=Source.SETTINGS,
                request=request,
            )
            suppression.lift(channel=SMS, value=str(user.phone))
        logger.info("privacy.marketing.opted_in member=%s channel=sms", user.pk)
        done.append("sms_on")
    elif not sms and current.sms:
        opt_out(user, channel=SMS, source=Source.SETTINGS, request=request)
        done.append("sms_off")
    return done


# --- Opting out -----------------------------------------------------------------------------


def opt_out(user, *, channel: str, source: str, request=None) -> bool:
    """Stop marketing on ``channel`` to ``user`` now; return whether consent changed.

    Withdraws the consent in the ledger (unless already withdrawn), cancels a pending email
    opt-in, and puts the member's current address on the suppression list so that it stays
    unreachable for marketing even after the account is deleted. Idempotent.
    """
    purpose = PURPOSE_OF[channel]
    subject = consent.Subject.of(user)
    reason = (
        suppression.Reason.SMS_STOP
        if source == Source.SMS_REPLY
        else suppression.Reason.UNSUBSCRIBE
    )
    address = user.email if channel == EMAIL else str(user.phone or "")
    with transaction.atomic():
        state = consent.current_states(subject).get(purpose)
        changed = state is None or state.granted
        if changed:
            consent.record_choices(subject, {purpose: False}, source=source, request=request)
        if channel == EMAIL:
            EmailOptInRequest.objects.filter(user=user).delete()
        if address:
            # An unusable number on the profile is never messaged anyway.
            with contextlib.suppress(ValueError):
                suppression.suppress(channel=channel, value=address, reason=reason)
    logger.info(
        "privacy.marketing.opted_out member=%s channel=%s source=%s", user.pk, channel, source
    )
    return changed


def unsubscribe(token: str, *, request=None) -> str:
    """Unsubscribe the member named by a signed token; return the channel.

    A token of a member who no longer exists is still accepted (their address is on the
    suppression list since erasure). Raises InvalidToken for a token that is not ours.
    """
    from django.contrib.auth import get_user_model

    member_id, channel = read_unsubscribe_token(token)
    user = get_user_model().objects.filter(pk=member_id).first()
    if user is not None:
        opt_out(user, channel=channel, source=Source.UNSUBSCRIBE, request=request)
    return channel


# --- SMS replies ----------------------------------------------------------------------------


def is_stop_word(text: str) -> bool:
    """Return whether an SMS reply asks to stop marketing (STOP, TD, 退订, СТОП)."""
    normalised = unicodedata.normalize("NFKC", str(text)).strip(_TRIM).casefold()
    return normalised in STOP_WORDS


def handle_sms_reply(*, phone: str, text: str) -> bool:
    """Act on an inbound SMS; return whether it was a stop request.

    A stop request opts every member with that number out of marketing SMS (source
    "sms_reply") and suppresses the number, also when no member has it, so that the
    answer is the same whoever sends it. Any other text changes nothing.
    """
    from django.contrib.auth import get_user_model

    if not is_stop_word(text):
        return False
    e164 = suppression.normalise(channel=SMS, value=phone)
    members = list(get_user_model().objects.filter(phone=e164))
    with transaction.atomic():
        for member in members:
            opt_out(member, channel=SMS, source=Source.SMS_REPLY)
        suppression.suppress(channel=SMS, value=e164, reason=suppression.Reason.SMS_STOP)
    logger.info("privacy.marketing.sms_stop members=%s", [m.pk for m in members])
    return True
