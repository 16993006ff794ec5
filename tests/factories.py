"""Small factories for tests: plain functions, explicit fields, verified by default."""

import itertools
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
