"""Work enqueued on commit is carried out by a real Celery worker process."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from cinema.models import OutboundEmail
from cinema.tasks import requeue_stale_emails
from tests.conftest import redis_url_for_this_process
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def delivered_messages(outbox_dir):
    return [path.read_text() for path in outbox_dir.glob("*.log")]


@pytest.fixture
def queued_email(settings):
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"


def test_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_signup_verification_email_is_delivered_by_the_worker(
    client, celery_worker, queued_email, worker_outbox
):
    client.post(
        reverse("account_signup"),
        {
            "email": "worker.test@example.com",
            "first_name": "Wanda",
            "last_name": "Worker",
            "date_of_birth": "1990-06-01",
            "password1": "popcorn-and-a-film-42",
            "password2": "popcorn-and-a-film-42",
            "preferred_language": "en",
        },
    )

    messages = wait_for(
        lambda: [m for m in delivered_messages(worker_outbox) if "worker.test@example.com" in m],
        what="the verification email",
    )
    assert "/accounts/confirm-email/" in messages[0]
    wait_for(lambda: not OutboundEmail.objects.exists(), what="the outbox row to be removed")


def test_expired_sessions_are_cleared_by_the_worker(celery_worker):
    expired, live = SessionStore(), SessionStore()
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )

    with transaction.atomic():
        transaction.on_commit(clear_expired_sessions.delay)

    wait_for(
        lambda: not Session.objects.filter(session_key=expired.session_key).exists(),
        what="the expired session to be deleted",
    )
    assert Session.objects.filter(session_key=live.session_key).exists()


def test_sweeper_delivers_email_whose_task_was_lost(celery_worker, worker_outbox):
    lost = OutboundEmail.objects.create(
        payload={"subject": "Lost and found", "body": "Hello", "from_email": "a@example.com",
                 "to": ["lost.message@example.com"], "cc": [], "bcc": [], "reply_to": [],
                 "headers": {}, "alternatives": []},
    )  # fmt: skip
    OutboundEmail.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    requeue_stale_emails.delay()

    wait_for(
        lambda: any("lost.message@example.com" in m for m in delivered_messages(worker_outbox)),
        what="the swept email to be delivered",
    )
    wait_for(lambda: not OutboundEmail.objects.filter(pk=lost.pk).exists(), what="row removal")


def test_healthz_is_green_on_postgresql_and_redis(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url_for_this_process(),
            "KEY_PREFIX": "healthz-test",
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": {"ok": True},
        "cache": {"ok": True},
        "broker": {"ok": True},
    }
