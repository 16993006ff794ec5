"""Telling the members affected by a breach, through a real Celery worker and the outbox."""

import email

import pytest
from django.db import transaction

from privacy.models import BreachAffectedMember, DataBreach
from privacy.services import breaches
from tests.factories import make_member
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "[Marquee] Important: a security incident affecting your data"


def delivered(outbox_dir, address):
    found = []
    for path in outbox_dir.glob("*.log"):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                if message["To"] == address and message["Subject"] == SUBJECT:
                    found.append(message)
    return found


def test_the_worker_emails_every_affected_member_once(celery_worker, worker_outbox, settings):
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    members = [make_member(email=f"breach.worker{n}@example.com") for n in range(3)]
    breach = DataBreach(title="Worker breach", description="A list leaked.", categories=["contact"])
    breaches.save_breach(breach, actor=None)
    breaches.add_affected_members(breach, members, actor=None)

    with transaction.atomic():
        assert breaches.start_member_notification(breach, actor=None) == 3

    wait_for(
        lambda: DataBreach.objects.get(pk=breach.pk).members_notified_at is not None,
        what="the members to be notified",
    )
    for member in members:
        wait_for(lambda m=member: delivered(worker_outbox, m.email), what=f"mail to {member.pk}")
    assert not BreachAffectedMember.objects.filter(breach=breach, notified_at=None).exists()

    # A second notification (a redelivered or repeated task) mails nobody again.
    assert breaches.notify_affected_members(breach.pk).notified == 0
    assert all(len(delivered(worker_outbox, m.email)) == 1 for m in members)
