"""Seconds to erase a member with 200k activity rows vs. hand-written SQL; bulk members/minute."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench._support import environment_params, fresh_database, log, past_programme, ratio, time_call

TARGET_RATIO = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=200_000, help="activity rows of the member")
    parser.add_argument("--bookings", type=int, default=2_000, help="bookings of the member")
    parser.add_argument(
        "--repeat",
        type=int,
        default=8,
        help="timed runs of each side (a multiple of 4 balances the order)",
    )
    parser.add_argument(
        "--bulk", type=int, default=1_000, help="due members of the bulk run (0: skip it)"
    )
    parser.add_argument(
        "--bulk-events", type=int, default=50, help="activity rows of each bulk member"
    )
    parser.add_argument("--batch-size", type=int, default=0, help="PRIVACY_ERASURE_BATCH_SIZE")


def run(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    if connection.vendor != "postgresql":
        raise SystemExit("erase_member compares against raw SQL on PostgreSQL: set DATABASE_URL")
    folder = Path(tempfile.mkdtemp(prefix="marquee_bench_erase_"))
    overrides = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER=True,
        REDIS_URL="",
        PRIVACY_TRACKING_SPOOL_DIR=str(folder / "spool"),
        MEDIA_ROOT=str(folder / "media"),
        PRIVACY_EXPORT_DIR=str(folder / "exports"),
        PRIVACY_ERASURE_JOURNAL_FILE=str(folder / "journal.jsonl"),
        PRIVACY_ERASURE_BATCH_SIZE=args.batch_size or settings.PRIVACY_ERASURE_BATCH_SIZE,
    )
    with fresh_database() as database, overrides:
        from django.core import mail

        mail.outbox = []
        params = environment_params()
        showtimes = past_programme(films=20, cinemas=4, showtimes=100, capacity=100_000)
        # Untimed warm-up of both sides (imports, templates, the planner's statistics).
        _erase_with_engine(_seed_member("warm.a", 500, 20, showtimes))
        _erase_with_sql(_seed_member("warm.b", 500, 20, showtimes))

        project, baseline, checks = [], [], []
        for i in range(args.repeat):
            # Take turns in what is seeded first and in what is erased first (all four
            # combinations every four runs): the member seeded first has its pages pushed
            # out of shared buffers by the second one's rows and indexes, and its DELETE is
            # measurably slower; drift (CPU frequency, neighbours, the table's dead rows)
            # must hit both sides alike too.
            if i % 2:
                b = _seed_member(f"baseline{i}", args.events, args.bookings, showtimes)
                a = _seed_member(f"project{i}", args.events, args.bookings, showtimes)
            else:
                a = _seed_member(f"project{i}", args.events, args.bookings, showtimes)
                b = _seed_member(f"baseline{i}", args.events, args.bookings, showtimes)
            job = _schedule(a)
            if (i // 2) % 2:
                baseline.append(time_call(lambda b=b: _erase_with_sql(b)))
                project.append(time_call(lambda job=job: _run(job)))
            else:
                project.append(time_call(lambda job=job: _run(job)))
                baseline.append(time_call(lambda b=b: _erase_with_sql(b)))
            checks.append((_leftovers(a), _leftovers(b)))
            log(f"run {i + 1}: engine {project[-1]:.3f}s, raw SQL {baseline[-1]:.3f}s")
            if checks[-1][0] != checks[-1][1]:
                raise RuntimeError(f"the two sides differ: {checks[-1]}")

        bulk = _bulk(args, showtimes) if args.bulk else {"members_per_minute": None}
        mail.outbox = []

    figure = statistics.median(project)
    base = statistics.median(baseline)
    params.update(
        database=database,
        events=args.events,
        bookings=args.bookings,
        repeat=args.repeat,
        batch_size=args.batch_size or settings.PRIVACY_ERASURE_BATCH_SIZE,
        project_runs_s=[round(s, 3) for s in project],
        baseline_runs_s=[round(s, 3) for s in baseline],
        end_state=checks[-1][0],
        bulk=bulk,
    )
    return {
        "benchmark": "erase_member",
        "figure": round(figure, 3),
        "unit": "s",
        "baseline": round(base, 3),
        "baseline_description": (
            "hand-written SQL in one transaction doing the same deletes and updates for an "
            "identical member (DELETE its activity, consents, addresses and account; UPDATE "
            f"its bookings to a tombstone); median of {args.repeat} runs"
        ),
        "ratio": ratio(figure, base),
        "ratio_meaning": "engine seconds / raw SQL seconds; lower is better",
        "target": f"ratio <= {TARGET_RATIO}",
        "bulk_members_per_minute": bulk["members_per_minute"],
        "params": params,
    }


# --- The two sides -------------------------------------------------------------------------


def _schedule(user):
    from privacy.services import erasure

    return erasure.schedule_deletion(
        user, source="staff", grace=timedelta(0), reason="benchmark", enqueue=False
    )


def _run(job):
    from privacy.services import erasure

    done = erasure.run_erasure(job.pk)
    if done is None or done.status != "done":
        raise RuntimeError(f"erasure job {job.pk} did not finish")
    return done


def _erase_with_engine(user):
    return _run(_schedule(user))


def _erase_with_sql(user) -> None:
    """What the erasure does to this member's rows, written by hand."""
    from django.db import connection, transaction

    tombstone = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM privacy_trackingevent WHERE user_id = %s", [user.pk])
        cursor.execute(
            "UPDATE cinema_booking SET user_id = NULL, card_last4 = '', tombstone = %s "
            "WHERE user_id = %s",
            [tombstone, user.pk],
        )
        cursor.execute("DELETE FROM privacy_consentrecord WHERE user_id = %s", [user.pk])
        cursor.execute("DELETE FROM privacy_consentstate WHERE user_id = %s", [user.pk])
        cursor.execute("DELETE FROM account_emailaddress WHERE user_id = %s", [user.pk])
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [user.pk])


