"""Exports built by a real Celery worker process, against PostgreSQL and Redis."""

import email
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from privacy import tasks
from privacy.models import DataExport
from privacy.services import export
from tests.factories import PASSWORD
from tests.integration.conftest import wait_for
from tests.privacy.test_export import BOLAT_TRACES, read_zip, records, seed_two_members

pytestmark = pytest.mark.django_db(transaction=True)

Status = DataExport.Status


@pytest.fixture
def members():
    aruzhan, bolat = seed_two_members()
    yield aruzhan, bolat
    # The worker writes to the test settings' export folder: leave nothing behind there.
    for data_export in DataExport.objects.exclude(file_name=""):
        export.file_path(data_export).unlink(missing_ok=True)


def ready_mail(outbox_dir, address) -> list[email.message.Message]:
    found = []
    for path in outbox_dir.glob("*.log"):
        for chunk in path.read_text().split("-" * 79):
            message = email.message_from_string(chunk.strip()) if chunk.strip() else None
            if message and message["To"] == address and "ready" in (message["Subject"] or ""):
                found.append(message)
    return found


def text_of(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def test_the_worker_builds_the_export_and_the_emailed_link_downloads_it(
    client, celery_worker, worker_outbox, members, settings
):
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    aruzhan, bolat = members

    with transaction.atomic():
        data_export = export.request_export(aruzhan)

    wait_for(
        lambda: DataExport.objects.get(pk=data_export.pk).status == Status.READY,
        timeout=60,
        what="the worker to build the export",
    )
    data_export.refresh_from_db()
    entries = read_zip(export.file_path(data_export))
    assert sorted(b["code"] for b in records(entries, "bookings")) == ["ARU001", "ARU002"]
    assert len(records(entries, "activity")) == 3
    everything = b"".join(entries.values())
    assert not [t for t in BOLAT_TRACES if t.encode() in everything]

    [message] = wait_for(lambda: ready_mail(worker_outbox, aruzhan.email), what="the email")
    link = re.search(r"https?://\S+(/privacy/export/download/[^/\s]+/)", text_of(message))
    client.force_login(aruzhan)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == export.file_path(data_export).read_bytes()

    # A duplicate message for the same export (redelivery) changes nothing.
    tasks.build_export.delay(data_export.pk)
    client.force_login(bolat)
    assert client.get(link.group(1)).status_code == 404
    lost = DataExport.objects.create(
        user=bolat, created_at=timezone.now() - export.QUEUED_GRACE - timedelta(minutes=1)
    )
    tasks.requeue_stale_exports.delay()  # the sweeper finds the export whose message was lost
    wait_for(
        lambda: DataExport.objects.get(pk=lost.pk).status == Status.READY,
        timeout=60,
        what="the sweeper's re-enqueued build",
    )
    data_export.refresh_from_db()
    assert (data_export.status, data_export.attempts) == (Status.READY, 1)
    assert not ready_mail(worker_outbox, aruzhan.email)[1:]
