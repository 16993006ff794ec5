"""Members/s of cinema.demo.seed_demo (bulk) vs. one-by-one ORM creates; peak memory."""

from __future__ import annotations

import argparse
import gc
import statistics
import tracemalloc

from bench._support import (
    environment_params,
    fresh_database,
    log,
    rate,
    ratio,
    time_call,
)

GENERATED_DOMAIN = "@demo.marquee.example"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, default=20000, help="members per seed_demo run")
    parser.add_argument(
        "--baseline-members",
        type=int,
        default=None,
        help="members per naive run (default: members / 10)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the first run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the tracemalloc runs (peak memory)"
    )


def run(args: argparse.Namespace) -> dict:
    members = args.members
    baseline_members = args.baseline_members or max(1, members // 10)
    with fresh_database() as database:
        from cinema.demo import BATCH_SIZE, seed_demo

        params = environment_params()
        # Demo logins (two argon2 hashes) and Faker's locale imports are a one-off cost that
        # the naive side does not pay; pay it before timing.
        seed_demo(members=0, seed=args.seed)

        project_rates, naive_rates = [], []
        for i in range(args.repeat):
            seed = args.seed + i
            seconds = time_call(lambda seed=seed: seed_demo(members=members, seed=seed))
            project_rates.append(rate(members, seconds))
            _delete_generated()
            log(f"seed_demo {members} members: {seconds:.2f}s ({project_rates[-1]:.0f}/s)")

            seconds = time_call(lambda seed=seed: _naive(baseline_members, seed))
            naive_rates.append(rate(baseline_members, seconds))
            _delete_generated()
            log(f"naive {baseline_members} members: {seconds:.2f}s ({naive_rates[-1]:.0f}/s)")

        memory = {}
        if not args.no_memory:
            small = min(members, max(BATCH_SIZE, members // 10))
            memory["peak_mb_small"] = _peak_mb(seed_demo, small, args.seed + 1000)
            memory["peak_mb"] = _peak_mb(seed_demo, members, args.seed + 2000)
            log(
                f"tracemalloc peak: {memory['peak_mb']:.1f} MB for {members} members, "
                f"{memory['peak_mb_small']:.1f} MB for {small}"
            )

    figure = statistics.median(project_rates)
    baseline = statistics.median(naive_rates)
    params.update(
        members=members,
        baseline_members=baseline_members,
        seed=args.seed,
        repeat=args.repeat,
        database=database,
        project_best_per_s=round(max(project_rates), 1),
        baseline_best_per_s=round(max(naive_rates), 1),
        project_runs_per_s=[round(r, 1) for r in project_rates],
        baseline_runs_per_s=[round(r, 1) for r in naive_rates],
    )
    result = {
        "benchmark": "seed_demo",
        "figure": round(figure, 1),
        "unit": "members/s",
        "baseline": round(baseline, 1),
        "baseline_description": (
            "the same generated members created one by one with User.objects.create(...) + "
            "EmailAddress.objects.create(...) in autocommit mode, "
            f"{baseline_members} members per run; median of {args.repeat} runs"
        ),
        "ratio": ratio(figure, baseline),
        "ratio_meaning": "seed_demo members/s / naive members/s; higher is better",
        "params": params,
        "target": {
            "memory": "seed_demo must scale to 100k members without running out of memory "
            "(peak must not grow with members)"
        },
    }
    if memory:
        result["peak_memory_mb"] = round(memory["peak_mb"], 2)
        result["peak_memory_mb_small"] = round(memory["peak_mb_small"], 2)
        result["peak_memory_description"] = (
            "tracemalloc peak of Python allocations during seed_demo(members=N), measured in a "
            "separate untimed run; peak_memory_mb_small is the same for memory_small_members "
            "(max(batch size, N/10)); flat memory means the two are close"
        )
        params["memory_small_members"] = small
    return result


def _naive(count: int, seed: int) -> None:
    """What a first implementation would write: one INSERT (and commit) per row."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from cinema.demo import _generate_members

    User = get_user_model()
    unusable = make_password(None)
    for row in _generate_members(count, seed):
        user = User.objects.create(password=unusable, **row)
        EmailAddress.objects.create(user=user, email=row["email"], verified=True, primary=True)


def _delete_generated() -> None:
    """Empty the member tables so every run starts from the same state; cleanup, not timed.

    PostgreSQL: TRUNCATE, which also resets the planner statistics to "never analysed". A
    DELETE + VACUUM ANALYZE here left statistics of a near-empty table, and the next
    seed_demo run slowed down batch after batch (0.5 s to 5 s per 2,000 members), which
    measured the stale statistics rather than seed_demo. The demo logins are recreated
    (untimed) afterwards.
    """
    from allauth.account.models import EmailAddress, EmailConfirmation
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from cinema.demo import seed_demo

    User = get_user_model()
    users, addresses = User._meta.db_table, EmailAddress._meta.db_table
    confirmations = EmailConfirmation._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {confirmations}, {addresses}, {users} CASCADE")
        else:
            cursor.execute(f"DELETE FROM {confirmations}")
            cursor.execute(f"DELETE FROM {addresses}")
            cursor.execute(f"DELETE FROM {users} WHERE email LIKE %s", [f"%{GENERATED_DOMAIN}"])
    seed_demo(members=0, seed=0)


def _peak_mb(seed_demo, members: int, seed: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        seed_demo(members=members, seed=seed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _delete_generated()
    return peak / (1024 * 1024)
