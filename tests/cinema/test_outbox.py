"""Outgoing email is queued in the database and delivered after commit, at least once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cinema.models import OutboundEmail
from cinema.services import outbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def queued_email(settings):
    """Use the project's backend (Django's test setup swaps in locmem for every test)."""
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"


def send(subject="Your booking", to="guest@example.com"):
    return mail.send_mail(subject, "Body text", None, [to])


def test_message_is_delivered_after_commit_and_leaves_nothing_behind():
    with transaction.atomic():
        send()
        assert mail.outbox == []  # nothing leaves before the change is committed

    assert [m.subject for m in mail.outbox] == ["Your booking"]
    assert not OutboundEmail.objects.exists()


def test_message_about_a_rolled_back_change_is_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        send()
        raise RuntimeError("booking failed")

    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_html_alternative_and_headers_survive_the_queue():
    message = mail.EmailMultiAlternatives(
        "Subject", "Plain", None, ["guest@example.com"], headers={"List-Id": "news"}
    )
    message.attach_alternative("<p>Rich</p>", "text/html")
    message.send()

    delivered = mail.outbox[0]
    assert delivered.alternatives[0][0] == "<p>Rich</p>"
    assert delivered.extra_headers["List-Id"] == "news"


def test_failed_delivery_is_kept_for_a_retry(settings):
    outbound = OutboundEmail.objects.create(
        payload={"subject": "s", "body": "b", "from_email": "a@example.com",
                 "to": ["b@example.com"], "cc": [], "bcc": [], "reply_to": [],
                 "headers": {}, "alternatives": []}
    )  # fmt: skip
    settings.EMAIL_DELIVERY_BACKEND = "tests.cinema.failing_backend.EmailBackend"

    with pytest.raises(ConnectionError):
        outbox.deliver_outbound_email(outbound.pk)

    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.QUEUED
    assert outbound.attempts == 1


def test_a_message_is_delivered_once_even_if_its_task_runs_twice():
    outbound = OutboundEmail.objects.create(
        payload={"subject": "s", "body": "b", "from_email": "a@example.com",
                 "to": ["b@example.com"], "cc": [], "bcc": [], "reply_to": [],
                 "headers": {}, "alternatives": []}
    )  # fmt: skip

    assert outbox.deliver_outbound_email(outbound.pk) is True
    assert outbox.deliver_outbound_email(outbound.pk) is False
    assert len(mail.outbox) == 1


def test_sweeper_requeues_messages_stuck_in_sending():
    stuck = OutboundEmail.objects.create(payload={}, status=OutboundEmail.Status.SENDING)
    fresh = OutboundEmail.objects.create(payload={}, status=OutboundEmail.Status.SENDING)
    OutboundEmail.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    requeued = outbox.requeue_stale_outbound_emails()

    assert requeued == [stuck.pk]
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == OutboundEmail.Status.QUEUED
    assert fresh.status == OutboundEmail.Status.SENDING
