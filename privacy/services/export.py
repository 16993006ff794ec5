"""Download my data (access and portability): a ZIP of everything the registry exports.

What goes in comes from the personal-data registry and nothing else: every declaration
with an ``export`` section contributes its rows (``policy.rows_of(user)``) and, of those
rows, the fields it declares personal plus the plain facts needed to read them (ids,
dates, statuses, currencies). Relations are written readably: a booking's showtime
becomes the film, cinema, city, hall and start time. Left out on purpose: the relation to
the member themselves, relations to other accounts (the staff member who acted: another
person's data), fields whose declaration gives a reason why they only look personal
(internal random ids), and many-to-many links nobody declared personal. Security secrets
(password hash, session keys, second-factor secrets) appear as ``"[withheld]"``: the
member sees that they exist, and a lost ZIP cannot unlock the account.

Layout of the ZIP (``docs/export-format.md`` is the reference, ``SCHEMA_VERSION`` its
version)::

    index.html            readable offline, in the member's language, links every file
    README.txt            what the files are, in the member's language
    schema.json           machine-readable: sections, sources, fields, types, files
    data/<section>.json   one document per export section (several models may share one):
                          a table's rows as arrays under its field names, others as objects
    data/<section>.csv    tabular sections also as CSV (<section>-<model>.csv when shared)
    files/<section>/...   stored files such as the profile photo

Streaming: no list of all rows is ever built. Rows are read in chunks and written straight
into the open ZIP entry in pieces of about a megabyte, compressed by a helper thread while
the next rows arrive; the file is written under a temporary name in ``PRIVACY_EXPORT_DIR``
and renamed when complete. Each row is read once: a table's CSV lines are made in the
same pass as its JSON rows and wait in an anonymous temporary file until the JSON entry
is closed. On PostgreSQL the database renders the rows (``COPY (SELECT ...) TO STDOUT``):
COPY's CSV writer prints each row as the inside of a JSON array, and Python only moves
and patches bytes to make the JSON rows and the CSV lines (see ``_rows_pieces``); other
databases go through ``values_list().iterator()`` and Python formatters that produce the
same text. All paths share one column description, and a test holds them to the same
bytes.

Life of an export: ``request_export`` records a ``DataExport`` (queued) and, on commit,
enqueues ``privacy.build_export``. The task claims it (queued, or building but stale ->
building, attempt + 1), builds from scratch, and in one transaction marks it ready, writes
the audit entry, completes the privacy request and queues the "ready" email with a signed
link (for a request staff answered with the export, that request's completion email
carries the link instead). A failed attempt goes back to the queue until
``MAX_ATTEMPTS``; the sweeper (``stale_exports``) re-enqueues what a lost message or a
killed worker left behind, and ``expire_exports`` deletes files past ``expires_at``. The
build runs outside any transaction (progress must be visible while it runs); every state
change is one short transaction guarded by a conditional update, so two workers never
both finish one export.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import typing
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connections, models, transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cinema.mail import render_text, send_templated_email
from privacy import recipients as recipients_register
from privacy.app_settings import app_settings
from privacy.models import DataExport, PrivacyRequest
from privacy.registry import Category, ModelPolicy, Registry, registry
from privacy.services import audit, inventory
from privacy.services import requests as request_service

logger = logging.getLogger(__name__)

Status = DataExport.Status

SCHEMA_VERSION = "2.0"
DOWNLOAD_SALT = "privacy.export-download"
WITHHELD = "[withheld]"

RUNNING = (Status.QUEUED, Status.BUILDING)
MAX_ATTEMPTS = 3
# A build that has not finished this long after it started lost its worker.
STALE_AFTER = timedelta(minutes=30)
# A queued export normally starts within seconds; this long means its message was lost.
QUEUED_GRACE = timedelta(minutes=2)

CHUNK_SIZE = 2000  # rows per fetch on the portable path
FLUSH_BYTES = 1 << 20  # bytes handed to the compressor at a time
QUEUED_PIECES = 4  # pieces waiting for the compressing thread, at most
PROGRESS_EVERY = 5000  # rows between progress updates (one UPDATE each)
PREVIEW_ROWS = 20  # rows per source shown in index.html
# Backslashes per row (nulls, escaped quotes and backslashes) up to which a piece of COPY
# output is unescaped by scanning from one to the next; above, by bytes.replace passes.
SCANNED_BACKSLASHES = 2
COMPRESS_LEVEL = 1  # zlib level: 1 is 2x faster than 6 and the ZIP only ~20% larger
# PostgreSQL renders the rows itself (COPY); tests and the benchmark switch it off to
# compare with the portable path.
COPY_ENABLED = True

# Keys and section names go into SQL text, file names and CSV headers: plain identifiers only.
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Sections first in index.html, in this order; the rest follow alphabetically.
SECTION_ORDER = ("profile", "email_addresses", "preferences", "bookings", "consents")
SECTION_TITLES = {
    "profile": _("Profile"),
    "email_addresses": _("Email addresses"),
    "preferences": _("Preferences"),
    "bookings": _("Bookings"),
    "consents": _("Consent choices"),
    "policy_acceptances": _("Policies you accepted"),
    "activity": _("Activity on the site"),
    "devices": _("Devices and sign-ins"),
    "second_factors": _("Second factors"),
    "social_accounts": _("Connected social accounts"),
    "privacy_requests": _("Privacy requests"),
    "privacy_request_steps": _("Steps of your privacy requests"),
    "processing_restriction": _("Restriction of processing"),
    "marketing_messages": _("Marketing messages sent to you"),
    "marketing_suppression": _("Marketing suppression list"),
    "marketing_optin_pending": _("Marketing email waiting for confirmation"),
    "disclosures": _("Disclosures to authorities"),
    "data_breaches": _("Data breaches that affected you"),
    "dormant_account_notice": _("Notice about an unused account"),
    "legal_holds": _("Legal holds on your data"),
}

# How a relation to a public or own record is written: (key suffix, lookup) pairs. A
# relation not listed here is written as the related record's title or name, else its id.
READABLE: dict[str, tuple[tuple[str, str], ...]] = {
    "cinema.showtime": (
        ("film", "film__title"),
        ("cinema", "cinema__name"),
        ("city", "cinema__city"),
        ("auditorium", "auditorium"),
        ("starts_at", "starts_at"),
    ),
    "cinema.cinema": (("name", "name"), ("city", "city")),
    "privacy.policyversion": (
        ("document", "document"),
        ("language", "language"),
        ("version", "version"),
    ),
    "privacy.privacyrequest": (("id", "id"), ("type", "type")),
    "privacy.databreach": (("title", "title"), ("discovered_at", "discovered_at")),
    "privacy.campaign": (("channel", "channel"), ("subject", "subject")),
}


class ExportError(Exception):
    """An export cannot be built or served (message for operators, never personal data)."""


class LinkExpired(Exception):
    """A download link whose signature is older than the export's lifetime."""


# --- Columns --------------------------------------------------------------------------------

INTEGER, DECIMAL, NUMBER, BOOLEAN = "integer", "decimal", "number", "boolean"
STRING, UUID, DATETIME, DATE, TIME, JSON = "string", "uuid", "datetime", "date", "time", "json"
WITHHELD_KIND, FILE, LIST, OTHER = "withheld", "file", "list", "other"

