"""Requests/s of the programme page (a full day, 6 cinemas, 12 films) vs. a bare view."""

from __future__ import annotations

import argparse
import statistics
from datetime import timedelta

from bench._support import (
    add_request_arguments,
    environment_params,
    log,
    rate,
    ratio,
    served_project,
    time_call,
    wsgi_get,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, requests=300, repeat=7, warmup=50)


def run(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench._urls import BARE_PATH
    from cinema import demo
    from cinema.models import Cinema, Film, Showtime

    with served_project() as (app, database):
        params = environment_params()
        # The demo programme: 6 cinemas, 12 films, 2 halls x 4 slots a day for 10 days.
        demo.seed_programme(seed=2026, now=timezone.now())
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        query = f"day={tomorrow}"
        showtimes_shown = Showtime.objects.filter(starts_at__date=tomorrow).count()
        sizes = {
            "cinemas": Cinema.objects.count(),
            "films": Film.objects.count(),
            "showtimes_total": Showtime.objects.count(),
            "showtimes_on_page": showtimes_shown,
        }
        log(f"seeded {sizes}")
        page, bare = "/programme/", f"/{BARE_PATH}"
        with CaptureQueriesContext(connection) as queries:
            status, body = wsgi_get(app, page, query=query)
        query_count = len(queries)
        if not status.startswith("200"):
            raise RuntimeError(f"GET {page}?{query} answered {status}")
        log(f"GET {page}?{query}: {status}, {len(body)} bytes, {query_count} queries")
        for path, qs in ((page, query), (bare, "")):
            for _ in range(args.warmup):
                wsgi_get(app, path, query=qs)

        page_rates, bare_rates = [], []
        for _ in range(args.repeat):
            # Alternate the two sides so drift (CPU frequency, neighbours) hits both alike.
            bare_rates.append(rate(args.requests, time_call(lambda: _many(app, bare, "", args))))
            page_rates.append(rate(args.requests, time_call(lambda: _many(app, page, query, args))))
            log(f"round: programme {page_rates[-1]:.0f} rps, bare {bare_rates[-1]:.0f} rps")

    figure = statistics.median(page_rates)
    baseline = statistics.median(bare_rates)
    params.update(
        sizes,
        requests_per_round=args.requests,
        repeat=args.repeat,
        warmup=args.warmup,
        database=database,
        middleware=len(settings.MIDDLEWARE),
        page_response_bytes=len(body),
        page_sql_queries=query_count,
        client="django.core.handlers.wsgi.WSGIHandler called in-process, one thread",
        user="anonymous",
        project_best_rps=round(max(page_rates), 1),
        baseline_best_rps=round(max(bare_rates), 1),
        project_runs_rps=[round(r, 1) for r in page_rates],
        baseline_runs_rps=[round(r, 1) for r in bare_rates],
    )
    return {
        "benchmark": "programme_page",
        "figure": round(figure, 1),
        "unit": "requests/s",
        "baseline": round(baseline, 1),
        "baseline_description": (
            "a bare view returning HttpResponse(b'ok') served by the same WSGIHandler and "
            f"middleware stack in the same run; median of {args.repeat} rounds"
        ),
        "ratio": ratio(figure, baseline),
        "ratio_meaning": (
            "programme rps / bare-view rps; higher is better, 1.0 means the page costs "
            "nothing beyond the middleware stack"
        ),
        "params": params,
    }


def _many(app, path: str, query: str, args: argparse.Namespace) -> None:
    for _ in range(args.requests):
        wsgi_get(app, path, query=query)
