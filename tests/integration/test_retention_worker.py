"""Retention with real processes: the beat task on a real worker, and a run killed mid-way."""

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.utils import timezone

from privacy.models import DataExport, RetentionRun, TrackingEvent
from privacy.services import retention
from privacy.tasks import schedule_retention
from tests.factories import make_member
from tests.integration.conftest import ROOT, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TRACKING = "privacy.trackingevent"


def make_events(count: int, *, days_old: int, user=None) -> list[int]:
    at = timezone.now() - timedelta(days=days_old)
    rows = TrackingEvent.objects.bulk_create(
        TrackingEvent(event_id=uuid.uuid4(), kind="page_view", path="/", user=user, created_at=at)
        for _ in range(count)
    )
    return [row.pk for row in rows]


def test_the_daily_beat_task_has_the_worker_apply_every_rule(celery_worker):
    exporting = make_member()
    DataExport.objects.create(user=exporting, status=DataExport.Status.QUEUED)
    make_events(5, days_old=120)
    protected = set(make_events(2, days_old=120, user=exporting))
    fresh = set(make_events(3, days_old=1))

    schedule_retention.delay("daily")

    # Every daily rule that is on (the consent ledger and audit log are kept by default).
    enabled = [
        item.rule.name
        for item in retention.preview()
        if item.rule.group == "daily" and item.count is not None
    ]
    assert TRACKING in enabled and "consent-ledger" not in enabled
    wait_for(
        lambda: (
            RetentionRun.objects.filter(status="done", rule__in=enabled).count() >= len(enabled)
        ),
        timeout=60,
        what="the worker to run every daily rule",
    )
    assert set(TrackingEvent.objects.values_list("pk", flat=True)) == protected | fresh
    run = RetentionRun.objects.get(rule=TRACKING)
    assert (run.rows, run.status, run.trigger) == (5, "done", "beat")
    assert not RetentionRun.objects.filter(rule__in=["dormant-notice", "dormant-erase"]).exists()


def _command_env(**extra) -> dict:
    database_url = urlparse(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cinema.settings.test",
        "DATABASE_URL": database_url.geturl(),
        "MARQUEE_NO_BOOTSTRAP": "1",
        **extra,
    }


def test_a_run_killed_mid_way_is_continued_and_ends_as_an_uninterrupted_one(settings, tmp_path):
    old = make_events(40, days_old=100)
    fresh = set(make_events(5, days_old=10))
    log = tmp_path / "run.log"
    # Slow batches of 4 rows (a pause after each), so the kill lands mid-run.
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_retention", "--rule", TRACKING, "--batch-size", "4"],
            cwd=ROOT,
            env=_command_env(MARQUEE_RETENTION_BATCH_PAUSE_MS="200"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: (
                process.poll() is not None
                or RetentionRun.objects.filter(rule=TRACKING, batches__gte=3).exists()
            ),
            timeout=60,
            what="a few committed batches",
        )
        assert process.poll() is None, log.read_text()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    killed = RetentionRun.objects.get(rule=TRACKING)
    assert killed.status == "running"  # nobody was left to say otherwise
    # The walk goes by (date, id); the old rows share one date, so by id here.
    _date, _space, position = killed.checkpoint.partition(" ")
    left = set(TrackingEvent.objects.values_list("pk", flat=True))
    # Everything before the checkpoint is gone, the rest of the old rows are still there.
    assert left == {pk for pk in old if pk >= int(position)} | fresh
    assert 0 < killed.rows < len(old)
    assert killed.rows == len([pk for pk in old if pk < int(position)])

    # While its heartbeat is fresh the rule counts as running elsewhere...
    assert retention.run_rule(TRACKING) == []
    # ...and once it is stale the next start continues it from the checkpoint.
    settings.PRIVACY_RETENTION_STALE_AFTER = timedelta(0)
    resumed, fresh_run = retention.run_rule(TRACKING, batch_size=4)

    killed.refresh_from_db()
    assert killed.status == "interrupted"
    assert (resumed.resumed_from_id, resumed.status) == (killed.pk, "done")
    assert killed.rows + resumed.rows == len(old)
    assert fresh_run.rows == 0
    assert set(TrackingEvent.objects.values_list("pk", flat=True)) == fresh