def _leftovers(user) -> dict:
    """What is left of a member afterwards (must be the same for both sides)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from cinema.models import Booking
    from privacy.models import ConsentRecord, TrackingEvent

    return {
        "account": get_user_model().objects.filter(pk=user.pk).count(),
        "activity": TrackingEvent.objects.filter(user_id=user.pk).count(),
        "consents": ConsentRecord.objects.filter(user_id=user.pk).count(),
        "addresses": EmailAddress.objects.filter(user_id=user.pk).count(),
        "linked_bookings": Booking.objects.filter(user_id=user.pk).count(),
        "card_digits_left": Booking.objects.filter(payment_reference__startswith=f"{user.pk}-")
        .exclude(card_last4="")
        .count(),
    }


def _leftovers_of(users) -> dict:
    """``_leftovers`` summed over many members (one query per kind of row)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from cinema.models import Booking
    from privacy.models import ConsentRecord, TrackingEvent

    ids = [user.pk for user in users]
    return {
        "accounts": get_user_model().objects.filter(pk__in=ids).count(),
        "activity": TrackingEvent.objects.filter(user_id__in=ids).count(),
        "consents": ConsentRecord.objects.filter(user_id__in=ids).count(),
        "addresses": EmailAddress.objects.filter(user_id__in=ids).count(),
        "linked_bookings": Booking.objects.filter(user_id__in=ids).count(),
        "card_digits_left": Booking.objects.filter(
            payment_reference__regex=r"^(" + "|".join(str(i) for i in ids) + r")-"
        )
        .exclude(card_last4="")
        .count(),
    }


# --- Bulk throughput -----------------------------------------------------------------------


