"""Small factories for tests: plain functions, explicit fields, verified by default."""

import itertools
import time
from datetime import date

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def make_member(*, email=None, password=PASSWORD, verified=True, **fields):
    """Create a member who can sign in with ``password`` (email verified unless told)."""
    n = next(_counter)
    email = email or f"member{n}@example.com"
    fields.setdefault("first_name", "Alex")
    fields.setdefault("last_name", f"Tester{n}")
    fields.setdefault("date_of_birth", date(1990, 1, 1))
    user = get_user_model().objects.create_user(email=email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def totp_code(secret, *, margin=5.0):
    """The authenticator code for ``secret``, still valid ``margin`` seconds from now.

    allauth accepts only the current 30-second period (no tolerance), so a code read
    just before the period turns would be refused by the time the form is posted. Near
    the turn, wait for the next period instead.
    """
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.05)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(secret, counter))
