"""The suppression list: addresses marketing must never reach again (M13, G3, L8).

An entry is an HMAC-SHA256 of the normalised address (lower-cased email, E.164 phone)
keyed with ``PRIVACY_SUPPRESSION_SALT``, so the table holds no plain address and a leaked
copy cannot be reversed by hashing a list of known addresses without the salt. Entries
point at no account: they outlive account deletion on purpose, so that a deleted member
is never mailed again. Changing the salt empties the list in effect; do not rotate it.
"""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from privacy.models import Channel, SuppressionEntry

EMAIL = Channel.EMAIL
SMS = Channel.SMS
Reason = SuppressionEntry.Reason


def normalise(*, channel: str, value: str) -> str:
    """Return the canonical form of an address: lower-cased email or E.164 phone.

    Raises ValueError for an unknown channel or a phone number that does not parse.
    """
    value = str(value or "").strip()
    if not value:
        raise ValueError("An empty address cannot be suppressed.")
    if channel == EMAIL:
        return value.lower()
    if channel == SMS:
        try:
            number = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
        except phonenumbers.NumberParseException as exc:
            raise ValueError("Not a phone number.") from exc
        if not phonenumbers.is_possible_number(number):
            raise ValueError("Not a phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError(f"Unknown channel {channel!r}")


def hash_value(*, channel: str, value: str) -> str:
    """Return the salted hash under which ``value`` is stored on the list."""
    canonical = normalise(channel=channel, value=value)
    key = str(settings.PRIVACY_SUPPRESSION_SALT).encode()
    return hmac.new(key, f"{channel}:{canonical}".encode(), hashlib.sha256).hexdigest()


def suppress(*, channel: str, value: str, reason: str) -> bool:
    """Put ``value`` on the suppression list of ``channel``; return whether it was new.

    Idempotent: an address already on the list keeps its first reason and date.
    """
    value_hash = hash_value(channel=channel, value=value)
    if SuppressionEntry.objects.filter(channel=channel, value_hash=value_hash).exists():
        return False
    try:
        with transaction.atomic():
            SuppressionEntry.objects.create(channel=channel, value_hash=value_hash, reason=reason)
    except IntegrityError:  # added concurrently
        return False
    return True


def is_suppressed(*, channel: str, value: str) -> bool:
    """Return whether marketing on ``channel`` must not reach ``value``."""
    try:
        value_hash = hash_value(channel=channel, value=value)
    except ValueError:
        return True  # an address we cannot even normalise is never marketed to
    return SuppressionEntry.objects.filter(channel=channel, value_hash=value_hash).exists()


def suppressed_hashes(*, channel: str, hashes) -> set[str]:
    """Return which of ``hashes`` are on the list of ``channel`` (one query)."""
    return set(
        SuppressionEntry.objects.filter(channel=channel, value_hash__in=list(hashes)).values_list(
            "value_hash", flat=True
        )
    )


def lift(*, channel: str, value: str) -> int:
    """Take ``value`` off the list after its owner explicitly opted in again.

    Only a fresh, explicit opt-in by the address's owner may call this (a confirmed email
    double opt-in, a member switching SMS on in their settings). Spam complaints stay:
    they are never lifted automatically. Returns the number of entries removed.
    """
    try:
        value_hash = hash_value(channel=channel, value=value)
    except ValueError:
        return 0
    deleted, _ = (
        SuppressionEntry.objects.filter(channel=channel, value_hash=value_hash)
        .exclude(reason=Reason.COMPLAINT)
        .delete()
    )
    return deleted


def entries_of(user):
    """Return the suppression entries that match ``user``'s current email and phone."""
    condition = Q(pk__in=[])
    for channel, value in ((EMAIL, user.email), (SMS, str(user.phone or ""))):
        try:
            condition |= Q(channel=channel, value_hash=hash_value(channel=channel, value=value))
        except ValueError:
            continue
    return SuppressionEntry.objects.filter(condition)
