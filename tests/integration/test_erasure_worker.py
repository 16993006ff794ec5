"""Erasure by a real Celery worker process, killed with SIGKILL half-way and restarted.

The worker runs with tiny batches and a pause after each (``MARQUEE_ERASURE_BATCH_SIZE``,
``MARQUEE_ERASURE_BATCH_PAUSE``), so that the kill lands deterministically in the middle of
the walk. After a restart the sweeper picks the stalled job up again; the end state must
equal that of an uninterrupted erasure of a member with the same data, and a third
member's data must be untouched.
"""

import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from cinema.celery import app as celery_app
from cinema.models import Booking, OutboundEmail
from privacy.models import ErasureJob, ErasureJournal, TrackingEvent
from privacy.services import erasure, forget, tracking
from privacy.tasks import run_erasure, sweep_erasures
from tests.conftest import redis_url_for_this_process
from tests.integration.conftest import ROOT, stop_worker, wait_for, worker_env
from tests.privacy.erasure_helpers import make_rich_member, snapshot

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
EVENTS = 60
BATCH = 4
PAUSE = 0.15  # seconds after each batch: ~15 batches of usage events take > 2 s
STALL_SECONDS = 2
# The workers of this test take tasks from a queue of their own (and re-enqueue to it):
# the shared worker of the integration tests listens on the same broker, with default
# settings, and must not take the erasure away from the worker this test kills.
QUEUE = f"erasure-kill-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def data_dir(tmp_path, settings):
    """Files shared by this test process and the worker (media, exports, journal)."""
    data = tmp_path / "data"
    settings.MEDIA_ROOT = str(data / "test-media")
    settings.PRIVACY_EXPORT_DIR = str(data / "test-exports")
    settings.PRIVACY_ERASURE_JOURNAL_FILE = str(data / "test-erasure-journal.jsonl")
    settings.REDIS_URL = redis_url_for_this_process()  # the usage buffer the worker sees
    settings.PRIVACY_ERASURE_STALL_AFTER = timedelta(seconds=STALL_SECONDS)
    return data


@pytest.fixture
def workers(data_dir, tmp_path, monkeypatch):
    """Start worker processes on demand; every one still running is stopped at the end."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    # No flush: the broker database is shared with the integration tests' worker (whose
    # queue bindings live there); this test's queue has a fresh name.
    env = worker_env(
        MARQUEE_DATA_DIR=str(data_dir),
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "delivered"),
        MARQUEE_ERASURE_BATCH_SIZE=str(BATCH),
        MARQUEE_ERASURE_BATCH_PAUSE=str(PAUSE),
        MARQUEE_ERASURE_STALL_SECONDS=str(STALL_SECONDS),
        MARQUEE_CELERY_QUEUE=QUEUE,
    )
    started: list[subprocess.Popen] = []

    def start(name: str) -> subprocess.Popen:
        log_path = tmp_path / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed with the process below
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cinema", "worker", "--pool=solo",
             "--loglevel=INFO", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log_file = log
        started.append(process)
        wait_for(
            lambda: process.poll() is not None or b" ready." in log_path.read_bytes(),
            timeout=60,
            what=f"worker {name} to start",
        )
        assert process.poll() is None, log_path.read_text()
        return process

    yield start
    for process in started:
        if process.poll() is None:
            stop_worker(process)
        process.log_file.close()


def member_with_activity(email: str, first_name: str):
    member = make_rich_member(email=email, first_name=first_name)
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            event_id=uuid.uuid4(),
            kind="page_view",
            user=member.user,
            path=f"/films/{i}/",
            created_at=timezone.now() - timedelta(minutes=i),
        )
        for i in range(EVENTS)
    )
    return member


def comparable(report: dict) -> dict:
    """A job's report without what differs between two members (ids, times)."""
    return {
        label: {k: v for k, v in entry.items() if k != "done"}
        for label, entry in report["models"].items()
    }