_KINDS = {
    "AutoField": INTEGER,
    "BigAutoField": INTEGER,
    "SmallAutoField": INTEGER,
    "IntegerField": INTEGER,
    "BigIntegerField": INTEGER,
    "SmallIntegerField": INTEGER,
    "PositiveIntegerField": INTEGER,
    "PositiveBigIntegerField": INTEGER,
    "PositiveSmallIntegerField": INTEGER,
    "DecimalField": DECIMAL,
    "FloatField": NUMBER,
    "BooleanField": BOOLEAN,
    "NullBooleanField": BOOLEAN,
    "CharField": STRING,
    "TextField": STRING,
    "EmailField": STRING,
    "SlugField": STRING,
    "URLField": STRING,
    "GenericIPAddressField": STRING,
    "IPAddressField": STRING,
    "UUIDField": UUID,
    "DateTimeField": DATETIME,
    "DateField": DATE,
    "TimeField": TIME,
    "JSONField": JSON,
    "FileField": FILE,
    "ImageField": FILE,
}
# Kinds the database can render itself (the PostgreSQL path); the others need Python.
_SQL_KINDS = {INTEGER, DECIMAL, NUMBER, BOOLEAN, STRING, UUID, DATETIME, DATE, TIME, JSON}
_SQL_KINDS.add(WITHHELD_KIND)
# Kinds COPY's own CSV writer can turn into JSON values (see _marked_statement): strings
# and dates quoted, numbers, booleans and null bare.
_BARE_KINDS = {INTEGER, DECIMAL, BOOLEAN}
_QUOTED_KINDS = {STRING, UUID, DATETIME, DATE, TIME, WITHHELD_KIND}


@dataclass(frozen=True)
class Column:
    """One key of the exported records: where its value comes from and how it is written."""

    key: str
    lookup: str  # ORM lookup for values_list()
    kind: str
    label: str
    category: Category | None = None
    choices: tuple[tuple[str, str], ...] = ()
    field_name: str = ""  # the model field it belongs to (for files and lists)


@dataclass
class Source:
    """One declared model's rows in one section."""

    policy: ModelPolicy
    section: str
    columns: list[Column]
    csv_name: str = ""  # path in the ZIP, when tabular

    @property
    def model(self) -> type[models.Model]:
        return self.policy.model

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def tabular(self) -> bool:
        return bool(self.csv_name)

    def categories(self) -> list[Category]:
        seen: list[Category] = []
        for column in self.columns:
            if column.category and column.category not in seen:
                seen.append(column.category)
        return seen


@dataclass
class Section:
    key: str
    sources: list[Source]

    @property
    def title(self) -> str:
        return str(SECTION_TITLES.get(self.key) or capfirst(self.key.replace("_", " ")))

    @property
    def json_name(self) -> str:
        return f"data/{self.key}.json"

    def categories(self) -> list[Category]:
        seen: list[Category] = []
        for source in self.sources:
            for category in source.categories():
                if category not in seen:
                    seen.append(category)
        return seen


def _kind(model_field: models.Field) -> str:
    return _KINDS.get(model_field.get_internal_type(), OTHER)


def _label(model_field) -> str:
    return str(capfirst(getattr(model_field, "verbose_name", model_field.name)))


def _is_user_relation(model_field) -> bool:
    related = getattr(model_field, "related_model", None)
    return related is not None and related is get_user_model()


def _is_secret(category, kind: str, model_field) -> bool:
    """Whether a value would help someone into the account: security data that is not a
    date, a flag, a count or one of a few named kinds (a password hash, a session key, a
    second factor's secret)."""
    return (
        category == Category.SECURITY
        and kind not in (DATETIME, DATE, BOOLEAN, INTEGER)
        and not model_field.choices
    )


def _choices(model_field) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in (model_field.choices or ()))


def _related_columns(name: str, model_field, category) -> list[Column]:
    """Columns that say readably what a foreign key points at."""
    related = model_field.related_model
    spec = READABLE.get(related._meta.label_lower)
    if spec is None:
        names = {f.name for f in related._meta.concrete_fields}
        attr = next((n for n in ("title", "name") if n in names), related._meta.pk.name)
        spec = ((attr if attr != related._meta.pk.name else "id", attr),)
    columns = []
    for suffix, lookup in spec:
        hops = lookup.split("__")
        target, via = related, None
        for part in hops[:-1]:
            via = target._meta.get_field(part)
            target = via.related_model
        target_field = target._meta.get_field(hops[-1])
        # "Showtime: film" rather than "Showtime: title"; a lone column is just "Film".
        named_by = via if via is not None and hops[-1] in ("title", "name") else target_field
        label = _label(model_field)
        if len(spec) > 1:
            label = f"{label}: {getattr(named_by, 'verbose_name', named_by.name)}"
        columns.append(
            Column(
                key=f"{name}_{suffix}",
                lookup=f"{name}__{lookup}",
                kind=_kind(target_field),
                label=label,
                category=category,
                choices=_choices(target_field),
                field_name=name,
            )
        )
    return columns


def columns_of(policy: ModelPolicy) -> list[Column]:
    """The exported columns of a declared model, in declaration order (the record id first)."""
    model = policy.model
    pk = model._meta.pk
    columns = [Column("id", "pk", _kind(pk), str(_("Record number")))]
    for name, declared in policy.fields.items():
        if name == pk.name:
            continue
        model_field = model._meta.get_field(name)
        if _is_user_relation(model_field):
            continue  # the member themselves, or another account (staff): never written
        if not declared.personal and (declared.reason or model_field.many_to_many):
            continue
        if not KEY.match(name):
            raise ExportError(f"{policy.label}.{name} cannot be an export key")
        category = declared.category
        if model_field.many_to_many:
            related = model_field.related_model
            names = {f.name for f in related._meta.concrete_fields}
            attr = next((n for n in ("title", "name") if n in names), "pk")
            columns.append(
                Column(name, f"{name}__{attr}", LIST, policy.field_label(name), category, (), name)
            )
        elif model_field.is_relation:
            columns.extend(_related_columns(name, model_field, category))
        else:
            kind = _kind(model_field)
            if _is_secret(category, kind, model_field):
                kind = WITHHELD_KIND
            label = policy.field_label(name)
            columns.append(Column(name, name, kind, label, category, _choices(model_field), name))
    return columns


def plan(declarations: Registry = registry) -> list[Section]:
    """The export's sections, from the registry: what goes where, before any row is read."""
    by_section: dict[str, list[Source]] = {}
    for policy in declarations.personal():
        if policy.export is None:
            continue
        section = policy.export.section
        if not KEY.match(section):
            raise ExportError(f"{policy.label}: export section {section!r} is not a valid key")
        by_section.setdefault(section, []).append(
            Source(policy=policy, section=section, columns=columns_of(policy))
        )
    sections = []
    for key, sources in by_section.items():
        tabular = [s for s in sources if s.policy.export.tabular]
        for source in tabular:
            suffix = f"-{source.model._meta.model_name}" if len(tabular) > 1 else ""
            source.csv_name = f"data/{key}{suffix}.csv"
        sections.append(Section(key, sources))
    order = {key: i for i, key in enumerate(SECTION_ORDER)}
    sections.sort(key=lambda s: (order.get(s.key, len(order)), s.key))
    return sections


# --- Value formatting (the portable path; the SQL below renders the same text) -------------


def iso_datetime(value: datetime) -> str:
    """ISO 8601 as PostgreSQL's to_json writes it: UTC offset, trailing zeros of the
    fraction dropped (``2026-11-22T18:30:00.25+00:00``)."""
    text = value.isoformat()
    if value.microsecond:
        head, _dot, rest = text.partition(".")
        digits = rest[:6].rstrip("0")
        text = f"{head}.{digits}{rest[6:]}"
    return text


