"""Usage tracking: what the policies say we collect, collected only as they say (K2, M3, M9).

Design
------
Collection happens in two places, both through :func:`may_track`: the page-view middleware
(``privacy.middleware.tracking``) and the beacon endpoint (``privacy.views.tracking``) that
``static/marquee/analytics.js`` posts time on page and outbound clicks to. Both only turn
the request into a compact JSON entry and append it to a *buffer* (one RPUSH, or one
``write`` to an open file); nothing on the request path writes to the database.

Everything identifying is reduced before the entry is built, so the buffer never holds
more than the table will: the IP address becomes its network (/24, /48), paths, referrers
and links lose their query strings and fragments, the browser is named only by family.

The buffer is a Redis list when ``REDIS_URL`` is configured. Without Redis (the embedded
mode) it is a spool file that every process appends lines to (:class:`SpoolBuffer`). Why a
file: in the embedded mode the web server and the Celery worker are separate processes,
so memory or the local-memory cache would never reach the worker; and a queue table in
SQLite would make every tracked page view take the database's single write lock, which is
what the buffer exists to avoid. An appended line costs one system call, needs no server
and survives restarts.

:func:`flush_buffer` (Celery task ``privacy.flush_tracking_buffer``, every 10 seconds)
reads a batch, inserts it with one ``bulk_create`` in one transaction, and only after the
commit removes the batch from the buffer. Delivery is therefore *at least once*: a flush
killed between the commit and the removal reads the same entries again. Each entry carries
a random ``event_id`` that is unique in the table and inserted with ``ignore_conflicts``, so
a second delivery changes nothing, and two flushes running at once are harmless.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Q, Value, When
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from privacy.models import TrackingEvent
from privacy.services import restriction
from privacy.services.consent import ANALYTICS, LOCATION
from privacy.services.network import truncate_ip, user_agent_family

logger = logging.getLogger(__name__)

Kind = TrackingEvent.Kind
DeviceClass = TrackingEvent.DeviceClass

DEFAULT_REDIS_KEY = "marquee:tracking:buffer"
DEFAULT_BATCH_SIZE = 5000
# A flush run stops after this many batches so a backlog never makes one task run for long;
# the next run continues.
DEFAULT_MAX_BATCHES = 20
MAX_PATH = 500
MAX_SEARCH_QUERY = 100
MAX_BEACON_BYTES = 2048
# Longer than anyone reads a page; larger values are taken as a broken clock, not a visit.
MAX_TIME_ON_PAGE_MS = 6 * 60 * 60 * 1000
TIME_UPDATE = "time"  # buffer entries that add time on page to an earlier page view

FILM_DETAIL_VIEW = "cinema:film_detail"
FILM_SEARCH_VIEW = "cinema:film_search"


# --- Settings (read on use, so tests can override them) ------------------------------------


def _redis_key() -> str:
    return getattr(settings, "PRIVACY_TRACKING_REDIS_KEY", DEFAULT_REDIS_KEY)


def _spool_dir() -> Path:
    configured = getattr(settings, "PRIVACY_TRACKING_SPOOL_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR) / ".data" / "tracking-spool"


def _batch_size() -> int:
    return getattr(settings, "PRIVACY_TRACKING_BATCH_SIZE", DEFAULT_BATCH_SIZE)


# --- Who may be tracked --------------------------------------------------------------------


def may_track(request) -> bool:
    """Return whether usage events may be recorded for the person behind ``request``.

    The one gate every collection goes through: analytics consent (which ``DNT: 1`` already
    turns off), no Global Privacy Control signal, which we read as a refusal of any
    tracking, not only of advertising, and no restriction of processing by the signed-in
    member (asked last, and cached on the user, so it costs a query only to members who
    allow analytics, once per request).
    """
    context = getattr(request, "consent", None)
    if context is None:
        return False
    if "gpc" in context.signals:
        return False
    if not context.allows(ANALYTICS):
        return False
    return not restriction.is_restricted(getattr(request, "user", None))


def _excluded_prefixes() -> tuple[str, ...]:
    return _excluded_prefixes_for(
        get_urlconf() or settings.ROOT_URLCONF, settings.STATIC_URL, settings.MEDIA_URL
    )


@lru_cache(maxsize=8)
def _excluded_prefixes_for(urlconf: str, static_url: str, media_url: str) -> tuple[str, ...]:
    # Cached: reverse() on every request would cost more than the rest of the collection.
    prefixes = [static_url, media_url]
    for name in ("admin:index", "healthz", "privacy:track"):
        try:
            prefixes.append(reverse(name, urlconf=urlconf))
        except NoReverseMatch:
            continue
    return tuple("/" + p.lstrip("/") for p in prefixes if p)


def is_page_request(request) -> bool:
    """Return whether ``request`` could be a page view: a GET outside static, admin, probes."""
    if request.method != "GET":
        return False
    return not request.path.startswith(_excluded_prefixes())


def is_page_response(response) -> bool:
    """Return whether ``response`` is an HTML page that was shown (200, not streamed)."""
    if response.status_code != 200 or getattr(response, "streaming", False):
        return False
    return response.get("Content-Type", "").startswith("text/html")


# --- Reducing what is collected ------------------------------------------------------------


def origin_and_path(url: str, *, max_length: int = MAX_PATH) -> str:
    """Return ``url`` as scheme://host/path: no credentials, query string or fragment.

    Anything that is not an absolute http(s) URL gives "".
    """
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not hostname:
        return ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    netloc = f"{host}:{port}" if port else host
    return f"{parts.scheme}://{netloc}{parts.path or '/'}"[:max_length]


_BOT_MARKERS = ("bot", "crawl", "spider", "slurp", "headless", "curl/", "wget/", "python-")
_TABLET_MARKERS = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE_MARKERS = ("mobi", "iphone", "ipod", "android", "windows phone", "opera mini")
_DESKTOP_MARKERS = ("windows nt", "macintosh", "x11", "cros", "linux")


def device_class(user_agent: str) -> str:
    """Return desktop, mobile, tablet, bot or other, from a User-Agent header."""
    ua = (user_agent or "").lower()
    if not ua:
        return DeviceClass.OTHER
    if any(marker in ua for marker in _BOT_MARKERS):
        return DeviceClass.BOT
    if any(marker in ua for marker in _TABLET_MARKERS) or ("android" in ua and "mobile" not in ua):
        return DeviceClass.TABLET
    if any(marker in ua for marker in _MOBILE_MARKERS):
        return DeviceClass.MOBILE
    if any(marker in ua for marker in _DESKTOP_MARKERS):
        return DeviceClass.DESKTOP
    return DeviceClass.OTHER


@lru_cache(maxsize=4)
def _geo_lookup(dotted_path: str):
    return import_string(dotted_path)


def coarse_city(request, ip_prefix: str) -> str:
    """Return an approximate city for the network ``ip_prefix``, or "".

    Only when the deployment configures ``PRIVACY_COARSE_GEO_LOOKUP`` (a dotted path to a
    callable ``network -> city name``) and the person allows location: the policies promise
    location only where permitted (K2, M3). The lookup sees the truncated network, never the
    full address.
    """
    dotted_path = getattr(settings, "PRIVACY_COARSE_GEO_LOOKUP", None)
    if not dotted_path or not ip_prefix or not request.consent.allows(LOCATION):
        return ""
    try:
        return str(_geo_lookup(dotted_path)(ip_prefix) or "")[:100]
    except Exception:  # a broken lookup must not break the page
        logger.exception("tracking.geo_lookup_failed")
        return ""


def _subject(request) -> dict:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"u": user.pk, "v": None}
    visitor_id = request.consent.visitor_id
    return {"u": None, "v": visitor_id.hex if visitor_id else None}


def _device(request) -> dict:
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    ip_prefix = truncate_ip(request.META.get("REMOTE_ADDR", ""))
    return {
        "d": device_class(user_agent),
        "b": user_agent_family(user_agent)[:40],
        "ip": ip_prefix,
        "c": coarse_city(request, ip_prefix),
    }


def _clean_path(path: str) -> str:
    return urlsplit(path).path[:MAX_PATH] or "/"


# --- Collection ----------------------------------------------------------------------------


def record_page_view(request, *, event_id: uuid.UUID) -> bool:
    """Append the page view ``request`` made to the buffer; return whether it was appended.

    The film detail page is a ``film_view`` (the film is found by its slug when the buffer
    is flushed, so the request makes no query for it), the film search with a non-empty
    ``q`` is a ``search`` that keeps the search terms, anything else a ``page_view``.
    """
    if not may_track(request):
        return False
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    kind, film_slug, query = Kind.PAGE_VIEW, "", ""
    if view_name == FILM_DETAIL_VIEW:
        kind, film_slug = Kind.FILM_VIEW, str(match.kwargs.get("slug", ""))[:200]
    elif view_name == FILM_SEARCH_VIEW:
        query = " ".join(request.GET.get("q", "").split())[:MAX_SEARCH_QUERY]
        if query:
            kind = Kind.SEARCH
    entry = {
        "e": event_id.hex,
        "k": kind.value,
        **_subject(request),
        "p": _clean_path(request.path),
        "q": query,
        "f": film_slug,
        "r": origin_and_path(request.META.get("HTTP_REFERER", "")),
        **_device(request),
        "at": time.time(),
    }
    return _append(entry)


def record_beacon(request, payload: bytes) -> bool:
    """Validate a beacon from analytics.js and append it; return whether it was appended.

    Two kinds are accepted, as JSON: ``{"kind": "time", "page_event": <uuid>, "ms": <int>}``
    adds time on page to the page view the script was served with, and
    ``{"kind": "outbound_click", "path": "/films/x/", "target": "https://..."}`` records a
    followed link to another site (kept as origin and path). Raises ``ValidationError``
    with a message for anything else. Without consent nothing is appended.
    """
    if len(payload) > MAX_BEACON_BYTES:
        raise ValidationError(_("The event is too large."), code="too_large")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(_("The event is not valid JSON."), code="invalid_json") from None
    if not isinstance(data, dict):
        raise ValidationError(_("The event must be a JSON object."), code="invalid_json")
    kind = data.get("kind")
    if kind == TIME_UPDATE:
        entry = _time_entry(data)
    elif kind == Kind.OUTBOUND_CLICK:
        entry = _outbound_entry(data)
    else:
        raise ValidationError(_("Unknown event kind."), code="invalid_kind")
    if not may_track(request):
        return False
    entry.update(_subject(request), at=time.time())
    if kind == Kind.OUTBOUND_CLICK:
        entry.update(_device(request))
    return _append(entry)


def _time_entry(data: dict) -> dict:
    try:
        page_event = uuid.UUID(str(data.get("page_event", "")))
    except ValueError:
        raise ValidationError(_("page_event must be a UUID."), code="invalid_page_event") from None
    ms = data.get("ms")
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_TIME_ON_PAGE_MS:
        raise ValidationError(
            _("ms must be a whole number from 0 to %(max)s."),
            code="invalid_ms",
            params={"max": MAX_TIME_ON_PAGE_MS},
        )
    return {"k": TIME_UPDATE, "e": page_event.hex, "ms": ms}


def _outbound_entry(data: dict) -> dict:
    path, target = data.get("path"), data.get("target")
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise ValidationError(_("path must be a path on this site."), code="invalid_path")
    if len(path) > MAX_PATH:
        raise ValidationError(_("path is too long."), code="invalid_path")
    if not isinstance(target, str) or len(target) > MAX_BEACON_BYTES:
        raise ValidationError(_("target must be a link."), code="invalid_target")
    cleaned = origin_and_path(target)
    if not cleaned:
        raise ValidationError(_("target must be an http or https link."), code="invalid_target")
    return {
        "k": Kind.OUTBOUND_CLICK.value,
        "e": uuid.uuid4().hex,
        "p": _clean_path(path),
        "t": cleaned,
    }


def _append(entry: dict) -> bool:
    raw = json.dumps(entry, separators=(",", ":"))
    try:
        get_buffer().append_many([raw])
    except (OSError, redis.RedisError):
        # Analytics must never break a page: the event is dropped, not retried.
        logger.warning("tracking.buffer_append_failed kind=%s", entry.get("k"))
        return False
    return True


# --- The buffer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    handle: str  # what the buffer needs to remove the entry again
    raw: str


@lru_cache(maxsize=8)
def _redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage costs a page view its analytics, not its speed.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


# Remove the first n entries only if they are still exactly the ones this flush read: the
# list only grows at its tail and entries are unique (event ids), so an unchanged first
# and n-th entry mean nothing in between was removed by another flush or a discard.
_ACK_SCRIPT = """
local n = tonumber(ARGV[1])
local first = redis.call('LINDEX', KEYS[1], 0)
if first == ARGV[2] and redis.call('LINDEX', KEYS[1], n - 1) == ARGV[3] then
  redis.call('LTRIM', KEYS[1], n, -1)
  return 1
