"""Celery keeps no task results: a real worker erases a member and Redis holds no result.

A stored result (``celery-task-meta-<id>``) would keep the task's return value, and on
failure or with extended results its arguments, for a day after the erasure that they are
about. The project sets no result backend and ignores results (``CELERY_TASK_IGNORE_RESULT``,
system check ``privacy.E012``); the second test points a worker at Redis as a result
backend, as an operator might through the environment, and results are still not stored.
"""

import subprocess
import sys
import uuid
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import redis
from django.contrib.auth import get_user_model

from cinema.celery import app as celery_app
from privacy.models import ErasureJob
from privacy.services import erasure
from privacy.tasks import run_erasure
from tests.factories import make_member
from tests.integration.conftest import ROOT, stop_worker, wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
RESULT_KEYS = "celery-task-meta-*"


def database(index: int) -> redis.Redis:
    url = urlparse(celery_app.conf.broker_url)._replace(path=f"/{index}").geturl()
    return redis.Redis.from_url(url)


def result_keys() -> dict[int, list[bytes]]:
    """Every stored Celery result in every database of the test Redis server."""
    found = {}
    for name in database(0).info("keyspace"):
        index = int(name.removeprefix("db"))
        keys = list(database(index).scan_iter(match=RESULT_KEYS))
        if keys:
            found[index] = keys
    return found


def erase_through(send, member) -> ErasureJob:
    job = erasure.schedule_deletion(member, source="staff", grace=timedelta(0), enqueue=False)
    send(job)
    wait_for(
        lambda: ErasureJob.objects.get(pk=job.pk).status == "done",
        timeout=90,
        what="the worker to finish the erasure",
    )
    return ErasureJob.objects.get(pk=job.pk)


def test_the_worker_erases_a_member_and_stores_no_task_result(celery_worker):
    member = make_member(email="no.results@example.com")

    erase_through(lambda job: run_erasure.delay(job.pk), member)

    assert not User.objects.filter(pk=member.pk).exists()
    assert result_keys() == {}


@pytest.fixture
def worker_with_result_backend(tmp_path, monkeypatch):
    """A worker whose environment names Redis as result backend, on a queue of its own."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queue = f"task-results-test-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        CELERY_RESULT_BACKEND=celery_app.conf.broker_url,
        MARQUEE_DATA_DIR=str(tmp_path / "data"),
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MARQUEE_CELERY_QUEUE=queue,
    )
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cinema", "worker", "--pool=solo",
             "--loglevel=INFO", "-n", f"results-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(
            lambda: process.poll() is not None or b" ready." in log_path.read_bytes(),
            timeout=60,
            what="the worker with a result backend to start",
        )
        assert process.poll() is None, log_path.read_text()
        assert b"results:     redis://" in log_path.read_bytes(), log_path.read_text()
        yield queue
    finally:
        stop_worker(process)
        for index, keys in result_keys().items():
            database(index).delete(*keys)


def test_a_result_backend_in_the_environment_still_stores_no_result(worker_with_result_backend):
    queue = worker_with_result_backend
    member = make_member(email="backend.set@example.com")

    erase_through(lambda job: run_erasure.apply_async((job.pk,), queue=queue), member)

    assert not User.objects.filter(pk=member.pk).exists()
    assert result_keys() == {}
    # The control: the same worker does store a result when a caller asks for one, so the
    # empty scan above is the project's setting at work, not a scan that cannot see.
    control = celery_app.send_task(
        "privacy.expire_unverified_requests", queue=queue, ignore_result=False
    )
    wait_for(
        lambda: any(control.id.encode() in key for keys in result_keys().values() for key in keys),
        timeout=30,
        what="the control task's result",
    )
