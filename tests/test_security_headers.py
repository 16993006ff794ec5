"""Every page the project routes carries the security headers, whoever asks.

The URL list comes from the resolver, so a page added later is checked without anyone
remembering to add it here. Patterns with arguments get values from real test data;
an argument this file does not know gets "1" (the resulting 404 must be protected too).
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from privacy.models import PolicyVersion
from privacy.services import marketing, policies
from tests.cinema.factories import make_booking, make_film, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ROUTE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


def all_routes():
    """Yield (route, name) for every URL pattern, with the prefixes of its includes."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    yield from walk(get_resolver().url_patterns, "")


def concrete_path(route: str, name: str | None, values: dict) -> str:
    """Turn a route (path() or re_path() syntax) into a path with real arguments."""

    def argument(match):
        key = match.group("name")
        return str(values.get(f"{name}.{key}", values.get(key, "1")))

    def group(match):
        body = match.group("body")
        if re.fullmatch(r"[\w|]+", body):  # an alternation of literals: take the first
            return body.split("|")[0]
        return argument(match)

    path = REGEX_GROUP.sub(group, route)
    path = ROUTE_ARGUMENT.sub(argument, path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


@pytest.fixture
def site():
    member = make_member(first_name="Aigerim")
    showtime = make_showtime(film=make_film(title="Headers"))
    booking = make_booking(showtime=showtime, user=member)
    version = PolicyVersion.objects.filter(document="privacy", language="en").first()
    if version is None:
        version = PolicyVersion.objects.create(
            document="privacy",
            language="en",
            version="2026-11-01",
            title="Privacy policy",
            body="We protect your data.",
            summary_of_changes="First version.",
            is_material=False,
            effective_from=timezone.localdate(),
        )
        policies.publish_version(version, actor=None)
    staff = get_user_model().objects.create_superuser(
        email="admin@example.com", password="admin-pass-123"
    )
    values = {
        "slug": showtime.film.slug,
        "showtime_id": showtime.pk,
        "code": booking.code,
        "user_id": member.pk,
        "language": "en",
        "version": version.version,
        "object_id": booking.pk,
        "id": member.pk,
        "unsubscribe.token": marketing.unsubscribe_token(member, channel="email"),
        "marketing_confirm.token": marketing.confirmation_token(member),
        "url": "no-such-admin-page/",
    }
    paths = sorted({concrete_path(route, name, values) for route, name in all_routes()})
    return {"member": member, "staff": staff, "paths": paths}


def header_problems(response) -> list[str]:
    headers = response.headers
    problems = []
    csp = headers.get("Content-Security-Policy")
    if not csp:
        problems.append("no CSP")
    elif "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"weak CSP: {csp}")
    elif "frame-ancestors 'none'" not in csp:
        problems.append("CSP without frame-ancestors 'none'")
    expected = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for header, value in expected.items():
        if headers.get(header) != value:
            problems.append(f"{header}={headers.get(header)!r}")
    for header in ("Referrer-Policy", "Permissions-Policy"):
        if not headers.get(header):
            problems.append(f"no {header}")
    return problems


@pytest.mark.parametrize("who", ["visitor", "member", "staff"])
def test_every_routed_page_sends_the_security_headers(site, who):
    client = Client(raise_request_exception=False)
    if who != "visitor":
        client.force_login(site[who])
    assert len(site["paths"]) > 50  # the walk really found the project's pages

    offenders = []
    for path in site["paths"]:
        response = client.get(path)
        problems = header_problems(response)
        if problems:
            offenders.append(f"{path} [{response.status_code}]: {', '.join(problems)}")

    assert not offenders, f"{len(offenders)} URLs lack security headers:\n" + "\n".join(offenders)


def test_the_url_builder_fills_path_and_regex_arguments():
    values = {"code": "ABC123", "book.showtime_id": 7}

    assert concrete_path("bookings/<str:code>/", "x", values) == "/bookings/ABC123/"
    assert concrete_path("showtimes/<int:showtime_id>/book/", "book", values) == (
        "/showtimes/7/book/"
    )
    assert concrete_path("admin/^(?P<app_label>auth|cinema)/$", None, {}) == "/admin/auth/"
    assert concrete_path("a/^k/(?P<key>[-:\\w]+)/$", None, {"key": "K"}) == "/a/k/K/"