def _bulk(args: argparse.Namespace, showtimes) -> dict:
    """Members per minute: ``args.bulk`` due members erased by one worker process through
    the bulk path the sweeper uses (``run_erasures``), against the hand-written SQL for the
    same number of identical members. Both end states are compared, member by member."""
    from privacy.services import erasure

    log(f"bulk: seeding 2 x {args.bulk} members with {args.bulk_events} activity rows each")
    engine_members = [
        _seed_member(f"bulk.e{i}", args.bulk_events, 2, showtimes, analyze=False)
        for i in range(args.bulk)
    ]
    sql_members = [
        _seed_member(f"bulk.s{i}", args.bulk_events, 2, showtimes, analyze=False)
        for i in range(args.bulk)
    ]
    for member in engine_members:
        _schedule(member)
    due = erasure.jobs_to_run(limit=args.bulk * 2)
    if len(due) != args.bulk:
        raise RuntimeError(f"{len(due)} due jobs, expected {args.bulk}")

    def engine() -> None:
        # What the sweeper's tasks do (privacy.run_erasures, GROUP_SIZE jobs per task),
        # in this one process.
        done = erasure.run_erasures(due)
        if len(done) != len(due):
            raise RuntimeError(f"{len(due) - len(done)} of {len(due)} jobs were not done")

    engine_s = time_call(engine)
    sql_s = time_call(lambda: [_erase_with_sql(m) for m in sql_members])
    left = (_leftovers_of(engine_members), _leftovers_of(sql_members))
    if left[0] != left[1]:
        raise RuntimeError(f"the two sides differ: {left}")
    per_minute = args.bulk / engine_s * 60
    log(f"bulk: engine {per_minute:.0f} members/min, raw SQL {args.bulk / sql_s * 60:.0f}/min")
    return {
        "members": args.bulk,
        "events_per_member": args.bulk_events,
        "bookings_per_member": 2,
        "engine_s": round(engine_s, 2),
        "members_per_minute": round(per_minute, 1),
        "raw_sql_s": round(sql_s, 2),
        "raw_sql_members_per_minute": round(args.bulk / sql_s * 60, 1),
        "ratio": ratio(per_minute, args.bulk / sql_s * 60),
        "ratio_meaning": "engine members/min / raw SQL members/min; higher is better",
        "end_state": left[0],
        "worker": (
            "one process; run_erasures in-process, as the sweeper's tasks do "
            f"({erasure.GROUP_SIZE} jobs per group)"
        ),
    }


# --- Data ----------------------------------------------------------------------------------


def _seed_member(name: str, events: int, bookings: int, showtimes, *, analyze: bool = True):
    """A member with ``events`` activity rows, ``bookings`` paid bookings, consents and an
    address; rows generated by the database."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from cinema.models import Booking
    from privacy.models import ConsentRecord, ConsentState

    if analyze:
        log(f"seeding {name}: {events} activity rows, {bookings} bookings")
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            email=f"{name}@bench.example.com", password=None, first_name=name, last_name="Bench"
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        Booking.objects.bulk_create(
            Booking(
                showtime=showtimes[i % len(showtimes)],
                user=user,
                code=f"{user.pk:05d}{i:05d}",
                seat_count=2,
                seats=[f"R{i % 30}-1", f"R{i % 30}-2"],
                unit_price=Decimal("2500.00"),
                total_price=Decimal("5000.00"),
                currency="KZT",
                status="paid",
                payment_provider="card",
                payment_reference=f"{user.pk}-{i}",
                card_last4="4242",
            )
            for i in range(bookings)
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(user=user, purpose=purpose, granted=True, source="settings")
            for purpose in ("analytics", "functional", "marketing_email")
        )
        ConsentState.objects.bulk_create(
            ConsentState(user=user, purpose=purpose, granted=True, source="settings")
            for purpose in ("analytics", "functional", "marketing_email")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO privacy_trackingevent (event_id, kind, user_id, visitor_id, path,
                    search_query, referrer, target_url, time_on_page_ms, device_class,
                    browser_family, ip_prefix, city, created_at)
                SELECT gen_random_uuid(),
                    (ARRAY['page_view', 'film_view', 'search', 'outbound_click'])[g %% 4 + 1],
                    %s, NULL, '/films/bench-film-' || (g %% 20) || '/',
                    CASE WHEN g %% 4 = 2 THEN 'steppe' ELSE '' END, '', '', g %% 90000,
                    'desktop', 'Firefox', '203.0.' || (g %% 250) || '.0/24', '',
                    now() - (g %% 7776000) * interval '1 second'
                FROM generate_series(1, %s) AS g
                """,
                [user.pk, events],
            )
            if analyze:
                cursor.execute("ANALYZE privacy_trackingevent")
                cursor.execute("ANALYZE cinema_booking")
    return user
