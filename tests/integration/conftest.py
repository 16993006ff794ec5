"""A real Celery worker process, against the real test database and Redis.

Each xdist process starts one worker on its own Redis database (see tests/conftest.py),
pointed at its own PostgreSQL test database. Tests that use the ``celery_worker`` fixture
send tasks through the broker instead of running them in-process, and must commit their
data (``django_db(transaction=True)``) for the worker to see it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis

from cinema.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)


def wait_for(condition, *, timeout=30.0, interval=0.1, what="condition"):
    """Poll ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout}s waiting for {what}")


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process: this test process's database, and its Redis
    database as broker and cache; ``extra`` adds or overrides variables."""
    from django.db import connection

    database_url = urlparse(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    broker_url = celery_app.conf.broker_url
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cinema.settings.test",
        "DATABASE_URL": database_url.geturl(),
        "CELERY_BROKER_URL": broker_url,
        # The same Redis database as the broker: what this test process buffers there (usage
        # events, with settings.REDIS_URL overridden to it) is what the worker reads.
        "REDIS_URL": broker_url,
        "MARQUEE_TASKS_EAGER": "0",
        "MARQUEE_NO_BOOTSTRAP": "1",
        **extra,
    }


def stop_worker(process: subprocess.Popen) -> None:
    """Stop a worker as an operator would (SIGTERM: a warm shutdown), killing it if stuck."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def worker_outbox(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("worker-outbox")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, worker_outbox, tmp_path_factory):
    redis.Redis.from_url(celery_app.conf.broker_url).flushdb()  # no leftovers from earlier
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = worker_env(
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(worker_outbox),
    )
    name = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}@%h"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cinema", "worker", "--pool=solo",
             "--loglevel=INFO", "-n", name, "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(
            lambda: process.poll() is not None or b" ready." in log_path.read_bytes(),
            timeout=READY_TIMEOUT,
            what="the Celery worker to start",
        )
        if process.poll() is not None:
            pytest.fail("Celery worker exited at start:\n" + log_path.read_text())
        yield process
    finally:
        stop_worker(process)


@pytest.fixture
def celery_worker(celery_worker_process, monkeypatch):
    """Send this test's tasks to the real worker process instead of running them here."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    return celery_worker_process
