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


# --- Privacy requests and the breach register ---------------------------------------------


@shared_task(name="privacy.expire_unverified_requests")
def expire_unverified_requests() -> None:
    # Each request is re-read under a lock and closed once: running twice closes nothing twice.
    from privacy.services import requests

    requests.expire_unverified()


@shared_task(name="privacy.notify_breach_members", acks_late=True)
def notify_breach_members(breach_id: int, actor_id: int | None = None) -> None:
    # Idempotent (each member's notified_at commits with their email): a redelivered or
    # duplicate message mails only those not told yet.
    from privacy.services import breaches

    breaches.notify_affected_members(breach_id, actor_id=actor_id)


# --- Erasure ------------------------------------------------------------------------------


@shared_task(name="privacy.run_erasure", acks_late=True)
def run_erasure(job_id: int) -> None:
    # Idempotent: claimed atomically, resumes from its checkpoint; a redelivered or
    # duplicate message finds the job done or running and does nothing.
    from privacy.services import erasure

    erasure.run_erasure(job_id)


@shared_task(name="privacy.run_erasures", acks_late=True)
def run_erasures(job_ids: list[int]) -> None:
    # Many due jobs together (shared census, statements and finish; erasure.run_erasures).
    # Idempotent like run_erasure: each job is claimed atomically, and one that is done or
    # running elsewhere is skipped; a member's failure is recorded on its job.
    from privacy.services import erasure

    erasure.run_erasures(job_ids)


@shared_task(name="privacy.sweep_erasures")
def sweep_erasures() -> None:
    from privacy.services import erasure

    due = erasure.jobs_to_run()
    for start in range(0, len(due), erasure.GROUP_SIZE):
        run_erasures.delay(due[start : start + erasure.GROUP_SIZE])
    erasure.purge_undelivered_notices()
    erasure.log_overdue()


# --- Retention ----------------------------------------------------------------------------


@shared_task(name="privacy.schedule_retention")
def schedule_retention(group: str = "daily") -> None:
    # One task per rule, so that several workers share the rules of a group.
    from privacy.services import retention

    for name in retention.rule_names(group=group):
        run_retention_rule.delay(name)


@shared_task(name="privacy.run_retention_rule", acks_late=True)
def run_retention_rule(name: str, trigger: str = "beat") -> None:
    # Idempotent: one running run per rule (a duplicate message finds it busy and stops),
    # and a run continues from the last committed checkpoint of a killed or failed one.
    from privacy.services import retention

    retention.run_rule(name, trigger=trigger)


@shared_task(name="privacy.resume_retention")
def resume_retention() -> None:
    from privacy.services import retention

    for name in retention.resume_interrupted():
        run_retention_rule.delay(name, trigger="resume")


# --- Exports (download my data) -----------------------------------------------------------


@shared_task(name="privacy.build_export", acks_late=True)
def build_export(export_id: int) -> None:
    # Idempotent: the export is claimed by a conditional update (a duplicate or redelivered
    # message finds it building or ready and stops), and every attempt starts from scratch.
    from privacy.services import export

    export.build_export(export_id)


@shared_task(name="privacy.requeue_stale_exports")
def requeue_stale_exports() -> None:
    from privacy.services import export

    for export_id in export.stale_exports():
        build_export.delay(export_id)


@shared_task(name="privacy.expire_exports")
def expire_exports() -> None:
    from privacy.services import export

    export.expire_exports()