def iso_time(value: time) -> str:
    text = value.isoformat()
    if value.microsecond:
        head, _dot, rest = text.partition(".")
        text = f"{head}.{rest[:6].rstrip('0')}{rest[6:]}"
    return text


def _text(value) -> str:
    """The CSV text of one value (None becomes an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_datetime(value)
    if isinstance(value, time):
        return iso_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# How the portable path writes a value of each kind, chosen once per column: its CSV text
# (None is an empty cell), and its JSON text (None is null), mostly made from the CSV text.
_CELL_TEXT: dict[str, Callable[[typing.Any], str]] = {
    BOOLEAN: lambda v: "true" if v else "false",
    DECIMAL: lambda v: format(v, "f"),
    DATETIME: iso_datetime,
    DATE: _text,
    TIME: iso_time,
    JSON: lambda v: json.dumps(v, ensure_ascii=False),
    LIST: lambda v: "; ".join(str(item) for item in v),
}
_encode_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def _cell_writer(kind: str) -> Callable[[typing.Any], str]:
    if kind == WITHHELD_KIND:
        return lambda v: "" if v in (None, "") else WITHHELD
    text = _CELL_TEXT.get(kind, str)
    return lambda v: "" if v is None else text(v)


def _json_writer(kind: str) -> Callable[[typing.Any, str], str]:
    """The JSON text of a value, given the value and its CSV text."""
    if kind == WITHHELD_KIND:
        return lambda v, cell: f'"{cell}"' if cell else "null"
    if kind == NUMBER:
        return lambda v, cell: "null" if v is None else json.dumps(v)
    if kind == LIST:
        return lambda v, cell: "null" if v is None else json.dumps(v, ensure_ascii=False)
    if kind in (INTEGER, DECIMAL, BOOLEAN, JSON):
        return lambda v, cell: "null" if v is None else cell
    if kind in (DATETIME, DATE, TIME, UUID):
        return lambda v, cell: "null" if v is None else f'"{cell}"'
    return lambda v, cell: "null" if v is None else _encode_string(cell)


# --- Reading rows -----------------------------------------------------------------------------


def _base_queryset(source: Source, user) -> models.QuerySet:
    model = source.model
    ordering = list(model._meta.ordering or ())
    if not any(
        o.lstrip("-") in ("pk", model._meta.pk.name) for o in ordering if isinstance(o, str)
    ):
        ordering.append("pk")
    return source.policy.rows_of(user).order_by(*ordering)


def _bounded(source: Source, user) -> tuple[models.QuerySet, int]:
    """The source's rows and how many there are.

    Rows inserted after this point (a page view while the export runs) are left out, so the
    JSON and the CSV of one source hold the same rows.
    """
    queryset = _base_queryset(source, user)
    pk = source.model._meta.pk
    if _kind(pk) == INTEGER:
        facts = queryset.aggregate(n=Count("pk"), top=Max("pk"))
        if facts["top"] is not None:
            queryset = queryset.filter(pk__lte=facts["top"])
        return queryset, facts["n"]
    return queryset, queryset.count()


def _use_copy(source: Source, queryset: models.QuerySet) -> bool:
    if not COPY_ENABLED or connections[queryset.db].vendor != "postgresql":
        return False
    return all(c.kind in _SQL_KINDS for c in source.columns)


def _sql_json(column: Column, ref: str) -> str:
    kind = column.kind
    if kind == WITHHELD_KIND:
        return f"CASE WHEN {ref} IS NULL OR {ref}::text = '' THEN 'null' ELSE '\"{WITHHELD}\"' END"
    if kind in (INTEGER, DECIMAL, NUMBER, BOOLEAN, JSON):
        return f"coalesce({ref}::text, 'null')"
    return f"coalesce(to_json({ref})::text, 'null')"


def _sql_csv(column: Column, ref: str) -> str:
    kind = column.kind
    if kind == WITHHELD_KIND:
        return f"CASE WHEN {ref} IS NULL OR {ref}::text = '' THEN NULL ELSE '{WITHHELD}' END"
    if kind == BOOLEAN:
        return f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' END"
    if kind in (DATETIME, DATE, TIME):
        return f"to_json({ref}) #>> '{{}}'"
    if kind == JSON:
        return f"{ref}::text"
    return ref


def _plain(source: Source) -> bool:
    """Whether COPY's CSV writer can print the source's JSON rows (no JSON or float columns)."""
    return all(c.kind in _BARE_KINDS | _QUOTED_KINDS for c in source.columns)


def _copy_statement(source: Source, queryset: models.QuerySet, fmt: str) -> tuple[str, tuple]:
    """A ``COPY (SELECT ...) TO STDOUT`` that renders the source's rows as JSON or CSV lines.

    ``fmt`` is "rows" (JSON arrays without their brackets, see ``_rows_pieces``), "json"
    (one JSON array, or object for a source that is not tabular, per line) or "csv". The
    row query is Django's own (filters, joins, ordering and bound parameters), wrapped so
    that PostgreSQL formats each row. Keys are checked identifiers from the registry; no
    value is ever put into the SQL text.
    """
    rows = queryset.values_list(*[c.lookup for c in source.columns])
    sql, params = rows.query.get_compiler(using=queryset.db).as_sql()
    refs = [f"t.c{i}" for i in range(len(source.columns))]
    aliases = ", ".join(f"c{i}" for i in range(len(source.columns)))
    pairs = list(zip(source.columns, refs, strict=True))
    if fmt == "rows":
        select = ", ".join(
            f"{_sql_csv(column, ref)} AS v{i}" for i, (column, ref) in enumerate(pairs)
        )
        quoted = ", ".join(f"v{i}" for i, (c, _r) in enumerate(pairs) if c.kind in _QUOTED_KINDS)
        options = "FORMAT csv, QUOTE '\"', ESCAPE E'\\\\', NULL E'\\\\'"
        if quoted:
            options += f", FORCE_QUOTE ({quoted})"
    elif fmt == "json":
        if source.tabular:
            values = " || ',' || ".join(_sql_json(column, ref) for column, ref in pairs)
            select = f"'[' || {values} || ']'"
        else:
            parts = [
                f"'{'{' if i == 0 else ','}\"{column.key}\":' || {_sql_json(column, ref)}"
                for i, (column, ref) in enumerate(pairs)
            ]
            select = " || ".join(parts) + " || '}'"
        # CSV format with quote and delimiter bytes that JSON text never contains: the lines
        # come out exactly as rendered (text format would escape every backslash).
        options = "FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02'"
    else:
        select = ", ".join(f'{_sql_csv(column, ref)} AS "{column.key}"' for column, ref in pairs)
        options = "FORMAT csv, HEADER"
    statement = f"COPY (SELECT {select} FROM ({sql}) AS t({aliases})) TO STDOUT WITH ({options})"  # noqa: S608
    return statement, tuple(params)


def _copy_blocks(queryset: models.QuerySet, statement: str, params: tuple) -> Iterator[bytes]:
    # psycopg's own cursor.copy(): that of Django's query-logging wrapper (DEBUG,
    # assertNumQueries) takes no parameters.
    with connections[queryset.db].cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        yield from copy


@contextlib.contextmanager
def _closing(iterable: Iterable) -> Iterator[None]:
    """Close a generator of rows when its reader stops early (an error): an unfinished COPY
    is cancelled at once, and the connection is free again for the failure's bookkeeping."""
    try:
        yield
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()


