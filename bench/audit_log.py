"""Audit log: appends/s through the locked hash chain vs plain inserts; verify entries/s."""

from __future__ import annotations

import argparse
import statistics

from bench._support import environment_params, fresh_database, log, rate, ratio, time_call


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--appends", type=int, default=2000, help="entries appended per run")
    parser.add_argument(
        "--entries", type=int, default=200_000, help="length of the chain that verify() walks"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")


def run(args: argparse.Namespace) -> dict:
    with fresh_database() as database:
        params = environment_params()
        chain_rates, plain_rates = [], []
        for i in range(args.repeat):
            _empty_log()
            seconds = time_call(lambda: _append_through_chain(args.appends))
            chain_rates.append(rate(args.appends, seconds))
            log(f"audit.record x{args.appends}: {seconds:.2f}s ({chain_rates[-1]:.0f}/s)")
            _empty_log()
            seconds = time_call(lambda i=i: _append_plain(args.appends))
            plain_rates.append(rate(args.appends, seconds))
            log(f"plain insert x{args.appends}: {seconds:.2f}s ({plain_rates[-1]:.0f}/s)")

        _empty_log()
        log(f"building a chain of {args.entries} entries")
        _build_chain(args.entries)
        verify_rates, read_rates = [], []
        for _ in range(args.repeat):
            seconds = time_call(_verify_clean)
            verify_rates.append(rate(args.entries, seconds))
            log(f"verify() over {args.entries}: {seconds:.2f}s ({verify_rates[-1]:.0f}/s)")
            seconds = time_call(_read_all)
            read_rates.append(rate(args.entries, seconds))
            log(f"plain read of {args.entries}: {seconds:.2f}s ({read_rates[-1]:.0f}/s)")
        _empty_log()

    figure = statistics.median(chain_rates)
    baseline = statistics.median(plain_rates)
    verify_rate = statistics.median(verify_rates)
    read_rate = statistics.median(read_rates)
    params.update(
        appends=args.appends,
        entries=args.entries,
        repeat=args.repeat,
        database=database,
        project_runs_per_s=[round(r, 1) for r in chain_rates],
        baseline_runs_per_s=[round(r, 1) for r in plain_rates],
        verify_runs_per_s=[round(r, 1) for r in verify_rates],
        read_runs_per_s=[round(r, 1) for r in read_rates],
    )
    return {
        "benchmark": "audit_log",
        "figure": round(figure, 1),
        "unit": "appends/s",
        "baseline": round(baseline, 1),
        "baseline_description": (
            "the same rows inserted with AuditEntry.objects.create() one transaction each, "
            "without the chain-head lock and hash; median of runs"
        ),
        "ratio": ratio(figure, baseline),
        "ratio_meaning": "chained appends/s / plain inserts/s; higher is better (1 = free)",
        "verify_entries_per_s": round(verify_rate, 1),
        "verify_baseline_entries_per_s": round(read_rate, 1),
        "verify_ratio": ratio(verify_rate, read_rate),
        "verify_description": (
            "audit.verify() over the whole chain (hash of every entry, links, head) against "
            "reading the same rows in the same chunks without hashing; higher is better"
        ),
        "params": params,
    }


def _append_through_chain(count: int) -> None:
    from privacy.services import audit

    for i in range(count):
        audit.record("bench.append", actor=1, subject=i, object_type="cinema.booking", object_id=i)


def _append_plain(count: int) -> None:
    from django.utils import timezone

    from privacy.models import AuditEntry

    for i in range(count):
        AuditEntry.objects.create(
            id=i + 1,
            at=timezone.now(),
            actor_id=1,
            action="bench.append",
            subject_id=i,
            object_type="cinema.booking",
            object_id=str(i),
            details={},
            prev_hash="",
            hash=f"{i:064d}",
        )


def _build_chain(count: int, batch: int = 5000) -> None:
    """A valid chain of ``count`` entries, written in bulk (hashes computed as record() does)."""
    from django.db import transaction
    from django.utils import timezone

    from privacy.models import AuditChainHead, AuditEntry
    from privacy.services import audit

    previous = audit.GENESIS
    start = 1
    while start <= count:
        rows = []
        for pk in range(start, min(start + batch, count + 1)):
            entry = AuditEntry(
                id=pk,
                at=timezone.now(),
                actor_id=7,
                action="staff.viewed",
                subject_id=pk % 5000,
                object_type="accounts.user",
                object_id=str(pk % 5000),
                details={"view": "change"},
                prev_hash=previous,
            )
            entry.hash = previous = audit.entry_hash(entry)
            rows.append(entry)
        with transaction.atomic():
            AuditEntry.objects.bulk_create(rows)
        start += batch
    AuditChainHead.objects.update_or_create(
        pk=1,
        defaults={"last_id": count, "last_hash": previous, "first_id": 1},
    )


def _verify_clean() -> None:
    from privacy.services import audit

    _checked, problems = audit.verify()
    if problems:
        raise RuntimeError(f"the benchmark chain does not verify: {problems[:3]}")


def _read_all() -> None:
    from privacy.models import AuditEntry
    from privacy.services import audit

    rows = AuditEntry.objects.order_by("id").values_list(*audit.HASHED_FIELDS, "hash")
    for _row in rows.iterator(chunk_size=5000):
        pass


def _empty_log() -> None:
    """Start from an empty log (TRUNCATE: the append-only trigger guards rows, not this)."""
    from django.db import connection

    from privacy.models import AuditChainHead, AuditEntry
    from privacy.services import audit

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE privacy_auditentry")
        else:
            AuditEntry.objects.all().delete()
    AuditChainHead.objects.update_or_create(
        pk=1,
        defaults={
            "last_id": 0,
            "last_hash": audit.GENESIS,
            "first_id": 1,
            "first_prev_hash": audit.GENESIS,
        },
    )
