"""The public transparency report (CCPA § 7102 figures, for any deployment)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from privacy.models import PrivacyRequest
from privacy.services import requests as workflow
from privacy.services import transparency
from tests.factories import make_member

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
Type = PrivacyRequest.Type
Status = PrivacyRequest.Status
URL = "/privacy/transparency/"


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


def answered(type_, *, received: datetime, days: float | None, status=Status.COMPLETED, user=None):
    """A request received then and closed ``days`` later with ``status`` (None: still open)."""
    req = workflow.open_request(
        type_, user=user or make_member(), received_at=received, self_service=True
    )
    closed = received + timedelta(days=days) if days is not None else None
    PrivacyRequest.objects.filter(pk=req.pk).update(
        status=status if days is not None else Status.RECEIVED, closed_at=closed
    )
    return req


@pytest.fixture
def history():
    member = make_member()
    y2025 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    for days, status in [(10, Status.COMPLETED), (20, Status.COMPLETED), (30, Status.REJECTED)]:
        answered(Type.ACCESS, received=y2025, days=days, status=status, user=member)
    for days in (1, 2, 3, 10):
        answered(Type.ERASURE, received=y2025, days=days, user=member)
    answered(Type.INQUIRY, received=y2025, days=5, status=Status.EXPIRED, user=member)
    answered(Type.ACCESS, received=y2025, days=None, user=member)  # still open
    # Received on New Year's Eve, answered in the new year: counts for the year received.
    answered(Type.EXPORT, received=datetime(2025, 12, 31, 23, 0, tzinfo=UTC), days=1)
    # A member's self-service export this year: answered at once.
    workflow.record_self_service(Type.EXPORT, user=member)
    return member


def by_type(year):
    return {row.type: row for row in year.rows}


def test_figures_per_year_and_type_with_mean_and_median_days(history):
    current, last = transparency.yearly_report()

    assert last.year == 2025 and not last.in_progress
    rows = by_type(last)
    access = rows["access"]
    assert (access.received, access.completed, access.rejected) == (4, 2, 1)
    assert (access.mean_days, access.median_days) == (20.0, 20.0)
    erasure = rows["erasure"]
    assert (erasure.received, erasure.completed, erasure.rejected) == (4, 4, 0)
    assert (erasure.mean_days, erasure.median_days) == (4.0, 2.5)
    inquiry = rows["inquiry"]  # closed unverified: received, neither complied nor denied
    assert (inquiry.received, inquiry.completed, inquiry.rejected) == (1, 0, 0)
    assert inquiry.mean_days is None and inquiry.median_days is None
    assert rows["export"].received == 1
    total = last.total
    assert (total.received, total.completed, total.rejected) == (10, 7, 1)
    assert (total.mean_days, total.median_days) == (9.6, 6.5)  # of 1, 1, 2, 3, 10, 10, 20, 30

    assert current.in_progress
    assert by_type(current)["export"].completed == 1
    assert by_type(current)["export"].median_days == 0.0


def test_the_report_takes_a_fixed_number_of_queries(django_assert_max_num_queries, history):
    with django_assert_max_num_queries(3):
        transparency.yearly_report()


def test_the_page_is_public_and_shows_the_figures(client, history):
    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 id="year-2025">2025</h2>' in body
    assert "Deletion of my account and data" in body
    assert "2.5" in body and "20.0" in body
    assert "so far" in body  # the current year


def test_the_figures_are_cached_briefly(client, history, settings):
    from django.core.cache import cache

    settings.PRIVACY_TRANSPARENCY_CACHE_SECONDS = 600
    assert b"Complaint" not in client.get(URL).content
    answered(Type.COMPLAINT, received=datetime(2025, 5, 5, tzinfo=UTC), days=2)

    assert b"Complaint" not in client.get(URL).content  # the cached figures
    cache.clear()
    assert b"Complaint" in client.get(URL).content


def test_with_no_requests_the_page_says_so(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert "No privacy requests have been received yet." in response.content.decode()


def test_every_page_links_to_the_report_from_the_footer(client):
    body = client.get(reverse("home")).content.decode()

    assert f'href="{URL}"' in body