end
return 0
"""
_DISCARD_SCRIPT = """
local uid = tonumber(ARGV[1])
local removed = 0
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, entry = pcall(cjson.decode, item)
  if ok and type(entry) == 'table' and entry['u'] == uid then
    removed = removed + redis.call('LREM', KEYS[1], 1, item)
  end
end
return removed
"""


class RedisBuffer:
    """A Redis list: RPUSH to append, read from the head, trim after the commit."""

    def __init__(self, url: str, key: str):
        self.client = _redis_client(url)
        self.key = key

    def append(self, raw: str) -> None:
        self.append_many([raw])

    def append_many(self, raws: list[str]) -> None:
        self.client.rpush(self.key, *raws)

    def read(self, limit: int) -> list[Entry]:
        items = self.client.lrange(self.key, 0, limit - 1)
        return [Entry(handle="", raw=item.decode("utf-8")) for item in items]

    def acknowledge(self, entries: list[Entry]) -> None:
        if entries:
            self.client.eval(
                _ACK_SCRIPT, 1, self.key, len(entries), entries[0].raw, entries[-1].raw
            )

    def discard_user(self, user_id: int) -> int:
        return int(self.client.eval(_DISCARD_SCRIPT, 1, self.key, user_id))

    def __len__(self) -> int:
        return int(self.client.llen(self.key))


class SpoolBuffer:
    """One append-only file that every process adds lines to; a flush claims it whole.

    Appending is one ``write`` to a file kept open (``O_APPEND``) under a shared
    ``flock``. A flush renames the file to ``claimed-*.jsonl`` (new events start a new
    file), takes the exclusive lock once so that writes already under way finish, then
    reads it. A writer checks, under its lock, that its open file is still the one at the
    path, so nothing is written to a file after it was claimed.
    """

    ACTIVE = "active.jsonl"
    _handles: dict[str, tuple[int, int]] = {}  # path -> (pid, fd), one per process
    _lock = threading.Lock()  # threads of a process share the descriptor

    def __init__(self, directory: Path):
        self.directory = directory
        self.active = directory / self.ACTIVE

    def append(self, raw: str) -> None:
        self.append_many([raw])

    def append_many(self, raws: list[str]) -> None:
        data = "".join(raw + "\n" for raw in raws).encode("utf-8")
        with self._lock:
            for _ in range(3):
                fd = self._descriptor()
                fcntl.flock(fd, fcntl.LOCK_SH)
                try:
                    if self._is_current(fd):
                        os.write(fd, data)
                        return
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                self._forget()  # claimed since we opened it: start the next file
        raise OSError("the tracking spool file kept changing")

    def _descriptor(self) -> int:
        key = str(self.active)
        held = self._handles.get(key)
        if held is not None and held[0] == os.getpid():
            return held[1]
        try:
            fd = os.open(self.active, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.active, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._handles[key] = (os.getpid(), fd)
        return fd

    def _is_current(self, fd: int) -> bool:
        try:
            return os.stat(self.active).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def _forget(self) -> None:
        pid, fd = self._handles.pop(str(self.active))
        if pid == os.getpid():
            os.close(fd)

    def _claim_active(self) -> None:
        claimed = self.directory / f"claimed-{time.time_ns():020d}-{uuid.uuid4().hex}.jsonl"
        try:
            os.rename(self.active, claimed)
        except FileNotFoundError:
            return
        with open(claimed, "rb") as file:
            fcntl.flock(file, fcntl.LOCK_EX)  # waits for writes already under way
            fcntl.flock(file, fcntl.LOCK_UN)

    def _claimed(self) -> list[Path]:
        try:
            return sorted(self.directory.glob("claimed-*.jsonl"))
        except FileNotFoundError:
            return []

    def read(self, limit: int) -> list[Entry]:
        """Return the lines of whole claimed files, oldest first, at least ``limit`` if any."""
        if not self._claimed():
            self._claim_active()
        entries: list[Entry] = []
        for path in self._claimed():
            if len(entries) >= limit:
                break
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:  # taken by a concurrent flush
                continue
            entries.extend(Entry(handle=path.name, raw=line) for line in text.splitlines() if line)
        return entries

    def acknowledge(self, entries: list[Entry]) -> None:
        for name in {entry.handle for entry in entries}:
            (self.directory / name).unlink(missing_ok=True)

    def discard_user(self, user_id: int) -> int:
        self._claim_active()
        removed = 0
        for path in self._claimed():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                continue
            kept = [line for line in lines if line and _user_of(line) != user_id]
            dropped = sum(1 for line in lines if line) - len(kept)
            if dropped:
                temporary = path.with_suffix(".tmp")
                temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
                os.replace(temporary, path)
                removed += dropped
        return removed

    def __len__(self) -> int:
        count = 0
        for path in [self.active, *self._claimed()]:
            try:
                count += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line)
            except FileNotFoundError:
                continue
        return count


def _user_of(raw: str):
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    return entry.get("u") if isinstance(entry, dict) else None


def _buffer_spec() -> tuple:
    # Read when an event is collected, so a queued event goes where settings said then.
    if settings.REDIS_URL:
        return ("redis", settings.REDIS_URL, _redis_key())
    return ("spool", str(_spool_dir()))


def _buffer_from(spec: tuple) -> RedisBuffer | SpoolBuffer:
    if spec[0] == "redis":
        return RedisBuffer(spec[1], spec[2])
    return SpoolBuffer(Path(spec[1]))


def get_buffer() -> RedisBuffer | SpoolBuffer:
    """Return the configured buffer: Redis with ``REDIS_URL``, else the spool folder."""
    return _buffer_from(_buffer_spec())


def discard_buffered_events(*, user_id: int) -> int:
    """Delete the member's events that are still in the buffer; return how many.

    For erasure: the table's rows go with the member (``on_delete=CASCADE``), this removes
    what has not reached the table yet. (A restriction needs no call: the flush drops the
    events of restricted members.) A flush that read its batch just before this call may
    still insert that batch; call it before deleting the member, whose deletion then removes
    those rows, and after which :func:`flush_buffer` drops any event of a member that no
    longer exists. Events another web process is appending at this very moment are covered
    the same way.
    """
    removed = get_buffer().discard_user(user_id)
    logger.info("tracking.buffered_events_discarded user_id=%s count=%s", user_id, removed)
    return removed


# --- Flushing ------------------------------------------------------------------------------


@dataclass
class FlushResult:
    read: int = 0
    recorded: int = 0
    time_updates: int = 0
    dropped: int = 0
    batches: int = 0


def flush_buffer(
    *, batch_size: int | None = None, max_batches: int = DEFAULT_MAX_BATCHES
) -> FlushResult:
    """Move buffered events into ``TrackingEvent``, batch by batch, until the buffer is empty.

    At least once, and idempotent: each batch is inserted in one transaction with
    ``ignore_conflicts`` on the unique ``event_id`` and removed from the buffer only after
    the commit, so a batch delivered twice (a flush killed after its commit, two flushes at
    once) is recorded once. Entries that cannot be read, and events of members who no longer
    exist (erased meanwhile) or who restricted processing meanwhile, are dropped. Stops after
    ``max_batches``; the next run goes on.
    In the spool a batch is one or more whole claimed files, so it may exceed ``batch_size``.
    ``recorded`` counts events handed to the insert; the database ignores re-deliveries.
    """
    batch_size = batch_size or _batch_size()
    buffer = get_buffer()
    result = FlushResult()
    for _batch in range(max_batches):
        entries = buffer.read(batch_size)
        if not entries:
            break
        _record_batch(entries, result)
        buffer.acknowledge(entries)
        result.batches += 1
        if len(entries) < batch_size:
            break
    if result.read:
        logger.info(
            "tracking.buffer_flushed read=%s recorded=%s time_updates=%s dropped=%s",
            result.read,
            result.recorded,
            result.time_updates,
            result.dropped,
        )
    return result


def _record_batch(entries: list[Entry], result: FlushResult) -> None:
    from cinema.models import Film

    parsed = []
    for entry in entries:
        try:
            data = json.loads(entry.raw)
            parsed.append((data, uuid.UUID(hex=data["e"])))
        except (ValueError, KeyError, TypeError):
            result.dropped += 1
    result.read += len(entries)

    user_ids = {d["u"] for d, _ in parsed if isinstance(d.get("u"), int)}
    # Members erased since (gone) or who restricted processing since the event was buffered
    # are left out: their events are dropped, never written.
    existing_users = set(
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .filter(~restriction.restriction_exists("pk"))
        .values_list("pk", flat=True)
    )
    slugs = {d["f"] for d, _ in parsed if d.get("f")}
    films = dict(Film.objects.filter(slug__in=slugs).values_list("slug", "pk")) if slugs else {}

    events: dict[uuid.UUID, TrackingEvent] = {}
    times: dict[tuple, int] = {}
    for data, event_id in parsed:
        user_id = data.get("u")
        if user_id is not None and user_id not in existing_users:
            result.dropped += 1
            continue
        try:
            visitor_id = uuid.UUID(hex=data["v"]) if data.get("v") else None
            if data.get("k") == TIME_UPDATE:
                times[(event_id, user_id, visitor_id)] = int(data["ms"])
                continue
            events[event_id] = _event_from(data, event_id, user_id, visitor_id, films)
        except (ValueError, KeyError, TypeError):
            result.dropped += 1

    # Time for a page view in this same batch goes straight into its row.
    for key in list(times):
        event = events.get(key[0])
        if event is not None and (event.user_id, event.visitor_id) == key[1:]:
            event.time_on_page_ms = times.pop(key)

    with transaction.atomic():
        TrackingEvent.objects.bulk_create(events.values(), batch_size=1000, ignore_conflicts=True)
        _apply_times(times)
    result.recorded += len(events)
    result.time_updates += len(times)


def _event_from(data, event_id, user_id, visitor_id, films) -> TrackingEvent:
    kind = Kind(data["k"])
    return TrackingEvent(
        event_id=event_id,
        kind=kind,
        user_id=user_id,
        visitor_id=visitor_id if user_id is None else None,
        path=str(data.get("p") or "/")[:MAX_PATH],
        search_query=str(data.get("q") or "")[:MAX_SEARCH_QUERY],
        film_id=films.get(data.get("f")),
        referrer=str(data.get("r") or "")[:MAX_PATH],
        target_url=str(data.get("t") or "")[:MAX_PATH],
        device_class=str(data.get("d") or ""),
        browser_family=str(data.get("b") or "")[:40],
        ip_prefix=str(data.get("ip") or "")[:50],
        city=str(data.get("c") or "")[:100],
        created_at=datetime.fromtimestamp(float(data["at"]), tz=UTC),
    )


def _apply_times(times: dict[tuple, int], chunk: int = 500) -> None:
    """Set time on page on earlier page views, only where the same person made them."""
    items = list(times.items())
    for start in range(0, len(items), chunk):
        whens, matches = [], Q()
        for (event_id, user_id, visitor_id), ms in items[start : start + chunk]:
            owner = Q(event_id=event_id) & (
                Q(user_id=user_id) if user_id is not None else Q(visitor_id=visitor_id)
            )
            whens.append(When(owner, then=Value(ms)))
            matches |= owner
        TrackingEvent.objects.filter(matches).update(
            time_on_page_ms=Case(
                *whens, default=F("time_on_page_ms"), output_field=PositiveIntegerField()
            )
        )
