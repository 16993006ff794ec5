"""Anonymizing fields by their declared method: one place for retention and erasure.

The registry says, per field, what anonymization does (``privacy.registry.Method``). This
module turns that into database work on a *bounded* queryset (one batch, in the caller's
transaction):

- ``NULL``, ``REDACT``, ``HASH`` and ``BIRTH_YEAR`` become SQL expressions, so a batch is
  one ``UPDATE ... WHERE`` on any database Django supports;
- ``IP_PREFIX`` and ``COORDINATES_TO_CITY`` are computed in Python for the rows of the
  batch (addresses come in many spellings that SQL would have to parse), and only rows
  whose value changes are written;
- ``KEEP`` does nothing.

Every method is idempotent: anonymizing an anonymized value gives the same value (hashes
carry a prefix so they are recognised and never hashed twice). :func:`pending` is the
matching filter, "rows that still need anonymizing", so that a rerun touches nothing and
reports zero.

API (also for the erasure engine)::

    methods = anonymize.methods_for(policy)            # {"user": Method.NULL, ...}
    changed = anonymize.anonymize(batch_qs, methods)    # rows changed
    anonymize.pending(Model, methods)                   # Q of rows still to change
    anonymize.python_value(field, method, value)        # one value, in Python
    anonymize.write_values(Model, {(("ip", "203.0.113.0"),): [pk, ...]})
"""

from __future__ import annotations

import hashlib
import ipaddress
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Cast, Concat, Left, TruncYear
from django.db.models.functions.text import SHA256
from django.utils.crypto import salted_hmac

from privacy.registry import Method, ModelPolicy

REDACTED = "[redacted]"
# Unique text columns cannot all hold the same placeholder: they get this prefix + the pk.
UNIQUE_REDACTED_PREFIX = "redacted-"
HASH_PREFIX = "h:"
PYTHON_METHODS = {Method.IP_PREFIX, Method.COORDINATES_TO_CITY}
TEXT_FIELDS = (models.CharField, models.TextField)


