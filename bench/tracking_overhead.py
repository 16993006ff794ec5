"""Requests/s of the home page with usage tracking on vs. off, in the same run."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import uuid

from bench._support import (
    HOST,
    add_request_arguments,
    environment_params,
    fresh_database,
    log,
    rate,
    ratio,
    time_call,
    wsgi_get,
)

TARGET_RATIO = 0.9


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, requests=1000, repeat=9, warmup=200)
    parser.add_argument("--path", default="/", help="page to request (default: the home page)")


def run(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.core import signing
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    from privacy.middleware.consent import VISITOR_COOKIE_SALT
    from privacy.models import TrackingEvent
    from privacy.services import consent, tracking

    spool_dir = tempfile.mkdtemp(prefix="marquee_bench_spool_")
    redis_key = f"marquee:bench:tracking:{os.getpid()}"
    overrides = override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, HOST],
        DEBUG=False,
        PRIVACY_TRACKING_SPOOL_DIR=spool_dir,
        PRIVACY_TRACKING_REDIS_KEY=redis_key,
    )
    try:
        with fresh_database() as database, overrides:
            params = environment_params()
            buffer = tracking.get_buffer()
            buffer_kind = "redis" if settings.REDIS_URL else "spool folder"
            app = WSGIHandler()
            signer = signing.get_cookie_signer(salt=VISITOR_COOKIE_SALT)

            def visitor_cookie(analytics: bool) -> str:
                # Both sides are visitors who answered the banner, so both pay the same consent
                # lookup; only the answer differs.
                visitor_id = uuid.uuid4()
                consent.record_choices(
                    consent.Subject(visitor_id=visitor_id),
                    {"functional": False, "analytics": analytics, "advertising": False},
                    source=consent.Source.BANNER,
                )
                return f"{consent.VISITOR_COOKIE}={signer.sign(str(visitor_id))}"

            sides = {"on": visitor_cookie(True), "off": visitor_cookie(False)}
            for side, cookie in sides.items():
                status, body = wsgi_get(app, args.path, headers=_visitor_headers(cookie))
                if not status.startswith("200"):
                    raise RuntimeError(f"GET {args.path} ({side}) answered {status}")
                log(f"GET {args.path} tracking {side}: {status}, {len(body)} bytes")
                for _ in range(args.warmup):
                    wsgi_get(app, args.path, headers=_visitor_headers(cookie))
            if len(buffer) < args.warmup:
                raise RuntimeError("tracking is on but nothing reached the buffer")
            tracking.flush_buffer(max_batches=10**6)

            on_rates, off_rates, recorded = [], [], 0
            for _ in range(args.repeat):
                # Alternate the two sides so drift (CPU frequency, neighbours) hits both alike.
                off_rates.append(_timed_round(app, args, sides["off"]))
                on_rates.append(_timed_round(app, args, sides["on"]))
                # Untimed: empty the buffer so every round appends to the same state.
                recorded += tracking.flush_buffer(max_batches=10**6).recorded
                log(f"round: tracking on {on_rates[-1]:.0f} rps, off {off_rates[-1]:.0f} rps")
            rows = TrackingEvent.objects.count()
            collect_us = _collection_cost_us(sides["on"])
            tracking.flush_buffer(max_batches=10**6)
            if settings.REDIS_URL:
                buffer.client.delete(redis_key)
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)

    figure = statistics.median(on_rates)
    baseline = statistics.median(off_rates)
    params.update(
        requests_per_round=args.requests,
        repeat=args.repeat,
        warmup=args.warmup,
        path=args.path,
        database=database,
        buffer=buffer_kind,
        events_recorded_in_timed_rounds=recorded,
        tracking_rows_at_end=rows,
        overhead_us_per_request=round((1 / figure - 1 / baseline) * 1e6, 1),
        # The collection alone (build the event, append it to the buffer), best of 5 runs of
        # 1,000: far less sensitive to a busy machine than the page-level figures.
        collect_us_per_event=round(collect_us, 1),
        client="django.core.handlers.wsgi.WSGIHandler called in-process, one thread",
        user="anonymous visitor who answered the banner",
        project_best_rps=round(max(on_rates), 1),
        baseline_best_rps=round(max(off_rates), 1),
        project_runs_rps=[round(r, 1) for r in on_rates],
        baseline_runs_rps=[round(r, 1) for r in off_rates],
    )
    return {
        "benchmark": "tracking_overhead",
        "figure": round(figure, 1),
        "unit": "requests/s",
        "baseline": round(baseline, 1),
        "baseline_description": (
            f"the same page for a visitor who declined analytics, same run; median of "
            f"{args.repeat} rounds (tracking on: page view appended to the {buffer_kind} "
            "buffer, analytics.js tag rendered)"
        ),
        "ratio": ratio(figure, baseline),
        "ratio_meaning": (
            "tracking-on rps / tracking-off rps; higher is better, 1.0 means tracking costs "
            "nothing on the request path"
        ),
        "target": f"ratio >= {TARGET_RATIO}",
        "params": params,
    }


def _collection_cost_us(cookie: str) -> float:
    """Microseconds ``record_page_view`` takes per event, best of 5 runs of 1,000."""
    from django.test import RequestFactory
    from django.urls import resolve

    from privacy.middleware.consent import RequestConsent
    from privacy.services import tracking

    request = RequestFactory().get(
        "/", HTTP_COOKIE=cookie, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Firefox/133.0"
    )
    request.consent = RequestConsent(request)
    request.resolver_match = resolve("/")
    event_id = uuid.uuid4()
    tracking.record_page_view(request, event_id=event_id)  # warm the consent cache
    runs = [
        time_call(
            lambda: [tracking.record_page_view(request, event_id=event_id) for _ in range(1000)]
        )
        for _ in range(5)
    ]
    return min(runs) * 1000  # seconds per 1,000 -> microseconds per one


def _timed_round(app, args: argparse.Namespace, cookie: str) -> float:
    """Requests per second of one round of ``args.requests`` GETs."""
    return rate(args.requests, time_call(lambda: _many(app, args, cookie)))


def _many(app, args: argparse.Namespace, cookie: str) -> None:
    for _ in range(args.requests):
        wsgi_get(app, args.path, headers=_visitor_headers(cookie))


def _visitor_headers(cookie: str) -> dict:
    """A real browser's headers, so tracking has a user agent, referrer and address."""
    return {
        "REMOTE_ADDR": "203.0.113.77",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "HTTP_REFERER": "https://search.example/results?q=cinema",
        "HTTP_COOKIE": cookie,
    }
