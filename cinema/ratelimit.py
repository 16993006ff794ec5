"""Rate limits for Marquee's own endpoints, on top of allauth's rate-limit machinery.

allauth already limits sign-in, sign-up, password reset and verification codes
(``ACCOUNT_RATE_LIMITS``). Our own endpoints that take input from anyone (one-click
unsubscribe, the SMS webhook, the consent banner, the tracking beacon, …) use the same
cache-backed sliding window through :func:`rate_limit`, so one mechanism, one cache and
one client-IP rule (``ALLAUTH_TRUSTED_PROXY_COUNT``) apply everywhere.

Limits are strings in allauth's format — ``"<amount>/<period>/<per>"``, several joined
by commas, e.g. ``"20/m/ip,200/h/ip"`` — where ``per`` is ``ip`` or ``user``. The rate
given to the decorator is the default; ``MARQUEE_RATE_LIMITS = {action: rate}`` in the
settings overrides it per action (an empty string switches the limit off).

Only unsafe methods count: a GET that merely shows a page or a button is never limited.
The answer to a limited request is the same 429 page whoever is asking and whatever
they asked about, so it reveals nothing about accounts or addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus

from allauth.core.internal import ratelimit as _allauth_ratelimit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The namespace of our limits in the cache, apart from allauth's own "allauth.account".
APP = "marquee"


def configured_rate(action: str, default: str) -> str:
    """Return the rate for ``action``: ``MARQUEE_RATE_LIMITS[action]`` or ``default``."""
    return getattr(settings, "MARQUEE_RATE_LIMITS", {}).get(action, default)


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or request.content_type == "application/json"


def too_many_requests(request: HttpRequest, *, retry_after: int | None = None) -> HttpResponse:
    """Return the 429 answer: JSON for API-style callers, else the translated page."""
    if _wants_json(request):
        message = _("Too many requests. Please wait a moment and try again.")
        response: HttpResponse = JsonResponse(
            {"error": message}, status=HTTPStatus.TOO_MANY_REQUESTS
        )
    else:
        response = render(request, "429.html", status=HTTPStatus.TOO_MANY_REQUESTS)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def rate_limit(action: str, rate: str = "20/m/ip") -> Callable:
    """Decorate a view so that more than ``rate`` unsafe requests get HTTP 429.

    A limited request never reaches the view, so it records nothing. Per-user rates fall
    back to the client IP for anonymous visitors.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return view(request, *args, **kwargs)
            rates = configured_rate(action, rate)
            if not request.user.is_authenticated:
                rates = rates.replace("/user", "/ip")
            config = {action: rates}
            usage = _allauth_ratelimit.consume(request, app=APP, action=action, config=config)
            if usage is None:
                logger.warning("security.rate_limited action=%s", action)
                parsed = _allauth_ratelimit.parse_rates(rates)
                retry_after = int(max((r.duration for r in parsed), default=60))
                return too_many_requests(request, retry_after=retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