class Sha256Hex(SHA256):
    """Hex SHA-256 of a text; on PostgreSQL with the built-in ``sha256()`` (no pgcrypto)."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
            **extra_context,
        )


def hash_salt() -> str:
    """The secret salt of anonymization hashes, derived from SECRET_KEY.

    Equal inputs give equal hashes (rows can still be joined), but nobody without the
    key can test a guessed address against them.
    """
    return salted_hmac("privacy.anonymize", "hash-salt").hexdigest()


def hash_value(value) -> str:
    """The anonymization hash of ``value`` (what ``Method.HASH`` stores), in Python."""
    text = str(value)
    if text.startswith(HASH_PREFIX):
        return text
    return HASH_PREFIX + hashlib.sha256((hash_salt() + text).encode()).hexdigest()


def methods_for(policy: ModelPolicy) -> dict[str, Method]:
    """Return the fields of ``policy`` that anonymization changes, with their methods.

    Personal fields and the link to the data subject, except those declared ``KEEP``.
    """
    return {
        name: field_policy.anonymize
        for name, field_policy in policy.fields.items()
        if (field_policy.personal or field_policy.is_link) and field_policy.anonymize != Method.KEEP
    }


# --- One field ----------------------------------------------------------------------------


def _field(model, name: str) -> models.Field:
    return model._meta.get_field(name)


def empty_value(field: models.Field):
    """The value that means "nothing here" for ``field``: NULL, or '' / {} / [] if not null."""
    if field.null:
        return None
    if isinstance(field, TEXT_FIELDS):
        return ""
    if isinstance(field, models.JSONField):
        default = field.get_default()
        return default if isinstance(default, dict | list) else {}
    raise ImproperlyConfigured(
        f"{field.model._meta.label}.{field.name} cannot be emptied: it is neither nullable, "
        "text nor JSON. Declare another anonymization method."
    )


def _is_blank(name: str, field: models.Field) -> Q:
    blank = Q(**{f"{name}__isnull": True})
    if isinstance(field, TEXT_FIELDS):
        blank |= Q(**{name: ""})
    return blank


def _redact_value(field: models.Field):
    if field.unique:
        return Concat(
            Value(UNIQUE_REDACTED_PREFIX),
            Cast("pk", models.CharField()),
            output_field=models.CharField(),
        )
    if field.max_length and field.max_length < len(REDACTED):
        return ""
    return REDACTED


def sql_expression(model, name: str, method: Method):
    """Return the value or expression an UPDATE sets ``name`` to under ``method``.

    Blank values stay blank: there is nothing to redact or hash in an empty field. The
    methods in ``PYTHON_METHODS`` have no SQL form (use :func:`python_value`).
    """
    field = _field(model, name)
    if method in PYTHON_METHODS:
        raise ValueError(f"{method} is computed in Python: use python_value().")
    if method == Method.KEEP:
        return F(name)
    if method == Method.NULL or (
        method in (Method.REDACT, Method.HASH) and not isinstance(field, TEXT_FIELDS)
    ):
        if field.is_relation:
            if not field.null:
                raise ImproperlyConfigured(f"{model._meta.label}.{name} cannot be unlinked.")
            return None
        return empty_value(field)
    if method == Method.REDACT:
        replacement = _redact_value(field)
        if isinstance(replacement, str):
            if not replacement:
                return ""  # the column is too short for the placeholder: empty it
            replacement = Value(replacement)
        return Case(
            When(_is_blank(name, field), then=F(name)), default=replacement, output_field=field
        )
    if method == Method.HASH:
        digest = Concat(
            Value(HASH_PREFIX),
            Sha256Hex(
                Concat(
                    Value(hash_salt()),
                    Cast(F(name), models.TextField()),
                    output_field=models.TextField(),
                )
            ),
            output_field=models.TextField(),
        )
        if field.max_length:
            digest = Left(digest, field.max_length)
        return Case(
            When(_is_blank(name, field) | Q(**{f"{name}__startswith": HASH_PREFIX}), then=F(name)),
            default=digest,
            output_field=field,
        )
    if method == Method.BIRTH_YEAR:
        if not isinstance(field, models.DateField) or isinstance(field, models.DateTimeField):
            raise ImproperlyConfigured(f"{model._meta.label}.{name}: BIRTH_YEAR needs a date.")
        return TruncYear(F(name), output_field=models.DateField())
    raise ImproperlyConfigured(f"Unknown anonymization method {method!r}.")


def pending_field(model, name: str, method: Method) -> Q | None:
    """Rows whose ``name`` still needs ``method``; None if only Python can tell."""
    field = _field(model, name)
    if method == Method.KEEP:
        return Q(pk__in=[])
    if method in PYTHON_METHODS:
        return None
    if method == Method.NULL or (
        method in (Method.REDACT, Method.HASH) and not isinstance(field, TEXT_FIELDS)
    ):
        if field.is_relation or field.null:
            return Q(**{f"{name}__isnull": False}) & ~_is_blank(name, field)
        return ~Q(**{name: empty_value(field)})
    not_blank = ~_is_blank(name, field)
    if method == Method.REDACT:
        if field.unique:
            return not_blank & ~Q(**{f"{name}__startswith": UNIQUE_REDACTED_PREFIX})
        replacement = _redact_value(field)
        return not_blank & ~Q(**{name: replacement})
    if method == Method.HASH:
        return not_blank & ~Q(**{f"{name}__startswith": HASH_PREFIX})
    if method == Method.BIRTH_YEAR:
        return not_blank & ~Q(**{f"{name}__month": 1, f"{name}__day": 1})
    raise ImproperlyConfigured(f"Unknown anonymization method {method!r}.")


def pending(model, methods: dict[str, Method]) -> Q | None:
    """Rows at least one of whose fields still needs anonymizing; None if Python must tell."""
    combined = None
    for name, method in methods.items():
        condition = pending_field(model, name, method)
        if condition is None:
            return None
        combined = condition if combined is None else combined | condition
    return combined if combined is not None else Q(pk__in=[])


def truncate_network(value: str, *, ipv4_prefix: int, ipv6_prefix: int) -> str:
    """Return the network of an address or network ``value``, cut to the given prefix.

    "203.0.113.77" or "203.0.113.0/24" -> "203.0.0.0/16" for ``ipv4_prefix=16``. A value
    already that short (or shorter) is returned as it is; a value that is no IP becomes "".
    """
    text = (value or "").strip()
    if not text:
        return ""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return ""
    prefix = ipv4_prefix if network.version == 4 else ipv6_prefix
    if network.prefixlen <= prefix:
        return str(network)
    return str(network.supernet(new_prefix=prefix))


def python_value(field: models.Field, method: Method, value):
    """The anonymized form of one ``value`` of ``field``, computed in Python."""
    if method == Method.KEEP:
        return value
    if value is None or value == "":
        return value
    if method == Method.IP_PREFIX:
        network = truncate_network(str(value), ipv4_prefix=24, ipv6_prefix=48)
        if isinstance(field, models.GenericIPAddressField):
            # An address column keeps an address: the network's first one.
            return network.split("/")[0] if network else empty_value(field)
        return network
    if method == Method.COORDINATES_TO_CITY:
        # Two decimals less than a street: about 11 km, the size of a city.
        if isinstance(value, Decimal):
            return value.quantize(Decimal("0.1"))
        if isinstance(value, float | int):
            return round(float(value), 1)
        return empty_value(field)
    if method == Method.HASH:
        if not isinstance(field, TEXT_FIELDS):
            return empty_value(field)
        hashed = hash_value(value)
        return hashed[: field.max_length] if field.max_length else hashed
    if method == Method.BIRTH_YEAR:
        return value.replace(month=1, day=1)
    if method == Method.REDACT:
        return REDACTED if isinstance(field, TEXT_FIELDS) else empty_value(field)
    if method == Method.NULL:
        return None if field.is_relation else empty_value(field)
    raise ImproperlyConfigured(f"Unknown anonymization method {method!r}.")


# --- A batch of rows ----------------------------------------------------------------------


def anonymize(queryset: models.QuerySet, methods: dict[str, Method]) -> int:
    """Anonymize the rows of ``queryset`` field by field; return how many rows changed.

    Destructive: the old values are gone. ``queryset`` should be one bounded batch and
    the caller's transaction should hold it (a pk range or an id list). Rows that need no
    change are not written. Fields declared ``KEEP`` are not touched.
    """
    model = queryset.model
    sql_updates, python_fields = {}, []
    for name, method in methods.items():
        if method == Method.KEEP:
            continue
        if method in PYTHON_METHODS:
            python_fields.append(name)
        else:
            field = _field(model, name)
            sql_updates[field.attname if field.is_relation else name] = sql_expression(
                model, name, method
            )
    if not sql_updates and not python_fields:
        return 0
    sql_methods = {n: m for n, m in methods.items() if m not in PYTHON_METHODS}
    sql_pending = pending(model, sql_methods) if sql_updates else Q(pk__in=[])

    if not python_fields:
        return queryset.filter(sql_pending).update(**sql_updates)

    # Python path: read the batch once, decide per row, write only what changes.
    flagged = queryset.annotate(
        _sql_pending=ExpressionWrapper(sql_pending, output_field=BooleanField())
    ).values_list("pk", "_sql_pending", *python_fields)
    fields = {name: _field(model, name) for name in python_fields}
    changed_rows: set = set()
    groups: dict[tuple, list] = {}
    for pk, needs_sql, *values in flagged:
        differs = {}
        for name, value in zip(python_fields, values, strict=True):
            new = python_value(fields[name], methods[name], value)
            if new != value:
                differs[name] = new
        if needs_sql:
            changed_rows.add(pk)
        if differs:
            changed_rows.add(pk)
            groups.setdefault(tuple(sorted(differs.items())), []).append(pk)
    if sql_updates:
        queryset.filter(sql_pending).update(**sql_updates)
    write_values(model, groups)
    return len(changed_rows)


def write_values(model, groups: dict[tuple, list]) -> None:
    """Write Python-computed values, given as ``{((field, value), ...): [pk, ...]}``.

    One UPDATE per distinct set of values, or per-field ``bulk_update`` if there are many.
    """
    manager = model._base_manager
    if len(groups) <= 50:
        for values, pks in groups.items():
            manager.filter(pk__in=pks).update(**dict(values))
        return
    # Many distinct values (addresses of a busy day): bulk_update each field with only the
    # rows that change it, in small statements (its CASE grows with the rows).
    by_name: dict[str, list] = {}
    for values, pks in groups.items():
        for name, value in values:
            for pk in pks:
                obj = model(pk=pk)
                setattr(obj, name, value)
                by_name.setdefault(name, []).append(obj)
    for name, objects in by_name.items():
        manager.bulk_update(objects, [name], batch_size=200)
