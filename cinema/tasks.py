"""Celery tasks of the cinema app: thin wrappers that take ids and call a service."""

from celery import shared_task

from cinema.services import outbox, reminders


@shared_task(
    name="cinema.deliver_email",
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=outbox.MAX_ATTEMPTS,
)
def deliver_email(outbound_id: int) -> None:
    outbox.deliver_outbound_email(outbound_id)


@shared_task(name="cinema.requeue_stale_emails")
def requeue_stale_emails() -> None:
    for outbound_id in outbox.requeue_stale_outbound_emails():
        deliver_email.delay(outbound_id)


@shared_task(name="cinema.send_showtime_reminders")
def send_showtime_reminders() -> None:
    reminders.send_due_reminders()
