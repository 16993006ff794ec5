"""Proof that nothing of an erased member remains: ``manage.py forget_check``.

The check does not trust the registry (that is what it verifies): it searches every
text-like column of every table (found by database introspection, so tables the registry
does not know are searched too), every cache entry (key and value), the media and export
folders (file names and contents, ZIP members included) and the usage-event buffer, for
the member's identifiers, and reports where it found them as ``table.column: N rows`` —
never the values.

Identifiers: the email addresses (and their unsalted SHA-256, which is how rate limits
name an address in the cache), the phone number, names and username given by the
operator, and — only where it cannot be confused with something else — the old account
id: in foreign-key columns that point at the user model and in the cache keys and buffered
events that are keyed by account id. Searches are case-insensitive substring matches.

Tolerated (documented in docs/erasure.md): the final "your account was erased" email
waiting in the outbox for up to ``PRIVACY_ERASURE_NOTICE_WINDOW``.

The erasure engine uses :func:`purge_cache` and :func:`purge_celery_results` from here,
so that what the check looks for and what the erasure removes cannot drift apart.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from privacy.app_settings import app_settings

logger = logging.getLogger(__name__)

# Django field types (as database introspection names them) whose columns hold text.
TEXT_TYPES = {"CharField", "TextField", "JSONField", "EmailField", "SlugField", "URLField"}
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CACHE_ITEMS = 100_000  # per Redis list, hash or set


@dataclass
class Identifiers:
    """What to look for. ``texts`` are matched case-insensitively as substrings."""

    texts: list[str] = field(default_factory=list)
    user_id: int | None = None
    cache_markers: list[str] = field(default_factory=list)  # substrings of cache key names
    files: list[str] = field(default_factory=list)  # storage names that must be gone
    hashes: set[str] = field(default_factory=set)  # keyed hashes of email addresses

    def search_terms(self) -> list[str]:
        """Lower-cased texts plus their JSON-escaped forms (how JSON stores non-ASCII).

        The database lowers a column before comparing, but lowering "\\u0416" (Ж) leaves
        it as it is: an escaped name matches only in the case it was written. So the
        escaped forms of the text as given, lower-cased and capitalised are all searched.
        """
        terms: list[str] = []
        for text in self.texts:
            cased = (text, text.lower(), text.capitalize(), text.title())
            variants = [text.lower()] + [json.dumps(c)[1:-1].lower() for c in cased]
            for variant in variants:
                if variant and variant not in terms:
                    terms.append(variant)
        return terms


@dataclass
class Hit:
    where: str  # "db", "cache", "file", "buffer", "account"
    location: str  # table.column, cache, relative file path
    count: int

    def __str__(self) -> str:
        noun = {"db": "rows", "cache": "entries", "file": "matches"}.get(self.where, "items")
        return f"{self.where}: {self.location}: {self.count} {noun}"


@dataclass
class ForgetReport:
    identifiers: Identifiers
    hits: list[Hit] = field(default_factory=list)
    searched_tables: int = 0
    searched_columns: int = 0
    searched_cache_entries: int = 0
    searched_files: int = 0
    mode: str = "email"

    @property
    def clean(self) -> bool:
        return not self.hits


# --- Identifiers --------------------------------------------------------------------------


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hosts() -> list[str]:
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    site = urlparse(settings.SITE_URL).netloc
    if site:
        hosts.append(site)
    hosts.append("testserver")
    return list(dict.fromkeys(hosts))


def address_markers(address: str) -> list[str]:
    """How rate limits name ``address`` in cache keys: unsalted SHA-256 of it, alone or
    prefixed with the site's host (allauth's failed-sign-in key)."""
    address = address.lower()
    markers = [sha256_hex(address)]
    markers += [sha256_hex(f"{host}:{address}") for host in _hosts()]
    return markers


def user_id_markers(user_id: int) -> list[str]:
    """Cache key fragments that name an account by id (rate limits, TOTP replay guard)."""
    # Matched against the key with ":" appended, so ":user:4:" never matches ":user:42".
    return [
        f":user:{user_id}:",
        f"?user={user_id}&",
        sha256_hex(f"mfa-auth-user-{user_id}"),
    ]


def identifiers_for(
    value: str, *, phones: list[str] = (), names: list[str] = ()
) -> tuple[Identifiers, str]:
    """Build the identifiers from an email address or a tombstone id; return (ids, mode)."""
    from privacy.models import ErasureJob, ErasureJournal
    from privacy.services import suppression

    value = (value or "").strip()
    idents = Identifiers()
    job = None
    try:
        tombstone = uuid.UUID(value)
    except ValueError:
        tombstone = None
    if tombstone is not None:
        mode = "tombstone"
        job = ErasureJob.objects.filter(tombstone=tombstone).first()
        entry = ErasureJournal.objects.filter(tombstone=tombstone).first()
        if job is None and entry is None:
            raise LookupError("No erasure with this tombstone id.")
        if entry is not None:
            idents.hashes |= entry.email_hashes
        if job is not None:
            idents.hashes |= set(job.email_hashes)
    else:
        if "@" not in value:
            raise ValueError("Give an email address or a tombstone id.")
        mode = "email"
        address = value.lower()
        idents.texts.append(address)
        idents.texts.append(sha256_hex(address))
        idents.cache_markers += address_markers(address)
        email_hash = suppression.hash_value(channel=suppression.EMAIL, value=address)
        idents.hashes.add(email_hash)
        entry = ErasureJournal.objects.filter(email_hash=email_hash).order_by("-erased_at").first()
        if entry is None:
            entry = ErasureJournal.objects.filter(other_hashes__contains=email_hash).first()
        if entry is not None:
            job = ErasureJob.objects.filter(tombstone=entry.tombstone).first()
        # A member who still exists: everything the account says about them is looked for.
        user = get_user_model().objects.filter(email__iexact=address).first()
        if user is not None:
            idents.user_id = user.pk
            for extra in (user.username, str(user.phone or "")):
                if extra:
                    idents.texts.append(extra)
            full_name = " ".join(p for p in (user.first_name, user.last_name) if p)
            if full_name:
                idents.texts.append(full_name)
    if job is not None:
        idents.user_id = idents.user_id or job.user_id
        idents.files += list(job.state.get("files", []))
    for phone in phones:
        if phone:
            idents.texts.append(phone)
            idents.texts.append(phone.lstrip("+"))
    idents.texts += [n for n in names if n]
    if idents.user_id is not None:
        idents.cache_markers += user_id_markers(idents.user_id)
    idents.texts = list(dict.fromkeys(idents.texts))
    return idents, mode


# --- Database -----------------------------------------------------------------------------


def _text_columns(cursor, table: str) -> list[str]:
    introspection = connection.introspection
    columns = []
    for info in introspection.get_table_description(cursor, table):
        try:
            kind = introspection.get_field_type(info.type_code, info)
        except KeyError:
            continue
        if kind in TEXT_TYPES:
            columns.append(info.name)
    return columns


def _tolerated(table: str) -> tuple[str, list]:
    """SQL condition (and params) of rows the check tolerates in ``table``, or ("", [])."""
    from cinema.models import OutboundEmail
    from privacy.services.erasure import NOTICE_HEADER, NOTICE_VALUE

    if table != OutboundEmail._meta.db_table:
        return "", []
    qn = connection.ops.quote_name
    since = timezone.now() - app_settings.ERASURE_NOTICE_WINDOW
    # The final email of an erasure, waiting for delivery (its header marks it).
    marker = f"%{NOTICE_HEADER.lower()}%{NOTICE_VALUE}%"
    condition = f"LOWER(CAST({qn('payload')} AS TEXT)) LIKE %s AND {qn('created_at')} >= %s"
    return condition, [marker, since]


def _like(term: str) -> str:
    escaped = term.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def scan_database(idents: Identifiers, report: ForgetReport) -> None:
    """Count, per text-like column of every table, the rows that contain an identifier."""
    qn = connection.ops.quote_name
    terms = idents.search_terms()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in sorted(tables):
            columns = _text_columns(cursor, table)
            report.searched_tables += 1
            if not columns or not terms:
                continue
            report.searched_columns += len(columns)
            selects, params = [], []
            for column in columns:
                text = f"LOWER(CAST({qn(column)} AS TEXT))"
                condition = " OR ".join(f"{text} LIKE %s ESCAPE '!'" for _ in terms)
                selects.append(f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)")
                params += [_like(t) for t in terms]
            sql = f"SELECT {', '.join(selects)} FROM {qn(table)}"  # noqa: S608 - quoted names
            tolerated, tolerated_params = _tolerated(table)
            if tolerated:
                sql += f" WHERE NOT ({tolerated})"
                params += tolerated_params
            cursor.execute(sql, params)
            counts = cursor.fetchone()
            for column, count in zip(columns, counts, strict=True):
                if count:
                    report.hits.append(Hit("db", f"{table}.{column}", int(count)))
    if idents.user_id is not None:
        _scan_user_links(idents.user_id, report)
    _scan_hashes(idents, report)


def _scan_user_links(user_id: int, report: ForgetReport) -> None:
    """Rows still linked to the account id, through foreign keys to the user model."""
    from django.apps import apps

    User = get_user_model()
    if User._default_manager.filter(pk=user_id).exists():
        report.hits.append(Hit("account", f"{User._meta.db_table} (the account itself)", 1))
    for model in apps.get_models(include_auto_created=True):
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is User:
                count = model._default_manager.filter(**{model_field.attname: user_id}).count()
                if count:
                    location = f"{model._meta.db_table}.{model_field.column}"
                    report.hits.append(Hit("db", location, count))


def _scan_hashes(idents: Identifiers, report: ForgetReport) -> None:
    """Accounts whose email address hashes to the erased member's (a restore brought back)."""
    from allauth.account.models import EmailAddress

    from privacy.services import suppression

    if not idents.hashes:
        return
    User = get_user_model()
    found = 0
    emails = User._default_manager.values_list("email", flat=True).iterator(2000)
    for email in emails:
        try:
            if suppression.hash_value(channel=suppression.EMAIL, value=email) in idents.hashes:
                found += 1
        except ValueError:
            continue
    for email in EmailAddress.objects.values_list("email", flat=True).iterator(2000):
        try:
            if suppression.hash_value(channel=suppression.EMAIL, value=email) in idents.hashes:
                found += 1
        except ValueError:
            continue
    if found:
        report.hits.append(Hit("account", "addresses matching the erased member's hashes", found))


