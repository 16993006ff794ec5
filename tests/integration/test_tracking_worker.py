"""Usage events buffered in Redis reach PostgreSQL through a real Celery worker."""

import uuid

import pytest
import redis
from django.core import signing
from django.test import Client
from django.urls import reverse

from privacy.middleware.consent import VISITOR_COOKIE_SALT
from privacy.models import TrackingEvent
from privacy.services import consent, tracking
from privacy.tasks import flush_tracking_buffer
from tests.cinema.factories import make_film
from tests.conftest import redis_url_for_this_process
from tests.factories import make_member
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def redis_buffer(settings):
    """Buffer into this test process's Redis database (the worker is told the same)."""
    settings.REDIS_URL = redis_url_for_this_process()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(settings.PRIVACY_TRACKING_REDIS_KEY)
    yield client
    client.delete(settings.PRIVACY_TRACKING_REDIS_KEY)


def consenting_visitor(client) -> uuid.UUID:
    visitor_id = uuid.uuid4()
    consent.record_choices(
        consent.Subject(visitor_id=visitor_id), {"analytics": True}, source="banner"
    )
    signer = signing.get_cookie_signer(salt=VISITOR_COOKIE_SALT)
    client.cookies[consent.VISITOR_COOKIE] = signer.sign(str(visitor_id))
    return visitor_id


def consenting_member_client():
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"analytics": True}, source="settings")
    client = Client()
    client.force_login(member)
    return member, client


def test_page_views_buffered_in_redis_are_written_by_the_worker(
    client, celery_worker, redis_buffer, settings
):
    film = make_film(title="Solaris")
    visitor_id = consenting_visitor(client)

    client.get(reverse("cinema:film_detail", args=[film.slug]), REMOTE_ADDR="192.0.2.200")
    client.get(reverse("cinema:film_search"), {"q": "Solaris"})

    # Nothing is written on the request path: the events wait in Redis.
    assert redis_buffer.llen(settings.PRIVACY_TRACKING_REDIS_KEY) == 2
    assert not TrackingEvent.objects.exists()

    flush_tracking_buffer.delay()

    wait_for(lambda: TrackingEvent.objects.count() == 2, what="the worker to flush the buffer")
    film_view = TrackingEvent.objects.get(kind="film_view")
    search = TrackingEvent.objects.get(kind="search")
    assert (film_view.film_id, film_view.ip_prefix) == (film.pk, "192.0.2.0/24")
    assert search.search_query == "Solaris"
    assert {film_view.visitor_id, search.visitor_id} == {visitor_id}
    wait_for(
        lambda: redis_buffer.llen(settings.PRIVACY_TRACKING_REDIS_KEY) == 0,
        what="the flushed batch to leave the buffer",
    )


def test_discard_buffered_events_removes_a_members_events_from_redis():
    member, member_client = consenting_member_client()
    other, other_client = consenting_member_client()
    member_client.get("/")
    member_client.get(reverse("cinema:programme"))
    other_client.get("/")

    assert tracking.discard_buffered_events(user_id=member.pk) == 2

    tracking.flush_buffer()
    assert list(TrackingEvent.objects.values_list("user_id", flat=True)) == [other.pk]


def test_a_late_acknowledgement_never_removes_events_nobody_has_read(client):
    """Two flushes that read the same batch: the second one's removal must not eat new events."""
    consenting_visitor(client)
    client.get("/")
    client.get("/")
    buffer = tracking.get_buffer()
    stale_batch = buffer.read(10)  # a flush that reads, then stalls ...

    tracking.flush_buffer()  # ... while another flush records and removes the same batch
    client.get("/")  # a new event arrives
    buffer.acknowledge(stale_batch)  # the stalled flush finishes

    assert len(buffer) == 1
    tracking.flush_buffer()
    assert TrackingEvent.objects.count() == 3


def test_a_batch_delivered_twice_is_recorded_once(client, redis_buffer, settings):
    consenting_visitor(client)
    for _ in range(3):
        client.get("/")
    key = settings.PRIVACY_TRACKING_REDIS_KEY
    entries = redis_buffer.lrange(key, 0, -1)

    tracking.flush_buffer()
    redis_buffer.rpush(key, *entries)  # as if the flush died before removing its batch
    tracking.flush_buffer()

    assert TrackingEvent.objects.count() == 3
    assert redis_buffer.llen(key) == 0


def test_redis_flush_works_in_batches_and_stops_after_max_batches(client):
    consenting_visitor(client)
    for _ in range(5):
        client.get("/")

    partial = tracking.flush_buffer(batch_size=2, max_batches=2)
    rest = tracking.flush_buffer(batch_size=2)

    assert (partial.batches, partial.recorded) == (2, 4)
    assert (rest.batches, rest.recorded) == (1, 1)
    assert TrackingEvent.objects.count() == 5