def test_a_worker_killed_mid_erasure_resumes_and_ends_like_an_uninterrupted_run(workers, tmp_path):
    victim = member_with_activity("killed.midway@example.com", "Killed")
    twin = member_with_activity("uninterrupted.twin@example.com", "Twin")
    bystander = member_with_activity("bystander@example.com", "Bystander")
    tracking.flush_buffer()  # the same shape of data for victim and twin: all in the table
    untouched = snapshot(bystander.user)
    bystander_bookings = list(
        Booking.objects.filter(user=bystander.user).values_list("pk", "status", "tombstone")
    )

    first = workers("first")
    job = erasure.schedule_deletion(victim.user, source="staff", grace=timedelta(0), enqueue=False)
    run_erasure.apply_async((job.pk,), queue=QUEUE)

    def half_way():
        current = ErasureJob.objects.get(pk=job.pk)
        return (
            current.checkpoint_model == "privacy.TrackingEvent"
            and 0 < current.checkpoint_rows < EVENTS // 2
        )

    wait_for(half_way, timeout=60, interval=0.02, what="the erasure to be half-way through")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    killed = ErasureJob.objects.get(pk=job.pk)
    assert killed.status == "running" and killed.checkpoint_model == "privacy.TrackingEvent"
    assert User.objects.filter(pk=victim.user.pk).exists()
    remaining = TrackingEvent.objects.filter(user=victim.user).count()
    assert 0 < remaining < EVENTS + 4

    workers("second")
    wait_for(
        lambda: erasure.jobs_to_run() == [job.pk],
        timeout=STALL_SECONDS * 10,
        what="the killed job to count as stalled",
    )
    sweep_erasures.apply_async(queue=QUEUE)
    wait_for(
        lambda: ErasureJob.objects.get(pk=job.pk).status == "done",
        timeout=120,
        what="the restarted worker to finish the erasure",
    )
    resumed = ErasureJob.objects.get(pk=job.pk)
    assert resumed.attempts == 2

    twin_job = erasure.schedule_deletion(
        twin.user, source="staff", grace=timedelta(0), enqueue=False
    )
    run_erasure.apply_async((twin_job.pk,), queue=QUEUE)
    wait_for(
        lambda: ErasureJob.objects.get(pk=twin_job.pk).status == "done",
        timeout=120,
        what="the uninterrupted erasure",
    )
    reference = ErasureJob.objects.get(pk=twin_job.pk)

    assert comparable(resumed.report) == comparable(reference.report)
    # Test settings give each process a private local-memory cache: the rate-limit entries
    # the arrangement left in this process's cache were never visible to the worker (the
    # purge of a shared cache is covered in tests/privacy/test_erasure.py).
    cache.clear()
    for member, done in ((victim, resumed), (twin, reference)):
        assert not User.objects.filter(pk=member.user.pk).exists()
        assert Booking.objects.filter(tombstone=done.tombstone, user__isnull=True).count() == 2
        assert ErasureJournal.objects.filter(tombstone=done.tombstone).count() == 1
        wait_for(
            lambda: not OutboundEmail.objects.exists(),
            what="the final emails to be delivered (and their outbox rows deleted)",
        )
        check = forget.check(member.email, phones=[member.phone], names=[" ".join(member.names)])
        assert check.clean, [str(h) for h in check.hits]
    delivered = "".join(p.read_text() for p in (tmp_path / "delivered").glob("*"))
    for member in (victim, twin):
        assert delivered.count(f"To: {member.email}") == 1  # the final email, exactly once
    assert delivered.count("Subject: [Marquee] Your account has been erased") == 2
    assert snapshot(bystander.user) == untouched
    assert (
        list(Booking.objects.filter(user=bystander.user).values_list("pk", "status", "tombstone"))
        == bystander_bookings
    )


def test_cache_entries_in_redis_are_found_and_purged(settings):
    """With the production cache (Redis): keys naming the member go, others stay."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url_for_this_process(),
            "KEY_PREFIX": f"erasure-test-{uuid.uuid4().hex[:8]}",
        }
    }
    redis_cache = caches["default"]
    try:
        member = make_rich_member(email="in.redis@example.com", first_name="Redisa")
        redis_cache.set("unrelated", "stays", 600)
        redis_cache.set("profile-note", {"email": member.email}, 600)
        idents, _mode = forget.identifiers_for(member.email)
        assert any(forget._names(k, idents.cache_markers) for k, _v in forget.cache_entries())

        erasure.erase_now(member.user, reason="test")

        remaining = dict(forget.cache_entries())
        assert not [k for k in remaining if forget._names(k, idents.cache_markers)]
        assert redis_cache.get("unrelated") == "stays"
        # A copy of the address in a value is not something erasure can know to remove;
        # the check finds it.
        report = forget.check(member.email)
        assert [str(h) for h in report.hits] == ["cache: cache 'default': 1 entries"]
        redis_cache.delete("profile-note")
        assert forget.check(member.email).clean
    finally:
        # Only this test's keys: the database is also this process's Celery broker.
        client = redis.Redis.from_url(redis_url_for_this_process())
        for key in client.scan_iter(match=f"{redis_cache.key_prefix}:*"):
            client.delete(key)