# --- Cache --------------------------------------------------------------------------------


def _redis_client(cache):
    client = getattr(cache, "_cache", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client else None


def _redis_entries(client, *, match: str = "*") -> Iterator[tuple[str, bytes]]:
    """(key, value bytes) of every Redis key matching ``match``; containers concatenated."""
    for raw_key in client.scan_iter(match=match, count=1000):
        key = raw_key.decode("utf-8", "replace") if isinstance(raw_key, bytes) else str(raw_key)
        kind = client.type(raw_key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            value = client.get(raw_key) or b""
        elif kind == "list":
            value = b"\n".join(client.lrange(raw_key, 0, MAX_CACHE_ITEMS))
        elif kind == "hash":
            value = b"\n".join(k + b"=" + v for k, v in client.hgetall(raw_key).items())
        elif kind == "set":
            value = b"\n".join(client.smembers(raw_key))
        elif kind == "zset":
            value = b"\n".join(client.zrange(raw_key, 0, MAX_CACHE_ITEMS))
        else:
            value = b""
        yield key, value


def cache_entries(alias: str = "default") -> Iterator[tuple[str, bytes]]:
    """Every entry of a cache as (key, raw value bytes), for the backends we run on."""
    cache = caches[alias]
    client = _redis_client(cache)
    if client is not None:
        yield from _redis_entries(client)
        return
    store = getattr(cache, "_cache", None)
    lock = getattr(cache, "_lock", None)
    if isinstance(store, dict):  # local memory
        if lock is not None:
            with lock:
                items = list(store.items())
        else:
            items = list(store.items())
        for key, value in items:
            yield str(key), value if isinstance(value, bytes) else str(value).encode()
        return
    directory = getattr(cache, "_dir", None)
    if directory:  # file based
        for path in Path(directory).glob("*"):
            if path.is_file():
                yield path.name, path.read_bytes()


def _delete_cache_keys(alias: str, keys: list[str]) -> int:
    """Delete raw (already prefixed) keys from a cache; return how many."""
    if not keys:
        return 0
    cache = caches[alias]
    client = _redis_client(cache)
    if client is not None:
        return int(client.delete(*keys))
    store = getattr(cache, "_cache", None)
    lock = getattr(cache, "_lock", None)
    removed = 0
    if isinstance(store, dict):
        with lock:
            for key in keys:
                if store.pop(key, None) is not None:
                    getattr(cache, "_expire_info", {}).pop(key, None)
                    removed += 1
        return removed
    directory = getattr(cache, "_dir", None)
    if directory:
        for key in keys:
            path = Path(directory) / key
            if path.is_file():
                path.unlink()
                removed += 1
    return removed


def purge_cache(user, *, addresses: list[str]) -> int:
    """Delete the cache entries whose key names the member (rate limits, code guards).

    Keys name a member by account id (``...:user:42``) or by an unsalted hash of an
    address; values of those entries are timestamps. Scans the key names of every cache
    (in Redis with SCAN, never KEYS); each erasure pays one pass over the cache's keys.
    """
    markers = []
    for address in addresses:
        markers += address_markers(address)
        markers.append(address.lower())
    if user.pk is not None:
        markers += user_id_markers(user.pk)
    if not markers:
        return 0
    removed = 0
    for alias in settings.CACHES:
        doomed = [key for key, _value in _cache_keys_only(alias) if _names(key, markers)]
        removed += _delete_cache_keys(alias, doomed)
    return removed


def _names(key: str, markers: list[str]) -> bool:
    """Whether a cache key contains one of ``markers`` (see ``user_id_markers``)."""
    text = key.lower() + ":"
    return any(marker.lower() in text for marker in markers)


def _cache_keys_only(alias: str) -> Iterator[tuple[str, None]]:
    cache = caches[alias]
    client = _redis_client(cache)
    if client is not None:
        for raw_key in client.scan_iter(match=f"{_redis_prefix(cache)}*", count=1000):
            key = raw_key.decode("utf-8", "replace") if isinstance(raw_key, bytes) else raw_key
            yield key, None
        return
    for key, _value in cache_entries(alias):
        yield key, None


def _redis_prefix(cache) -> str:
    prefix = getattr(cache, "key_prefix", "")
    return f"{prefix}:" if prefix else ""


def purge_celery_results(addresses: list[str]) -> int:
    """Delete stored Celery task results that mention the member's addresses.

    Marquee's tasks take ids and return nothing, and results are not stored
    (``CELERY_RESULT_BACKEND`` is unset), so this finds nothing unless a deployment turns a
    Redis result backend on: then ``celery-task-meta-*`` entries are searched.
    """
    from cinema.celery import app

    backend_url = app.conf.result_backend or ""
    if not addresses or not str(backend_url).startswith(("redis://", "rediss://")):
        return 0
    client = app.backend.client
    needles = [a.lower().encode() for a in addresses]
    doomed = [
        key
        for key, value in _redis_entries(client, match="celery-task-meta-*")
        if any(n in value.lower() for n in needles)
    ]
    return int(client.delete(*doomed)) if doomed else 0


def scan_cache(idents: Identifiers, report: ForgetReport) -> None:
    terms = [t.encode("utf-8") for t in idents.search_terms()]
    markers = [m.lower() for m in idents.cache_markers]
    for alias in settings.CACHES:
        hits = 0
        for key, value in cache_entries(alias):
            report.searched_cache_entries += 1
            lowered_key = key.lower()
            if _names(key, markers) or any(t.decode() in lowered_key for t in terms):
                hits += 1
                continue
            lowered = value.lower()
            if any(t in lowered for t in terms):
                hits += 1
        if hits:
            report.hits.append(Hit("cache", f"cache '{alias}'", hits))


# --- Files and the usage-event buffer -----------------------------------------------------


def _file_contains(path: Path, terms: list[bytes]) -> bool:
    if path.stat().st_size > MAX_FILE_BYTES:
        logger.warning("forget_check.file_too_large_to_search size=%s", path.stat().st_size)
        return False
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                if any(t.decode() in member.filename.lower() for t in terms):
                    return True
                if member.file_size > MAX_FILE_BYTES:
                    continue
                if any(t in archive.read(member).lower() for t in terms):
                    return True
        return False
    lowered = data.lower()
    return any(t in lowered for t in terms)


def _folders() -> list[tuple[str, Path]]:
    folders = [("media", Path(settings.MEDIA_ROOT)), ("exports", Path(app_settings.EXPORT_DIR))]
    spool = getattr(settings, "PRIVACY_TRACKING_SPOOL_DIR", "")
    if spool:
        folders.append(("tracking spool", Path(spool)))
    return folders


def scan_files(idents: Identifiers, report: ForgetReport) -> None:
    terms = [t.encode("utf-8") for t in idents.search_terms()]
    for label, folder in _folders():
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            report.searched_files += 1
            relative = path.relative_to(folder)
            name_hit = any(t.decode() in str(relative).lower() for t in terms)
            if name_hit or (terms and _file_contains(path, terms)):
                report.hits.append(Hit("file", f"{label}/{relative}", 1))
    from privacy.services.erasure import _avatar_storage, _export_dir, _inside

    for name in idents.files:
        kind, _sep, value = name.partition(":")
        if kind == "media" and _avatar_storage().exists(value):
            report.hits.append(Hit("file", f"media/{value}", 1))
        elif kind == "export":
            path = _inside(_export_dir(), value)
            if path is not None and path.exists():
                report.hits.append(Hit("file", f"exports/{value}", 1))


def scan_buffer(idents: Identifiers, report: ForgetReport) -> None:
    """Usage events still buffered for the account id (Redis list or spool files)."""
    if idents.user_id is None:
        return
    from privacy.services import tracking

    buffer = tracking.get_buffer()
    raws: list[str] = []
    client = getattr(buffer, "client", None)
    if client is not None:
        raws = [r.decode() if isinstance(r, bytes) else r for r in client.lrange(buffer.key, 0, -1)]
    else:
        directory = getattr(buffer, "directory", None)
        if directory is not None and Path(directory).is_dir():
            for path in Path(directory).glob("*.jsonl"):
                raws += path.read_text(encoding="utf-8").splitlines()
    count = 0
    for raw in raws:
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("u") == idents.user_id:
            count += 1
    if count:
        report.hits.append(Hit("buffer", "buffered usage events", count))


# --- The check ----------------------------------------------------------------------------


def check(value: str, *, phones: list[str] = (), names: list[str] = ()) -> ForgetReport:
    """Search everything for the member named by ``value`` (email or tombstone id)."""
    idents, mode = identifiers_for(value, phones=list(phones), names=list(names))
    report = ForgetReport(identifiers=idents, mode=mode)
    scan_database(idents, report)
    scan_cache(idents, report)
    scan_files(idents, report)
    scan_buffer(idents, report)
    return report
