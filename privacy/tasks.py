"""Celery tasks of the privacy app: thin wrappers that take ids and call one service."""

from celery import shared_task

from privacy.services import campaigns, policy_notifications, tracking


@shared_task(name="privacy.send_campaign", acks_late=True)
def send_campaign(campaign_id: int) -> None:
    # Idempotent (checkpoint + unique deliveries), so a redelivered message is harmless.
    campaigns.send_campaign(campaign_id)


@shared_task(name="privacy.resume_stalled_campaigns")
def resume_stalled_campaigns() -> None:
    for campaign_id in campaigns.stalled_campaigns():
        send_campaign.delay(campaign_id)


@shared_task(name="privacy.flush_tracking_buffer", ignore_result=True)
def flush_tracking_buffer() -> None:
    # At least once and idempotent (unique event ids), so overlapping runs are harmless.
    tracking.flush_buffer()


@shared_task(name="privacy.notify_policy_change", acks_late=True)
def notify_policy_change(policy_version_id: int) -> None:
    # Idempotent (checkpoint committed with each batch's emails): a redelivered or
    # duplicate message resumes where the last one stopped, never mailing anyone twice.
    done = policy_notifications.notify_members(
        policy_version_id, max_batches=policy_notifications.BATCHES_PER_TASK
    )
    if not done:
        notify_policy_change.delay(policy_version_id)


@shared_task(name="privacy.resume_policy_notifications")
def resume_policy_notifications() -> None:
    for policy_version_id in policy_notifications.stale_notifications():
        notify_policy_change.delay(policy_version_id)
