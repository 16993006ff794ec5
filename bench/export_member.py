"""Seconds to build one member's data export (200k activity rows) vs. a raw COPY; memory."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from bench._support import (
    environment_params,
    fresh_database,
    log,
    past_programme,
    ratio,
    time_call,
)

TARGET_RATIO = 3.0
TARGET_GROWTH_MB = 100
ROOT = Path(__file__).resolve().parents[1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=200_000, help="activity rows of the member")
    parser.add_argument("--bookings", type=int, default=2_000, help="bookings of the member")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    parser.add_argument(
        "--portable",
        action="store_true",
        help="build with the portable path (values_list + Python) instead of PostgreSQL COPY",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the child-process run")


def run(args: argparse.Namespace) -> dict:
    from django.db import connection

    from privacy.services import export

    if connection.vendor != "postgresql":
        raise SystemExit("export_member compares against PostgreSQL COPY: set DATABASE_URL")
    export.COPY_ENABLED = not args.portable
    with fresh_database() as database, tempfile.TemporaryDirectory() as folder:
        params = environment_params()
        member, other = _seed(args.events, args.bookings)
        out = Path(folder) / "export.zip"
        # Untimed warm-up of both sides: imports, templates, translations, the planner's
        # statistics and the table pages in PostgreSQL's cache.
        export.write_export(other, out)
        _copy_same_rows(member)

        project, baseline, sizes = [], [], []
        cpu: dict[str, list[tuple[float, float]]] = {"export": [], "copy": []}
        backend = _backend_cpu_reader()
        for i in range(args.repeat):
            # Take turns, so that drift (CPU frequency, neighbours) hits both sides alike.
            with _cpu_used(backend) as used:
                seconds = time_call(lambda: sizes.append(export.write_export(member, out)))
            project.append(seconds)
            cpu["export"].append(used())
            copied = {}
            with _cpu_used(backend) as used:
                baseline.append(
                    time_call(lambda copied=copied: copied.update(_copy_same_rows(member)))
                )
            cpu["copy"].append(used())
            log(
                f"run {i + 1}: export {project[-1]:.3f}s ({sizes[-1].size_bytes / 1e6:.1f} MB, "
                f"CPU {_cpu_text(cpu['export'][-1])}), COPY {baseline[-1]:.3f}s "
                f"({copied['bytes'] / 1e6:.1f} MB, {copied['rows']} rows, "
                f"CPU {_cpu_text(cpu['copy'][-1])})"
            )
        memory = None if args.no_memory else _child_memory(member.pk, args.portable)
        if memory:
            log(
                f"child process: peak RSS grew {memory['growth_mb']:.1f} MB during the build; "
                f"tracemalloc peak {memory['tracemalloc_peak_mb']:.1f} MB"
            )

    figure = statistics.median(project)
    base = statistics.median(baseline)
    summary = sizes[-1]
    params.update(
        database=database,
        events=args.events,
        bookings=args.bookings,
        repeat=args.repeat,
        path="portable (values_list + Python)" if args.portable else "PostgreSQL COPY",
        records=summary.records,
        sections=summary.sections,
        zip_bytes=summary.size_bytes,
        compress_level=export.COMPRESS_LEVEL,
        baseline_rows=copied["rows"],
        baseline_bytes=copied["bytes"],
        project_runs_s=[round(s, 3) for s in project],
        baseline_runs_s=[round(s, 3) for s in baseline],
        # CPU seconds (this process incl. threads, and the PostgreSQL backend when it runs on
        # this machine): the work each side does, much less sensitive to other load than
        # wall time. Medians over the runs.
        project_cpu_s=_cpu_medians(cpu["export"]),
        baseline_cpu_s=_cpu_medians(cpu["copy"]),
    )
    result = {
        "benchmark": "export_member",
        "figure": round(figure, 3),
        "unit": "s",
        "baseline": round(base, 3),
        "baseline_description": (
            "COPY (SELECT ...) TO STDOUT via psycopg of the same member's activity and booking "
            "rows (same columns, joins and order as the export), read to the end; median of "
            f"{args.repeat} runs"
        ),
        "ratio": ratio(figure, base),
        "ratio_meaning": "export seconds / COPY seconds; lower is better",
        "target": f"ratio <= {TARGET_RATIO}, peak memory growth < {TARGET_GROWTH_MB} MB",
        "params": params,
    }
    result["cpu_ratio"] = ratio(params["project_cpu_s"]["total"], params["baseline_cpu_s"]["total"])
    result["cpu_ratio_meaning"] = (
        "CPU seconds of the export / of the COPY (Python process + PostgreSQL backend), "
        "medians; the work ratio, less sensitive to a busy machine than wall time"
    )
    if memory:
        result["peak_memory_growth_mb"] = round(memory["growth_mb"], 1)
        result["peak_memory_description"] = (
            "ru_maxrss of a fresh child process that builds the same export, after minus "
            "before the build (measured after a small warm-up export in that process); "
            "params.child.tracemalloc_peak_mb is the peak of Python allocations in a second "
            "build there"
        )
        params["child"] = memory
    return result


# --- Data ----------------------------------------------------------------------------------


def _seed(events: int, bookings: int):
    """One member with ``events`` activity rows and ``bookings`` bookings, and another
    member with a little of each (the export must leave the second out)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from cinema.models import Booking, Film
    from privacy.models import ConsentRecord, TrackingEvent

    User = get_user_model()
    log(f"seeding {events} activity rows and {bookings} bookings")
    with transaction.atomic():
        member = User.objects.create_user(
            email="bench.member@example.com", password=None, first_name="Aigerim", last_name="Bench"
        )
        other = User.objects.create_user(
            email="bench.other@example.com", password=None, first_name="Other", last_name="Member"
        )
        showtimes = past_programme(films=40, cinemas=6, showtimes=200, capacity=10_000)
        Booking.objects.bulk_create(
            Booking(
                showtime=showtimes[i % len(showtimes)],
                user=member if i < bookings else other,
                code=f"B{i:07d}",
                seat_count=2,
                seats=[f"R{i % 30}-1", f"R{i % 30}-2"],
                unit_price=Decimal("2500.00"),
                total_price=Decimal("5000.00"),
                currency="KZT",
                status="paid",
                payment_provider="box_office",
                payment_reference=f"BOX-{i:07d}",
            )
            for i in range(bookings + 20)
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(user=user, purpose=purpose, granted=True, source="settings")
            for user in (member, other)
            for purpose in ("analytics", "functional", "marketing_email")
        )
        table = TrackingEvent._meta.db_table
        film_table = Film._meta.db_table
        # Varied rows, generated by the database: paths, films, search terms with quotes,
        # backslashes and non-Latin letters (so escaping is exercised), times over 90 days.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (event_id, kind, user_id, visitor_id, path, search_query,
                    film_id, referrer, target_url, time_on_page_ms, device_class,
                    browser_family, ip_prefix, city, created_at)
                SELECT gen_random_uuid(),
                    (ARRAY['page_view', 'film_view', 'search', 'outbound_click'])[g %% 4 + 1],
                    CASE WHEN g <= %s THEN %s ELSE %s END,
                    gen_random_uuid(),
                    '/films/bench-film-' || (g %% 40) || '/',
                    CASE WHEN g %% 4 = 2 THEN
                        (ARRAY['steppe', 'Ёлки "new"', 'a\\b', '草原'])[g %% 16 / 4 + 1]
                    ELSE '' END,
                    (SELECT min(id) FROM {film_table}) + g %% 40,
                    CASE WHEN g %% 3 = 0 THEN 'https://search.example/' ELSE '' END,
                    CASE WHEN g %% 4 = 3 THEN 'https://partner.example/tickets' ELSE '' END,
                    g %% 90000,
                    (ARRAY['desktop', 'mobile', 'tablet'])[g %% 3 + 1],
                    (ARRAY['Firefox', 'Chrome', 'Safari'])[g %% 3 + 1],
                    '203.0.' || (g %% 250) || '.0/24',
                    CASE WHEN g %% 5 = 0 THEN 'Almaty' ELSE '' END,
                    now() - (g %% 7776000) * interval '1 second'
                FROM generate_series(1, %s) AS g
                """,
                [events, member.pk, other.pk, events + 1000],
            )
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"ANALYZE {Booking._meta.db_table}")
    return member, other


def _copy_same_rows(member) -> dict:
    """The baseline: a raw COPY of the member's activity and booking rows, read to the end."""
    from django.db import connection

    from privacy.services import export

    rows = size = 0
    for section in export.plan():
        for source in section.sources:
            if source.section not in ("activity", "bookings"):
                continue
            queryset, _count = export._bounded(source, member)
            lookups = [c.lookup for c in source.columns]
            sql, sql_params = (
                queryset.values_list(*lookups).query.get_compiler(using=queryset.db).as_sql()
            )
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY ({sql}) TO STDOUT", sql_params) as copy,
            ):
                for block in copy:
                    rows += 1
                    size += len(block)
    return {"rows": rows, "bytes": size}


