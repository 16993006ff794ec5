"""A material policy change is emailed to every member by a real worker, exactly once."""

import pytest
from django.db import transaction
from django.utils import timezone

from privacy.models import PolicyNotification, PolicyVersion
from privacy.services import policies
from privacy.tasks import notify_policy_change
from tests.factories import make_member
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def policy_emails(outbox_dir, marker):
    return [
        text
        for path in outbox_dir.glob("*.log")
        for text in [path.read_text()]
        if "significant changes" in text and marker in text
    ]


def draft(version):
    return PolicyVersion.objects.create(
        document="privacy",
        language="en",
        version=version,
        title="Privacy policy",
        body="New wording.",
        summary_of_changes="We explain retention better.",
        is_material=True,
        effective_from=timezone.localdate(),
    )


def test_publishing_emails_every_member_once_through_the_worker(celery_worker, worker_outbox):
    members = [make_member(email=f"policy.worker{n}@example.com") for n in range(3)]
    version = draft("2026-11-21-worker")

    with transaction.atomic():
        policies.publish_version(version, actor=None)

    wait_for(
        lambda: PolicyNotification.objects.filter(
            policy_version=version, finished_at__isnull=False
        ).exists(),
        what="the notification to finish",
    )
    wait_for(
        lambda: len(policy_emails(worker_outbox, "policy.worker")) >= 3,
        what="three policy emails to be delivered",
    )
    delivered = policy_emails(worker_outbox, "policy.worker")
    for member in members:
        assert sum(member.email in text for text in delivered) == 1


def test_a_restarted_notification_resumes_after_its_checkpoint(celery_worker, worker_outbox):
    members = [make_member(email=f"policy.resume{n}@example.com") for n in range(3)]
    version = draft("2026-11-21-resume")
    PolicyVersion.objects.filter(pk=version.pk).update(published_at=timezone.now())
    # A previous worker queued the first member's email, committed, and was killed.
    PolicyNotification.objects.create(
        policy_version=version, last_user_id=members[0].pk, sent_count=1
    )

    notify_policy_change.delay(version.pk)

    wait_for(
        lambda: len(policy_emails(worker_outbox, "policy.resume")) >= 2,
        what="the remaining policy emails",
    )
    wait_for(
        lambda: PolicyNotification.objects.filter(
            policy_version=version, finished_at__isnull=False
        ).exists(),
        what="the notification to finish",
    )
    delivered = policy_emails(worker_outbox, "policy.resume")
    assert not any(members[0].email in text for text in delivered)
    for member in members[1:]:
        assert sum(member.email in text for text in delivered) == 1
    assert PolicyNotification.objects.get(policy_version=version).sent_count == 3
