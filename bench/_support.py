"""Helpers shared by the benchmarks: a throwaway database, timing, ratios, parameters."""

from __future__ import annotations

import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

BENCH_DB_PREFIX = "marquee_bench_"


def log(message: str) -> None:
    """Progress for the person running the benchmark; stdout is kept for the JSON."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Throwaway database --------------------------------------------------------------------


@contextmanager
def fresh_database() -> Iterator[str]:
    """Point the default connection at a new, migrated database; drop it afterwards.

    PostgreSQL: ``marquee_bench_<pid>`` is created on the configured server and dropped at
    the end. SQLite: a file in a new temporary directory, removed at the end. The configured
    database (the developer's data) is never written to, and only the database this call
    created is ever dropped. Yields a description of the database for ``params``.
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    vendor = connection.vendor
    original_name = connection.settings_dict["NAME"]
    connections.close_all()

    if vendor == "postgresql":
        bench_name = f"{BENCH_DB_PREFIX}{os.getpid()}"
        if bench_name == original_name:
            raise RuntimeError(f"refusing to use the configured database {original_name!r}")
        _postgres_execute(connection, f'CREATE DATABASE "{bench_name}"')
        cleanup = _postgres_dropper(connection, bench_name)
        described = f"postgresql:{bench_name}"
    elif vendor == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix=BENCH_DB_PREFIX)
        bench_name = os.path.join(tmpdir, "bench.sqlite3")

        def cleanup() -> None:
            shutil.rmtree(tmpdir, ignore_errors=True)

        described = f"sqlite:{bench_name}"
    else:
        raise RuntimeError(f"no throwaway-database support for {vendor!r}")

    _set_db_name(settings, connection, bench_name)
    try:
        log(f"created {described}; migrating")
        call_command("migrate", verbosity=0, interactive=False, stdout=sys.stderr)
        yield described
    finally:
        connections.close_all()
        _set_db_name(settings, connection, original_name)
        cleanup()
        log(f"dropped {described}")


def _set_db_name(settings, connection, name: str) -> None:
    # The handler's dict is usually the same object as settings.DATABASES["default"], but
    # Django's own test-database code sets both; so do we.
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _postgres_execute(connection, sql: str) -> None:
    # _nodb_cursor() connects to the server's "postgres" maintenance database in autocommit
    # mode, as Django's test-database creation does; CREATE/DROP DATABASE need both.
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql)


def _postgres_dropper(connection, name: str) -> Callable[[], None]:
    assert name.startswith(BENCH_DB_PREFIX)

    def drop() -> None:
        force = " WITH (FORCE)" if connection.pg_version >= 130000 else ""
        _postgres_execute(connection, f'DROP DATABASE IF EXISTS "{name}"{force}')

    return drop


# --- Timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each repetition of one measured call."""

    samples: list[float]

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def time_call(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes (time.perf_counter)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_repeated(fn: Callable[[int], object], repeat: int) -> Timing:
    """Call ``fn(i)`` for i in range(repeat); return the per-call timings."""
    return Timing([time_call(lambda i=i: fn(i)) for i in range(repeat)])


def rate(count: float, seconds: float) -> float:
    """Items per second."""
    return count / seconds if seconds > 0 else float("inf")


def ratio(figure: float, baseline: float) -> float:
    """figure / baseline, rounded for reading; the benchmark says which direction wins."""
    return round(figure / baseline, 3) if baseline else float("inf")


# --- Parameters ----------------------------------------------------------------------------


def environment_params() -> dict:
    """Versions and database facts every result carries."""
    import django
    from django.conf import settings
    from django.db import connection

    params = {
        "database_vendor": connection.vendor,
        "python": platform.python_version(),
        "django": django.get_version(),
        "settings": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
        "debug": settings.DEBUG,
        "cpu_count": os.cpu_count(),
        # Other work on the machine skews every figure; this tells a reader how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        params["database_version"] = connection.pg_version
    elif connection.vendor == "sqlite":
        import sqlite3

        params["database_version"] = sqlite3.sqlite_version
    return params


# --- Requests through the WSGI interface ---------------------------------------------------

HOST = "testserver"


def wsgi_get(app, path: str, *, query: str = "", headers: dict | None = None) -> tuple[str, bytes]:
    """One GET through the WSGI interface, body consumed and closed as a server does.

    ``headers`` are extra CGI-style environ keys (``{"HTTP_COOKIE": ...}``).
    """
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": HOST,
        "HTTP_ACCEPT": "text/html",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **(headers or {}),
    }
    status_holder = []

    def start_response(status, response_headers, exc_info=None):
        status_holder.append(status)

    response = app(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()
    return status_holder[0], body


def add_request_arguments(parser, *, requests: int, repeat: int, warmup: int) -> None:
    """Options shared by the benchmarks that time page requests."""
    parser.add_argument("--requests", type=int, default=requests, help="requests per timed round")
    parser.add_argument("--repeat", type=int, default=repeat, help="timed rounds of each side")
    parser.add_argument("--warmup", type=int, default=warmup, help="untimed requests per side")


@contextmanager
def served_project():
    """Yield ``(app, database)``: the project's WSGI app on a fresh database.

    The URLs are the project's plus a bare view (``bench._urls``), DEBUG is off, and the
    app is the ``WSGIHandler`` a server would call, with the project's MIDDLEWARE.
    """
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    overrides = override_settings(
        ROOT_URLCONF="bench._urls",
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, HOST],
        DEBUG=False,
    )
    with fresh_database() as database, overrides:
        yield WSGIHandler(), database


def past_programme(*, films: int, cinemas: int, showtimes: int, capacity: int) -> list:
    """Films, cinemas and ``showtimes`` showtimes five hours apart, all in the past.

    Past, so that nothing a benchmark books is an upcoming booking to cancel; call inside
    ``fresh_database()``.
    """
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from cinema.models import Cinema, Film, Showtime

    film_rows = Film.objects.bulk_create(
        Film(title=f"Film {i}", slug=f"bench-film-{i}", runtime_minutes=100) for i in range(films)
    )
    cinema_rows = Cinema.objects.bulk_create(
        Cinema(
            name=f"Cinema {i}",
            city="Almaty",
            address=f"{i} Abay Avenue",
            latitude=Decimal("43.2"),
            longitude=Decimal("76.9"),
        )
        for i in range(cinemas)
    )
    start = timezone.now() - timedelta(days=400)
    return Showtime.objects.bulk_create(
        Showtime(
            film=film_rows[i % films],
            cinema=cinema_rows[i % cinemas],
            starts_at=start + timedelta(hours=5 * i),
            auditorium=f"Hall {i % 4 + 1}",
            capacity=capacity,
            price=Decimal("2500.00"),
            currency="KZT",
        )
        for i in range(showtimes)
    )