# One COPY serves both files of a plain tabular source. COPY's CSV writer is PostgreSQL's
# fastest way to print rows, and with QUOTE '"', ESCAPE '\', every string and date
# force-quoted and NULL '\' (one bare backslash), each of its lines is almost the inside
# of a JSON array: quoted values escape exactly what a JSON string escapes (" and \),
# numbers and booleans are bare:
#       "search","/films/a\\b/",1500,\,"2026-11-22T18:30:00.25+00:00"
# A backslash that is not part of an escape (\\ or \") is a null, so a JSON row is
# "[" + line + "]" with those backslashes made "null", and the CSV line is the same text
# with them removed and the escapes undone (\" -> "", \\ -> \): nothing to do for text
# without backslashes, else one scan from backslash to backslash (or a few bytes.replace
# passes when there are many). That is done on pieces whose values hold no control
# character: JSON strings may not hold one raw, and the replacements use control bytes as
# placeholders. A piece with one (a newline in a search term, say) is converted row by row
# in Python instead.
_CONTROL = bytes(b for b in range(0x20) if b != 0x0A)  # deleted with bytes.translate
_BACKSLASH, _QUOTE = b"\x01", b"\x02"  # placeholders for the escapes in a clean piece


def _rows_pieces(blocks: Iterable[bytes], spool: typing.BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Turn COPY "rows" lines (one per block) into JSON array items, writing the CSV lines
    of the same rows to ``spool``; yield (items joined by ",\\n", rows) about 1 MB at a time."""
    buffer = bytearray()
    rows = 0
    with _closing(blocks):
        for block in blocks:
            buffer += block
            rows += 1
            if len(buffer) >= FLUSH_BYTES:
                yield _rows_piece(bytes(buffer), rows, spool)
                buffer.clear()
                rows = 0
    if rows:
        yield _rows_piece(bytes(buffer), rows, spool)


def _rows_piece(body: bytes, rows: int, spool: typing.BinaryIO) -> tuple[bytes, int]:
    if body.count(b"\n") != rows or len(body.translate(None, _CONTROL)) != len(body):
        items, lines = _careful_rows(body.decode())
        spool.write(lines.encode())
        return items.encode(), rows
    if b"\\" not in body:  # no null, no quote or backslash in the text: nothing to change
        text = table = body
    elif body.count(b"\\") <= rows * SCANNED_BACKSLASHES:
        text, table = _unescape_by_scanning(body)
    else:
        text, table = _unescape_by_replacing(body)
    spool.write(table)
    return b"[" + text[:-1].replace(b"\n", b"],\n[") + b"]", rows


def _unescape_by_scanning(body: bytes) -> tuple[bytes, bytes]:
    """(JSON text, CSV text) of a clean piece, going from backslash to backslash: each one
    starts an escape (\\\\ or \\") or is a null. Fast when backslashes are few."""
    text: list[bytes] = []
    table: list[bytes] = []
    find = body.find
    i = 0
    while (j := find(b"\\", i)) != -1:
        before = body[i:j]
        escaped = body[j + 1]
        if escaped == 0x5C:  # \\
            text += (before, b"\\\\")
            table += (before, b"\\")
            i = j + 2
        elif escaped == 0x22:  # \"
            text += (before, b'\\"')
            table += (before, b'""')
            i = j + 2
        else:  # a null, followed by "," or the line end
            text += (before, b"null")
            table.append(before)
            i = j + 1
    text.append(body[i:])
    table.append(body[i:])
    return b"".join(text), b"".join(table)


def _unescape_by_replacing(body: bytes) -> tuple[bytes, bytes]:
    """The same with bytes.replace: each escape is a pair (\\\\ or \\"), found whole from
    left to right, and a backslash left over is a null. Fast when backslashes are many."""
    escaped = body.replace(b"\\\\", _BACKSLASH).replace(b'\\"', _QUOTE)
    text = escaped.replace(b"\\", b"null").replace(_QUOTE, b'\\"').replace(_BACKSLASH, b"\\\\")
    table = escaped.replace(b"\\", b"").replace(_QUOTE, b'""').replace(_BACKSLASH, b"\\")
    return text, table


def _careful_rows(piece: str) -> tuple[str, str]:
    """Whole "rows" lines as JSON array items and CSV lines, parsed the slow and careful
    way (a quoted value may hold a newline)."""
    items, lines = [], []
    values: list[str] = []
    cells: list[str] = []
    i, end = 0, len(piece)
    while i < end:
        if piece[i] == '"':
            i += 1
            chars = []
            while piece[i] != '"':
                if piece[i] == "\\":
                    i += 1
                chars.append(piece[i])
                i += 1
            text = "".join(chars)
            values.append(json.dumps(text, ensure_ascii=False))
            cells.append('"' + text.replace('"', '""') + '"')
            i += 1
        else:
            stop = i
            while piece[stop] not in ",\n":
                stop += 1
            text = piece[i:stop]
            null = text == "\\"
            values.append("null" if null else text)
            cells.append("" if null else text)
            i = stop
        if piece[i] == "\n":  # the end of the row
            items.append("[" + ",".join(values) + "]")
            lines.append(",".join(cells) + "\n")
            values, cells = [], []
        i += 1  # the comma, or the line end
    return ",\n".join(items), "".join(lines)


def _fetch_chunks(source: Source, queryset: models.QuerySet) -> Iterator[list[tuple]]:
    """Rows as tuples in chunks; many-to-many columns filled by one extra query per chunk."""
    plain = [c for c in source.columns if c.kind != LIST]
    lists = [c for c in source.columns if c.kind == LIST]
    positions = {c.key: i for i, c in enumerate(plain)}
    chunk: list[tuple] = []

    def complete(rows: list[tuple]) -> list[tuple]:
        if not lists:
            return rows
        pks = [row[0] for row in rows]
        extra: dict[str, dict] = {}
        for column in lists:
            values: dict = {pk: [] for pk in pks}
            pairs = source.model._default_manager.filter(pk__in=pks).values_list(
                "pk", column.lookup
            )
            for pk, value in pairs.order_by("pk", column.lookup):
                if value is not None:
                    values[pk].append(value)
            extra[column.key] = values
        done = []
        for row in rows:
            done.append(
                tuple(
                    extra[c.key][row[0]] if c.kind == LIST else row[positions[c.key]]
                    for c in source.columns
                )
            )
        return done

    for row in queryset.values_list(*[c.lookup for c in plain]).iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) >= CHUNK_SIZE:
            yield complete(chunk)
            chunk = []
    if chunk:
        yield complete(chunk)


# --- Writing the ZIP ----------------------------------------------------------------------------


class _Entry:
    """One ZIP entry opened for writing, compressed by a helper thread.

    Bytes are collected into ~1 MB pieces and handed over a small queue (at most
    ``QUEUED_PIECES`` in flight, so memory stays bounded) to a thread that checksums,
    compresses and writes them. zlib releases the GIL, so compressing one piece overlaps
    with reading the next rows from the database. Only that thread touches the archive
    until the entry is closed; entries are written one after another. The thread starts
    with the first full piece: an entry smaller than that (most of them) is written when
    it is closed, without one.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str | zipfile.ZipInfo):
        self._raw = archive.open(name, "w", force_zip64=True)
        self._buffer = bytearray()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_PIECES)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _drain(self) -> None:
        while (piece := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._raw.write(piece)
                except BaseException as error:  # reported by the writing thread
                    self._error = error

    def _hand_over(self, piece: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self._thread = threading.Thread(target=self._drain, name="export-zip", daemon=True)
            self._thread.start()
        self._queue.put(piece)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._buffer and len(data) >= FLUSH_BYTES:
            self._hand_over(bytes(data))  # a big piece already: no copy when it is bytes
            return
        self._buffer += data
        if len(self._buffer) >= FLUSH_BYTES:
            self._hand_over(bytes(self._buffer))
            self._buffer.clear()

    def _finish(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()

    def close(self) -> None:
        if self._buffer:
            if self._thread is None:
                try:
                    self._raw.write(self._buffer)  # small: written here, no thread needed
                except BaseException as error:  # reported below, with the handle released
                    self._error = error
            else:
                self._hand_over(bytes(self._buffer))
            self._buffer.clear()
        self._finish()
        if self._error is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
            raise self._error
        self._raw.close()

    def __enter__(self) -> _Entry:
        return self

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is None:
            self.close()
        else:
            # The build failed and the file will be deleted: stop the thread and release the
            # archive, so that the original error is the one reported.
            self._buffer.clear()
            self._error = self._error or exc_info[1]
            self._finish()
            with contextlib.suppress(Exception):  # e.g. the disk that failed the write is full
                self._raw.close()


class _Progress:
    """Counts work done and tells the caller every ``PROGRESS_EVERY`` rows (cheaply)."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None):
        self.total = max(total, 1)
        self.done = 0
        self.records = 0
        self._reported = 0
        self._report = report

    def advance(self, rows: int, *, records: bool) -> None:
        self.done += rows
        if records:
            self.records += rows
        if self._report and self.done - self._reported >= PROGRESS_EVERY:
            self._reported = self.done
            self._report(min(99, self.done * 100 // self.total), self.records)


@dataclass
class SourceResult:
    source: Source
    count: int = 0
    preview: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class ExportSummary:
    """What one build wrote."""

    records: int
    sections: int
    files: int
    size_bytes: int
    sha256: str


def _write_records(
    entry: _Entry,
    pieces: Iterable[tuple[bytes, int]],
    result: SourceResult,
    progress: _Progress,
    keys: list[str] | None,
) -> None:
    """Write the items of a JSON array, given as pieces of items joined by ",\\n".

    JSON text never holds a raw newline, so ",\\n" only ever separates items. ``keys``
    names the values of array items (rows) for the preview in index.html.
    """
    first = True
    with _closing(pieces):
        for items, rows in pieces:
            if not rows:
                continue
            wanted = PREVIEW_ROWS - len(result.preview)
            if wanted > 0:
                for item in items.split(b",\n", wanted)[:wanted]:
                    value = json.loads(item, parse_float=Decimal)
                    result.preview.append(dict(zip(keys, value, strict=True)) if keys else value)
            entry.write((b"\n" if first else b",\n") + items)
            first = False
            result.count += rows
            progress.advance(rows, records=True)


def _write_csv(entry: _Entry, blocks: Iterable[bytes], rows: int, progress: _Progress) -> None:
    """Write CSV bytes in big pieces, advancing the progress by the lines written."""
    pending = bytearray()
    counted = 0

    def flush(data: bytes | bytearray) -> None:
        nonlocal counted
        # Lines, not rows (a quoted newline counts twice): near enough for a progress bar.
        lines = min(data.count(b"\n"), rows - counted)
        entry.write(data)
        counted += lines
        progress.advance(lines, records=False)

    with _closing(blocks):
        for block in blocks:
            if not pending and isinstance(block, bytes) and len(block) >= FLUSH_BYTES:
                flush(block)  # a big piece already (read from a spool): no copy
                continue
            pending += block
            if len(pending) >= FLUSH_BYTES:
                flush(pending)
                pending.clear()
    entry.write(pending)
    progress.advance(rows - counted, records=False)


def _line_pieces(blocks: Iterable[bytes]) -> Iterator[tuple[bytes, int]]:
    """JSON lines (one per block, as COPY sends them) as pieces of array items."""
    buffer = bytearray()
    rows = 0
    with _closing(blocks):
        for block in blocks:
            buffer += block
            rows += 1
            if len(buffer) >= FLUSH_BYTES:
                yield bytes(buffer[:-1]).replace(b"\n", b",\n"), rows
                buffer.clear()
                rows = 0
    if rows:
        yield bytes(buffer[:-1]).replace(b"\n", b",\n"), rows


def _python_pieces(
    source: Source,
    queryset: models.QuerySet,
    on_file: Callable[[Column, object, str], str],
    spool: typing.BinaryIO | None,
) -> Iterator[tuple[bytes, int]]:
    """The portable path: rows read with values_list and formatted in Python, as pieces of
    JSON items; a tabular source's CSV lines go to ``spool`` in the same pass."""
    columns = source.columns
    cell_writers = [_cell_writer(c.kind) for c in columns]
    json_writers = [_json_writer(c.kind) for c in columns]
    prefixes = [json.dumps(c.key) + ":" for c in columns]
    files = [i for i, c in enumerate(columns) if c.kind == FILE]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for rows in _fetch_chunks(source, queryset):
        items = []
        for row in rows:
            if files:  # stored files: copied into the ZIP, written as their path there
                row = list(row)
                for i in files:
                    row[i] = on_file(columns[i], row[0], row[i]) if row[i] else None
            cells = [write(value) for write, value in zip(cell_writers, row, strict=True)]
            values = [
                write(value, cell)
                for write, value, cell in zip(json_writers, row, cells, strict=True)
            ]
            if source.tabular:
                items.append("[" + ",".join(values) + "]")
            else:
                items.append("{" + ",".join(map(str.__add__, prefixes, values)) + "}")
            if spool is not None:
                writer.writerow(cells)
        if spool is not None:
            spool.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
        yield ",\n".join(items).encode(), len(items)


def _one_pass(source: Source, queryset: models.QuerySet) -> bool:
    """Whether the source's CSV is written from the same read as its JSON (else re-read)."""
    return source.tabular and (not _use_copy(source, queryset) or _plain(source))


def _json_pieces(
    source: Source, queryset, count: int, on_file, spool: typing.BinaryIO | None
) -> Iterable[tuple[bytes, int]]:
    """The source's rows as JSON items, rendered by PostgreSQL or by Python; with ``spool``,
    their CSV lines are written there in the same pass."""
    if not count:
        return ()  # nothing to read (and an empty ``pk__in=[]`` query cannot be compiled)
    if _use_copy(source, queryset):
        if spool is not None:
            blocks = _copy_blocks(queryset, *_copy_statement(source, queryset, "rows"))
            return _rows_pieces(blocks, spool)
        return _line_pieces(_copy_blocks(queryset, *_copy_statement(source, queryset, "json")))
    return _python_pieces(source, queryset, on_file, spool)


def _csv_header(source: Source) -> bytes:
    return (",".join(c.key for c in source.columns) + "\n").encode()  # keys are identifiers


def _csv_blocks(source: Source, queryset, count: int) -> Iterable[bytes]:
    """CSV of a source whose rows the JSON pass did not write to a spool: a second COPY."""
    if not count:
        return (_csv_header(source),)
    return _copy_blocks(queryset, *_copy_statement(source, queryset, "csv"))


def _file_path(source: Source, column: Column, pk, stored_name: str) -> str:
    extension = PurePosixPath(str(stored_name)).suffix.lower()
    return f"files/{source.section}/{column.field_name}-{pk}{extension}"


def _json_header(**fields) -> bytes:
    return (
        "{"
        + ", ".join(
            f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()
        )
    ).encode()


def _write_section(
    archive: zipfile.ZipFile,
    section: Section,
    user,
    *,
    generated_at: str,
    progress: _Progress,
    bounded: dict[str, tuple[models.QuerySet, int]],
    spool_dir: Path,
) -> list[SourceResult]:
    results = []
    pending_files: list[tuple[SourceResult, str, object, str]] = []  # (result, path, storage, name)
    with contextlib.ExitStack() as cleanup:
        # CSV lines written during the JSON pass wait in anonymous temporary files (next to
        # the export, removed when closed): a ZIP is written one entry at a time.
        spools: dict[str, typing.BinaryIO] = {}
        with _Entry(archive, section.json_name) as entry:
            entry.write(
                _json_header(
                    schema_version=SCHEMA_VERSION,
                    section=section.key,
                    title=section.title,
                    generated_at=generated_at,
                )
                + b', "sources": ['
            )
            for i, source in enumerate(section.sources):
                queryset, count = bounded[source.label]
                result = SourceResult(source)

                def on_file(column: Column, pk, stored_name, source=source, result=result) -> str:
                    path = _file_path(source, column, pk, stored_name)
                    storage = source.model._meta.get_field(column.field_name).storage
                    pending_files.append((result, path, storage, stored_name))
                    return path

                spool = None
                if count and _one_pass(source, queryset):
                    spool = cleanup.enter_context(tempfile.TemporaryFile(dir=spool_dir))
                    spool.write(_csv_header(source))
                    spools[source.label] = spool
                head = b'{"model": ' + json.dumps(source.label).encode()
                if source.tabular:
                    keys = [c.key for c in source.columns]
                    head += b', "fields": ' + json.dumps(keys).encode() + b', "rows": ['
                else:
                    keys = None
                    head += b', "records": ['
                entry.write((b"\n" if i == 0 else b",\n") + head)
                pieces = _json_pieces(source, queryset, count, on_file, spool)
                _write_records(entry, pieces, result, progress, keys)
                entry.write(b'\n], "record_count": ' + str(result.count).encode() + b"}")
                results.append(result)
            entry.write(b"\n]}\n")

        for result in results:
            source = result.source
            if not source.tabular:
                continue
            queryset, count = bounded[source.label]
            spool = spools.get(source.label)
            if spool is None:
                blocks = _csv_blocks(source, queryset, count)
            else:
                spool.seek(0)
                blocks = iter(lambda spool=spool: spool.read(FLUSH_BYTES), b"")
            with _Entry(archive, source.csv_name) as entry:
                _write_csv(entry, blocks, result.count, progress)

    # Files after the JSON entry is closed: a ZIP is written one entry at a time.
    for result, path, storage, stored_name in pending_files:
        try:
            with storage.open(stored_name, "rb") as stored:
                info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
                info.compress_type = zipfile.ZIP_STORED  # photos are compressed already
                info.external_attr = 0o600 << 16
                with archive.open(info, "w", force_zip64=True) as target:
                    shutil.copyfileobj(stored, target, FLUSH_BYTES)
            result.files.append(path)
        except FileNotFoundError:
            logger.warning("privacy.export_file_missing member_id=%s path=%s", user.pk, path)
    return results


def write_export(
    user,
    path: str | os.PathLike,
    *,
    report: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    declarations: Registry = registry,
) -> ExportSummary:
    """Write the ZIP of ``user``'s data to ``path`` (created with mode 0600, overwritten).

    ``report(percent, records)`` is called every ``PROGRESS_EVERY`` rows. Runs in the
    member's language. Reads only; the caller owns the file's name and its fate on failure.
    """
    now = now or timezone.now()
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        sections = plan(declarations)
        bounded: dict[str, tuple[models.QuerySet, int]] = {}
        total = 0
        for section in sections:
            for source in section.sources:
                bounded[source.label] = _bounded(source, user)
                count = bounded[source.label][1]
                total += count * (2 if source.tabular else 1)
        progress = _Progress(total, report)
        generated_at = iso_datetime(now)

        descriptor = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w+b") as raw:
            with zipfile.ZipFile(
                raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
            ) as archive:
                results: list[SourceResult] = []
                for section in sections:
                    results.extend(
                        _write_section(
                            archive,
                            section,
                            user,
                            generated_at=generated_at,
                            progress=progress,
                            bounded=bounded,
                            spool_dir=Path(path).parent,
                        )
                    )
                schema = _schema(sections, results, user=user, generated_at=generated_at)
                text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
                archive.writestr("schema.json", text)
                context = _index_context(
                    sections, results, archive, user=user, now=now, schema=schema
                )
                index = render_to_string("privacy/export_index.html", context)
                archive.writestr("index.html", index)
                readme = render_text("privacy/export_readme.txt", context)
                archive.writestr("README.txt", readme)
            # On disk, central directory included, before anyone renames it "ready".
            raw.flush()
            os.fsync(raw.fileno())
        size = os.path.getsize(path)
        records = sum(r.count for r in results)
        files = sum(len(r.files) for r in results)
    return ExportSummary(
        records=records, sections=len(sections), files=files, size_bytes=size, sha256=_sha256(path)
    )


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stored:
        for piece in iter(lambda: stored.read(FLUSH_BYTES), b""):
            digest.update(piece)
    return digest.hexdigest()


# --- schema.json and index.html ----------------------------------------------------------------


def _purpose(policy: ModelPolicy) -> dict | None:
    purpose = policy.purpose
    if purpose is None:
        return None
    return {
        "key": purpose.key,
        "label": str(purpose.label),
        "legal_basis": str(purpose.legal_basis),
        "legal_basis_label": str(purpose.legal_basis.label),
    }


def _recipients(policy: ModelPolicy) -> list[dict]:
    found = []
    for key in policy.recipients:
        recipient = recipients_register.RECIPIENTS.get(key)
        if recipient is None:
            continue
        found.append(
            {
                "key": key,
                "name": str(recipient.name),
                "purpose": str(recipient.purpose),
                "countries": recipient.countries,
            }
        )
    return found


def _schema(sections: list[Section], results: list[SourceResult], *, user, generated_at) -> dict:
    by_label = {r.source.label: r for r in results}
    described = []
    for section in sections:
        sources = []
        for source in section.sources:
            result = by_label[source.label]
            policy = source.policy
            sources.append(
                {
                    "model": source.label,
                    "description": str(policy.description or ""),
                    "record_count": result.count,
                    "csv": source.csv_name or None,
                    "layout": "rows" if source.tabular else "records",
                    "purpose": _purpose(policy),
                    "retention": str(inventory.retention_text(policy)),
                    "erasure": str(inventory.erasure_text(policy)),
                    "recipients": _recipients(policy),
                    "fields": [
                        {
                            "key": c.key,
                            "label": c.label,
                            "type": c.kind,
                            "category": str(c.category) if c.category else None,
                            **({"choices": dict(c.choices)} if c.choices else {}),
                        }
                        for c in source.columns
                    ],
                    "files": result.files,
                }
            )
        described.append(
            {
                "key": section.key,
                "title": section.title,
                "json": section.json_name,
                "categories": [str(c) for c in section.categories()],
                "sources": sources,
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "format": "marquee-member-export",
        "generated_at": generated_at,
        "language": translation.get_language(),
        "member_id": user.pk,
        "conventions": {
            "encoding": "UTF-8",
            "datetimes": "ISO 8601 with UTC offset, e.g. 2026-11-22T18:30:00.25+00:00",
            "dates": "ISO 8601, e.g. 2026-11-22",
            "decimals": "JSON numbers; CSV plain decimal text",
            "booleans": "true / false (also in CSV)",
            "null": "JSON null; empty CSV cell",
            "withheld": WITHHELD,
            "csv": "RFC 4180, comma-separated, header row of keys, LF line ends",
            "layout": (
                'a table ("layout": "rows") has "fields", its keys in order, and "rows", '
                'one array of values per record; other sources have "records", one object '
                "per record"
            ),
        },
        "categories": {
            str(c): {"label": str(c.label), "description": str(c.description)} for c in Category
        },
        "sections": described,
    }


def _display(column: Column, value) -> str:
    """A value as index.html shows it: labels for codes, dates in the member's language."""
    if value is None or value == "":
        return "—"
    if column.choices and isinstance(value, str):
        return dict(column.choices).get(value, value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if column.kind == DATETIME and isinstance(value, str):
        moment = timezone.localtime(datetime.fromisoformat(value))
        return formats.date_format(moment, "DATETIME_FORMAT")
    if column.kind == DATE and isinstance(value, str):
        return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _human_size(size: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(size))


def _index_context(sections, results, archive, *, user, now, schema) -> dict:
    by_label = {r.source.label: r for r in results}
    schema_sources = {s["model"]: s for section in schema["sections"] for s in section["sources"]}
    rendered = []
    for section in sections:
        sources = []
        for source in section.sources:
            result = by_label[source.label]
            policy = source.policy
            columns = source.columns
            sources.append(
                {
                    "label": source.label,
                    "description": policy.description,
                    "count": result.count,
                    "purpose": policy.purpose,
                    "retention": inventory.retention_text(policy),
                    "erasure": inventory.erasure_text(policy),
                    "recipients": schema_sources[source.label]["recipients"],
                    "categories": [c.label for c in source.categories()],
                    "columns": columns,
                    "preview": [
                        [_display(c, record.get(c.key)) for c in columns]
                        for record in result.preview
                    ],
                    "csv": source.csv_name,
                    "csv_size": _human_size(archive.getinfo(source.csv_name).file_size)
                    if source.csv_name
                    else "",
                    "images": [p for p in result.files if p.endswith((".jpg", ".jpeg", ".png"))],
                    "files": result.files,
                }
            )
        rendered.append(
            {
                "key": section.key,
                "title": section.title,
                "json": section.json_name,
                "json_size": _human_size(archive.getinfo(section.json_name).file_size),
                "categories": [c.label for c in section.categories()],
                "sources": sources,
                "count": sum(s["count"] for s in sources),
            }
        )
    return {
        "sections": rendered,
        "generated_at": now,
        "site_name": settings.SITE_NAME,
        "member": user,
        "records": sum(r.count for r in results),
        "schema_version": SCHEMA_VERSION,
        "preview_rows": PREVIEW_ROWS,
        "withheld": WITHHELD,
        "language": translation.get_language(),
        "ttl_days": app_settings.EXPORT_TTL.days,
    }


# --- Requesting, building, expiring -------------------------------------------------------------


def export_dir() -> Path:
    """The private folder of export files (created 0700 on first use)."""
    directory = Path(app_settings.EXPORT_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def running_export(user) -> DataExport | None:
    """The member's export that is queued or being built, if any."""
    return DataExport.objects.filter(user=user, status__in=RUNNING).order_by("-created_at").first()


def exports_of(user) -> models.QuerySet:
    return DataExport.objects.filter(user=user).order_by("-created_at")


def request_export(user, *, privacy_request: PrivacyRequest | None = None) -> DataExport:
    """Start building a copy of ``user``'s data, or return the one already on its way.

    Records the right exercised as a self-service export request, unless a staff-handled
    request (access or export) is given. The build is enqueued when the transaction commits.
    """
    from privacy import tasks

    with transaction.atomic():
        # One member's requests are serialized, so two clicks never start two builds.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        running = running_export(user)
        if running is not None:
            return running
        if privacy_request is None:
            privacy_request = request_service.open_request(
                PrivacyRequest.Type.EXPORT, user=user, self_service=True
            )
        data_export = DataExport.objects.create(user=user, request=privacy_request)
        transaction.on_commit(lambda: tasks.build_export.delay(data_export.pk))
    logger.info("privacy.export_requested export_id=%s member_id=%s", data_export.pk, user.pk)
    return data_export


def _claim(export_id: int, now: datetime) -> tuple[DataExport, int] | None:
    """Take ``export_id`` for building: queued, or building but stale. None if not ours."""
    with transaction.atomic():
        data_export = (
            DataExport.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=export_id)
            .first()
        )
        if data_export is None:
            return None
        stale = (
            data_export.status == Status.BUILDING
            and data_export.started_at is not None
            and data_export.started_at < now - STALE_AFTER
        )
        if data_export.status != Status.QUEUED and not stale:
            return None
        if data_export.attempts >= MAX_ATTEMPTS:
            data_export.status = Status.FAILED
            data_export.finished_at = now
            data_export.error = data_export.error or "gave_up"
            data_export.save(update_fields=["status", "finished_at", "error"])
            logger.error("privacy.export_gave_up export_id=%s", data_export.pk)
            return None
        data_export.status = Status.BUILDING
        data_export.started_at = now
        data_export.attempts += 1
        data_export.progress = 0
        data_export.rows_written = 0
        data_export.error = ""
        data_export.save(
            update_fields=["status", "started_at", "attempts", "progress", "rows_written", "error"]
        )
    return data_export, data_export.attempts


class _Cancelled(Exception):
    """The export stopped being ours while it was built (deleted, or taken over)."""


def build_export(export_id: int, *, now: datetime | None = None) -> DataExport | None:
    """Build a claimed export from scratch; idempotent (a ready or running one is left alone).

    On success the export is ready, audited, its request completed and its member emailed,
    all in one transaction. On failure the attempt's file is removed, the export goes back
    to the queue (or fails after ``MAX_ATTEMPTS``) and the exception propagates.
    """
    now = now or timezone.now()
    claimed = _claim(export_id, now)
    if claimed is None:
        return None
    data_export, attempt = claimed
    directory = export_dir()
    for leftover in directory.glob(f"{data_export.public_id}.*.part"):
        leftover.unlink(missing_ok=True)  # an earlier attempt that died mid-way
    part = directory / f"{data_export.public_id}.{attempt}.part"
    final = directory / f"{data_export.public_id}-{attempt}.zip"
    mine = Q(pk=data_export.pk, status=Status.BUILDING, attempts=attempt)

    def report(percent: int, records: int) -> None:
        if not DataExport.objects.filter(mine).update(progress=percent, rows_written=records):
            raise _Cancelled

    logger.info("privacy.export_started export_id=%s attempt=%s", data_export.pk, attempt)
    try:
        summary = write_export(data_export.user, part, report=report, now=now)
        os.replace(part, final)
        finished = timezone.now()
        with transaction.atomic():
            done = DataExport.objects.filter(mine).update(
                status=Status.READY,
                progress=100,
                rows_written=summary.records,
                file_name=final.name,
                size_bytes=summary.size_bytes,
                sha256=summary.sha256,
                finished_at=finished,
                expires_at=finished + app_settings.EXPORT_TTL,
                error="",
            )
            if not done:
                raise _Cancelled
            data_export.refresh_from_db()
            audit.record(
                audit.Action.EXPORT_BUILT,
                actor=None,
                subject=data_export.user_id,
                target=data_export,
                records=summary.records,
                size_bytes=summary.size_bytes,
            )
            if not _complete_request(data_export):
                _send_ready_email(data_export)
    except _Cancelled:
        part.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        logger.info("privacy.export_cancelled export_id=%s attempt=%s", data_export.pk, attempt)
        return None
    except Exception as error:
        part.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        DataExport.objects.filter(mine).update(
            status=Status.FAILED if attempt >= MAX_ATTEMPTS else Status.QUEUED,
            error=type(error).__name__[:300],
            finished_at=timezone.now() if attempt >= MAX_ATTEMPTS else None,
        )
        logger.exception("privacy.export_failed export_id=%s attempt=%s", data_export.pk, attempt)
        raise
    logger.info(
        "privacy.export_ready export_id=%s records=%s bytes=%s",
        data_export.pk,
        summary.records,
        summary.size_bytes,
    )
    return data_export


def _complete_request(data_export: DataExport) -> bool:
    """Complete the request the export answers; return whether its email carried the link.

    A self-service export completes silently (the "ready" email follows). A request staff
    answered with the export ("Build the export" in the queue) is completed too, and its
    completion email is the one that links to the download in the privacy center. One whose
    requester's identity is still unchecked only gets a note for staff.
    """
    req = data_export.request
    if req is None or not req.is_open:
        return False
    if req.self_service:
        request_service.complete(req, actor=None)
        return False
    request_service.add_note(req, actor=None, note=f"export #{data_export.pk} ready")
    unverified = req.verification == PrivacyRequest.Verification.PENDING
    if unverified or req.user_id != data_export.user_id:
        return False
    request_service.complete(
        req,
        actor=None,
        email_context={
            "download_url": download_url(data_export),
            "export_page_url": settings.SITE_URL + reverse("privacy:export"),
            "expires_at": data_export.expires_at,
        },
    )
    return True


def download_token(data_export: DataExport) -> str:
    return signing.dumps(str(data_export.public_id), salt=DOWNLOAD_SALT)


def download_path(data_export: DataExport) -> str:
    return reverse("privacy:export_download", args=[download_token(data_export)])


def download_url(data_export: DataExport) -> str:
    return settings.SITE_URL + download_path(data_export)


def download_name(data_export: DataExport) -> str:
    """The file name the browser saves: the site and the date, nothing about the member."""
    site = re.sub(r"[^a-z0-9]+", "-", settings.SITE_NAME.lower()).strip("-") or "export"
    day = timezone.localdate(data_export.finished_at or data_export.created_at)
    return f"{site}-data-{day.isoformat()}.zip"


def _send_ready_email(data_export: DataExport) -> None:
    user = data_export.user
    send_templated_email(
        "privacy_export_ready",
        to=user.email,
        language=user.preferred_language,
        context={
            "export": data_export,
            "download_url": download_url(data_export),
            "export_page_url": settings.SITE_URL + reverse("privacy:export"),
            "expires_at": data_export.expires_at,
        },
    )


def export_for_token(token: str, *, user) -> DataExport | None:
    """The export a download link names, if it belongs to ``user``; None otherwise.

    Raises LinkExpired for a genuine link older than the export lifetime.
    """
    try:
        value = signing.loads(token, salt=DOWNLOAD_SALT, max_age=app_settings.EXPORT_TTL)
        public_id = uuid.UUID(str(value))
    except signing.SignatureExpired as expired:
        raise LinkExpired from expired
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return DataExport.objects.filter(public_id=public_id, user=user).first()


def is_downloadable(data_export: DataExport, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        data_export.status == Status.READY
        and data_export.expires_at is not None
        and data_export.expires_at > now
        and bool(data_export.file_name)
    )


def file_path(data_export: DataExport) -> Path:
    """Where a ready export's file is; only ever inside the export folder."""
    name = Path(data_export.file_name).name
    if not name or name != data_export.file_name:
        raise ExportError(f"export #{data_export.pk} has no valid file name")
    return export_dir() / name


def remove_files(exports) -> int:
    """Delete the files of the ``exports`` queryset (never outside the export folder)."""
    removed = 0
    for data_export in exports.exclude(file_name="").only("pk", "file_name"):
        try:
            path = file_path(data_export)
        except ExportError:
            logger.warning("privacy.export_bad_file_name export_id=%s", data_export.pk)
            continue
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def record_download(data_export: DataExport, *, actor) -> None:
    with transaction.atomic():
        DataExport.objects.filter(pk=data_export.pk).update(downloaded_at=timezone.now())
        audit.record(
            audit.Action.EXPORT_DOWNLOADED,
            actor=actor,
            subject=data_export.user_id,
            target=data_export,
        )


def stale_exports(*, now: datetime | None = None) -> list[int]:
    """Ids of exports a lost task message or a killed worker left queued or building."""
    now = now or timezone.now()
    return list(
        DataExport.objects.filter(
            Q(status=Status.QUEUED, created_at__lt=now - QUEUED_GRACE)
            | Q(status=Status.BUILDING, started_at__lt=now - STALE_AFTER)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def expire_exports(*, now: datetime | None = None) -> int:
    """Delete the files of exports past ``expires_at`` and mark them expired; return how many.

    Also removes half-written files that no running build owns. Safe to run twice or
    concurrently: each export is switched by a conditional update before its file goes.
    """
    now = now or timezone.now()
    expired = 0
    due = DataExport.objects.filter(status=Status.READY, expires_at__lte=now).order_by("pk")
    for data_export in due.iterator():
        switched = DataExport.objects.filter(pk=data_export.pk, status=Status.READY).update(
            status=Status.EXPIRED
        )
        if not switched:
            continue
        if data_export.file_name:
            try:
                file_path(data_export).unlink(missing_ok=True)
            except ExportError:
                logger.warning("privacy.export_bad_file_name export_id=%s", data_export.pk)
        expired += 1
        logger.info("privacy.export_expired export_id=%s", data_export.pk)
    _remove_orphans(now)
    return expired


def _remove_orphans(now: datetime) -> None:
    directory = export_dir()
    building = {
        str(public_id)
        for public_id in DataExport.objects.filter(status=Status.BUILDING).values_list(
            "public_id", flat=True
        )
    }
    cutoff = (now - STALE_AFTER * 2).timestamp()
    for part in directory.glob("*.part"):
        public_id = part.name.split(".", 1)[0]
        if public_id not in building and part.stat().st_mtime < cutoff:
            part.unlink(missing_ok=True)


def progress_of(data_export: DataExport) -> dict:
    """What the export page and its polling script show about one export."""
    ready = is_downloadable(data_export)
    return {
        "id": str(data_export.public_id),
        "status": data_export.status,
        "status_label": str(data_export.get_status_display()),
        "progress": 100 if data_export.status == Status.READY else data_export.progress,
        "rows_written": data_export.rows_written,
        "running": data_export.status in RUNNING,
        "ready": ready,
        "download_url": download_path(data_export) if ready else None,
        "expires_at": data_export.expires_at.isoformat() if data_export.expires_at else None,
    }
