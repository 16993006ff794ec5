"""Requests/s of the privacy center for a member with a lot of data vs. one with very little."""

from __future__ import annotations

import argparse
import statistics
import uuid
from datetime import timedelta
from decimal import Decimal

from bench._support import (
    add_request_arguments,
    environment_params,
    log,
    rate,
    ratio,
    served_project,
    time_call,
    time_repeated,
    wsgi_get,
)

PAGE = "/privacy/center/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, requests=100, repeat=7, warmup=20)
    parser.add_argument(
        "--rows", type=int, default=5000, help="rows per model of the member with much data"
    )


def run(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from privacy.services import holdings

    with served_project() as (app, database):
        params = environment_params()
        heavy, light = _member("heavy"), _member("light")
        _seed(heavy, rows=args.rows)
        _seed(light, rows=1)
        cookies = {"heavy": _session_cookie(heavy), "light": _session_cookie(light)}
        if connection.vendor == "postgresql":
            # Planner statistics, as autovacuum would have them on a live database after bulk
            # inserts; without them the first plans guess row counts badly.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        queries, sizes = {}, {}
        for side, cookie in cookies.items():
            headers = {"HTTP_COOKIE": cookie}
            wsgi_get(app, PAGE, headers=headers)  # the first request of a session records it
            with CaptureQueriesContext(connection) as captured:
                status, body = wsgi_get(app, PAGE, headers=headers)
            if not status.startswith("200"):
                raise RuntimeError(f"GET {PAGE} as the {side} member answered {status}")
            queries[side], sizes[side] = len(captured), len(body)
            log(f"GET {PAGE} ({side}): {status}, {len(body)} bytes, {len(captured)} queries")
            for _ in range(args.warmup):
                wsgi_get(app, PAGE, headers=headers)

        # The "what we hold" service alone, best of 20: far less sensitive to a busy machine
        # than whole requests.
        service_ms = {
            side: round(
                time_repeated(lambda _i, u=user: holdings.member_holdings(u), 20).best * 1e3, 2
            )
            for side, user in (("heavy", heavy), ("light", light))
        }
        log(f"member_holdings best of 20: {service_ms}")

        heavy_rates, light_rates = [], []
        for _ in range(args.repeat):
            # Alternate the two sides so drift (CPU frequency, neighbours) hits both alike.
            light_rates.append(_timed_round(app, cookies["light"], args))
            heavy_rates.append(_timed_round(app, cookies["heavy"], args))
            log(f"round: heavy {heavy_rates[-1]:.0f} rps, light {light_rates[-1]:.0f} rps")

    figure = statistics.median(heavy_rates)
    baseline = statistics.median(light_rates)
    params.update(
        rows_per_model_heavy=args.rows,
        models_seeded="bookings, usage events, consent ledger, privacy requests, sessions",
        requests_per_round=args.requests,
        repeat=args.repeat,
        warmup=args.warmup,
        database=database,
        middleware=len(settings.MIDDLEWARE),
        holdings_service_best_ms_heavy=service_ms["heavy"],
        holdings_service_best_ms_light=service_ms["light"],
        sql_queries_heavy=queries["heavy"],
        sql_queries_light=queries["light"],
        response_bytes_heavy=sizes["heavy"],
        response_bytes_light=sizes["light"],
        client="django.core.handlers.wsgi.WSGIHandler called in-process, one thread",
        user="signed-in member (session cookie)",
        project_best_rps=round(max(heavy_rates), 1),
        baseline_best_rps=round(max(light_rates), 1),
        project_runs_rps=[round(r, 1) for r in heavy_rates],
        baseline_runs_rps=[round(r, 1) for r in light_rates],
    )
    return {
        "benchmark": "privacy_center",
        "figure": round(figure, 1),
        "unit": "requests/s",
        "baseline": round(baseline, 1),
        "baseline_description": (
            f"the same page for a member with 1 row per model instead of {args.rows}, same "
            f"process and run; median of {args.repeat} rounds"
        ),
        "ratio": ratio(figure, baseline),
        "ratio_meaning": (
            "heavy-member rps / light-member rps; 1.0 means the page costs the same whatever "
            "the member's data volume (higher is better)"
        ),
        "params": params,
    }


def _timed_round(app, cookie: str, args: argparse.Namespace) -> float:
    headers = {"HTTP_COOKIE": cookie}

    def many() -> None:
        for _ in range(args.requests):
            wsgi_get(app, PAGE, headers=headers)

    return rate(args.requests, time_call(many))


def _member(name: str):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    email = f"{name}.bench@example.com"
    user = get_user_model().objects.create_user(
        email=email, password=uuid.uuid4().hex, first_name=name.title()
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _seed(user, *, rows: int) -> None:
    """Give ``user`` ``rows`` rows in each of the models that grow with use, in bulk."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from cinema.models import Booking, Cinema, Film, Showtime
    from privacy.models import ConsentRecord, PrivacyRequest, TrackingEvent

    now = timezone.now()
    cinema = Cinema.objects.create(
        name=f"Bench {user.pk}",
        city="Almaty",
        address="1 Abay Avenue",
        latitude=Decimal("43.238949"),
        longitude=Decimal("76.889709"),
    )
    film = Film.objects.create(
        title=f"Bench film {user.pk}", slug=f"bench-{user.pk}", runtime_minutes=110
    )
    showtime = Showtime.objects.create(
        film=film,
        cinema=cinema,
        auditorium="Hall 1",
        starts_at=now + timedelta(days=1),
        capacity=rows + 10,
        price=Decimal("2500"),
    )
    batch = 1000
    Booking.objects.bulk_create(
        [
            Booking(
                showtime=showtime,
                user=user,
                code=f"B{user.pk}-{n}",
                seat_count=1,
                seats=[f"S{n}"],
                unit_price=showtime.price,
                total_price=showtime.price,
                currency=showtime.currency,
                status="reserved",
            )
            for n in range(rows)
        ],
        batch_size=batch,
    )
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(event_id=uuid.uuid4(), kind="page_view", user=user, path=f"/p/{n}/")
            for n in range(rows)
        ],
        batch_size=batch,
    )
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(user=user, purpose="analytics", granted=bool(n % 2), source="settings")
            for n in range(rows)
        ],
        batch_size=batch,
    )
    PrivacyRequest.objects.bulk_create(
        [
            PrivacyRequest(
                type="export",
                user=user,
                status="completed",
                self_service=True,
                due_at=now,
                closed_at=now,
                verification="signed_in",
            )
            for _ in range(rows)
        ],
        batch_size=batch,
    )
    keys = [uuid.uuid4().hex for _ in range(rows)]
    Session.objects.bulk_create(
        [
            Session(session_key=k, session_data="", expire_date=now + timedelta(days=1))
            for k in keys
        ],
        batch_size=batch,
    )
    UserSession.objects.bulk_create(
        [
            UserSession(user=user, session_key=k, ip="203.0.113.7", user_agent="Firefox/133.0")
            for k in keys
        ],
        batch_size=batch,
    )
    log(f"seeded {rows} rows per model for member #{user.pk}")


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
