"""Fixtures shared by the privacy tests."""

import pytest
from django.contrib.auth.models import Group

from privacy import roles
from tests.factories import make_member


@pytest.fixture
def officer(client):
    """A privacy officer (the role as roles.py defines it), signed in on ``client``."""
    user = make_member(email="officer@example.com", first_name="Olga", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.PRIVACY_OFFICER))
    client.force_login(user)
    return user
