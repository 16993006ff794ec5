"""Requests/s of the home page (/) vs. a bare view, both through the full middleware stack."""

from __future__ import annotations

import argparse
import statistics

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
    add_request_arguments(parser, requests=1000, repeat=9, warmup=200)


def run(args: argparse.Namespace) -> dict:
    from django.conf import settings

    from bench._urls import BARE_PATH

    with served_project() as (app, database):
        params = environment_params()
        home, bare = "/", f"/{BARE_PATH}"
        for path in (home, bare):
            status, body = wsgi_get(app, path)
            if not status.startswith("200"):
                raise RuntimeError(f"GET {path} answered {status}")
            log(f"GET {path}: {status}, {len(body)} bytes")
            for _ in range(args.warmup):
                wsgi_get(app, path)

        home_rates, bare_rates = [], []
        for _ in range(args.repeat):
            # Alternate the two sides so drift (CPU frequency, neighbours) hits both alike.
            bare_rates.append(rate(args.requests, time_call(lambda: _many(app, bare, args))))
            home_rates.append(rate(args.requests, time_call(lambda: _many(app, home, args))))
            log(f"round: home {home_rates[-1]:.0f} rps, bare {bare_rates[-1]:.0f} rps")
        home_bytes = len(wsgi_get(app, home)[1])

    figure = statistics.median(home_rates)
    baseline = statistics.median(bare_rates)
    params.update(
        requests_per_round=args.requests,
        repeat=args.repeat,
        warmup=args.warmup,
        database=database,
        middleware=len(settings.MIDDLEWARE),
        home_response_bytes=home_bytes,
        client="django.core.handlers.wsgi.WSGIHandler called in-process, one thread",
        user="anonymous",
        project_best_rps=round(max(home_rates), 1),
        baseline_best_rps=round(max(bare_rates), 1),
        project_runs_rps=[round(r, 1) for r in home_rates],
        baseline_runs_rps=[round(r, 1) for r in bare_rates],
    )
    return {
        "benchmark": "home_page",
        "figure": round(figure, 1),
        "unit": "requests/s",
        "baseline": round(baseline, 1),
        "baseline_description": (
            "a bare view returning HttpResponse(b'ok') served by the same WSGIHandler and "
            f"middleware stack in the same run; median of {args.repeat} rounds"
        ),
        "ratio": ratio(figure, baseline),
        "ratio_meaning": (
            "home rps / bare-view rps; higher is better, 1.0 means the page costs nothing "
            "beyond the middleware stack"
        ),
        "params": params,
    }


def _many(app, path: str, args: argparse.Namespace) -> None:
    for _ in range(args.requests):
        wsgi_get(app, path)