# --- CPU ------------------------------------------------------------------------------------


def _backend_cpu_reader():
    """A function returning the PostgreSQL backend's CPU seconds, or None if not local."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


class _cpu_used:
    """``with _cpu_used(backend) as used: ...``; ``used()`` -> (python s, database s)."""

    def __init__(self, backend):
        self._backend = backend

    def __enter__(self):
        self._python = time.process_time()
        self._database = self._backend() if self._backend else 0.0
        self._result = (0.0, 0.0)
        return lambda: self._result

    def __exit__(self, *exc_info):
        database = (self._backend() - self._database) if self._backend else float("nan")
        self._result = (time.process_time() - self._python, database)


def _cpu_text(used: tuple[float, float]) -> str:
    return f"{used[0]:.2f}s Python + {used[1]:.2f}s PostgreSQL"


def _cpu_medians(runs: list[tuple[float, float]]) -> dict:
    python = statistics.median(r[0] for r in runs)
    database = statistics.median(r[1] for r in runs)
    return {
        "python": round(python, 3),
        "postgresql": round(database, 3),
        "total": round(python + database, 3),
    }


# --- Memory, in a fresh process ------------------------------------------------------------


def _child_memory(member_id: int, portable: bool) -> dict:
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "cinema.settings.base"),
        "MARQUEE_BENCH_DATABASE": settings.DATABASES["default"]["NAME"],
        "MARQUEE_NO_BOOTSTRAP": "1",
    }
    command = [sys.executable, "-m", "bench.export_member", "--child", str(member_id)]
    if portable:
        command.append("--portable")
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"child export failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(member_id: int, portable: bool) -> dict:
    """Build the member's export once in this (fresh) process; report RSS before and after."""
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    settings.DATABASES["default"]["NAME"] = os.environ["MARQUEE_BENCH_DATABASE"]
    from django.contrib.auth import get_user_model

    from privacy.services import export

    export.COPY_ENABLED = not portable
    User = get_user_model()
    member = User.objects.get(pk=member_id)
    other = User.objects.exclude(pk=member_id).order_by("pk").first()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "export.zip"
        export.write_export(other, out)  # warm-up: imports, templates, translations
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        summary = export.write_export(member, out)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Python's own allocations during a second build (tracemalloc slows it down, so it
        # is not the timed one).
        tracemalloc.start()
        export.write_export(member, out)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "rss_before_mb": round(before / 1024, 1),
        "rss_peak_mb": round(after / 1024, 1),
        "growth_mb": round((after - before) / 1024, 1),
        "tracemalloc_peak_mb": round(traced_peak / (1024 * 1024), 1),
        "seconds": round(seconds, 3),
        "records": summary.records,
    }


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(_child(int(sys.argv[2]), "--portable" in sys.argv)))
