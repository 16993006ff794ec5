"""Per-method anonymization (privacy.services.anonymize), shared by retention and erasure."""

import hashlib
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from cinema.models import Booking
from privacy.models import PrivacyRequest
from privacy.registry import Method, registry
from privacy.services import anonymize
from tests.factories import make_member

pytestmark = pytest.mark.django_db

User = get_user_model()
METHODS = {
    "first_name": Method.REDACT,
    "last_name": Method.NULL,
    "email": Method.REDACT,  # unique: each row gets its own placeholder
    "username": Method.HASH,
    "date_of_birth": Method.BIRTH_YEAR,
    "patronymic": Method.KEEP,
}


def test_each_method_changes_its_field_once_and_a_second_pass_changes_nothing():
    one = make_member(
        first_name="Dana",
        last_name="Abenova",
        patronymic="Serikovna",
        username="dana88",
        date_of_birth=date(1988, 7, 14),
    )
    two = make_member(first_name="", username=None, date_of_birth=None)
    untouched = make_member(first_name="Other", username="other1")
    rows = User.objects.filter(pk__in=[one.pk, two.pk])

    changed = anonymize.anonymize(rows, METHODS)
    again = anonymize.anonymize(rows, METHODS)

    one.refresh_from_db()
    two.refresh_from_db()
    untouched.refresh_from_db()
    assert (changed, again) == (2, 0)
    assert one.first_name == anonymize.REDACTED
    assert one.last_name == ""
    assert one.email == f"{anonymize.UNIQUE_REDACTED_PREFIX}{one.pk}"
    assert one.username == anonymize.hash_value("dana88")[:40]  # the column's length
    assert one.username.startswith(anonymize.HASH_PREFIX) and "dana88" not in one.username
    assert one.date_of_birth == date(1988, 1, 1)
    assert one.patronymic == "Serikovna"  # KEEP
    # Blank stays blank: there is nothing to redact or hash.
    assert (two.first_name, two.username, two.date_of_birth) == ("", None, None)
    assert (untouched.first_name, untouched.username) == ("Other", "other1")
    assert (
        not User.objects.filter(pk__in=[one.pk, two.pk])
        .filter(anonymize.pending(User, METHODS))
        .exists()
    )


def test_the_hash_is_salted_with_a_secret_and_the_same_in_sql_and_python():
    member = make_member(username="dana88")

    anonymize.anonymize(User.objects.filter(pk=member.pk), {"username": Method.HASH})

    member.refresh_from_db()
    field = User._meta.get_field("username")
    assert member.username == anonymize.python_value(field, Method.HASH, "dana88")
    assert member.username[2:] != hashlib.sha256(b"dana88").hexdigest()[: len(member.username) - 2]
    assert anonymize.hash_value(member.username) == member.username  # never hashed twice


def test_networks_are_cut_to_the_declared_prefix_and_garbage_is_emptied():
    truncate = anonymize.truncate_network
    assert truncate("203.0.113.77", ipv4_prefix=24, ipv6_prefix=48) == "203.0.113.0/24"
    assert truncate("203.0.113.0/24", ipv4_prefix=16, ipv6_prefix=32) == "203.0.0.0/16"
    assert truncate("203.0.0.0/16", ipv4_prefix=24, ipv6_prefix=48) == "203.0.0.0/16"
    assert truncate("2001:db8:abcd:12::1", ipv4_prefix=24, ipv6_prefix=48) == "2001:db8:abcd::/48"
    assert truncate("not an address", ipv4_prefix=24, ipv6_prefix=48) == ""
    assert truncate("", ipv4_prefix=24, ipv6_prefix=48) == ""


def test_methods_come_from_the_registry_and_keep_fields_are_left_out():
    methods = anonymize.methods_for(registry.get(Booking))
    assert methods == {"user": Method.NULL, "card_last4": Method.NULL}
    request_methods = anonymize.methods_for(registry.get(PrivacyRequest))
    assert request_methods["email"] == Method.REDACT
    assert "type" not in request_methods and "received_at" not in request_methods


def test_a_field_that_cannot_be_emptied_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        anonymize.empty_value(User._meta.get_field("date_joined"))
