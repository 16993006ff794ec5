"""Sending a marketing campaign to everyone who agreed to it, and to nobody else (M5, M13).

Design:

- The audience is chosen by one function, :func:`campaign_audience`: members whose current
  consent allows the channel, who are active and have an address for it. Suppressed
  addresses are dropped per batch (their hashes cannot be matched in SQL). Members who
  restricted processing are left out by ``consent.members_allowing`` (see
  ``privacy.services.restriction``); each batch asks again, so a restriction switched on
  halfway through a campaign stops its remaining messages, by email and by SMS.
- Staff start a campaign (:func:`start_campaign`, status draft -> sending); the task
  ``privacy.send_campaign`` is enqueued after commit and calls :func:`send_campaign`.
- Work goes in batches of members by primary-key range (``PRIVACY_CAMPAIGN_BATCH_SIZE``).
  Each batch is one transaction holding a lock on the campaign row: it inserts one
  ``CampaignDelivery`` per recipient (unique per campaign and member), queues the emails in
  the outbox (cinema.mail, also rows of this transaction) and advances the checkpoint
  ``last_member_id``. A crash rolls the whole batch back, and a re-run, or a second worker,
  continues from the checkpoint, so no member gets a campaign twice.
- SMS leave through an HTTP gateway, outside any transaction: the delivery row is
  committed first (at most once), then the message is sent; a refused message gives its
  row back (it is logged by ids and not retried: the checkpoint has moved on), an
  unanswered one (timeout) keeps it, because it may have been sent.
- A sweeper (:func:`stalled_campaigns`, beat every 10 minutes) re-enqueues a campaign that
  stopped moving while "sending".
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cinema.mail import render_text
from privacy.models import Campaign, CampaignDelivery, Channel
from privacy.services import consent, marketing, suppression
from privacy.sms import GatewayError, GatewayTimeout, get_gateway

logger = logging.getLogger(__name__)

STALLED_AFTER = timedelta(minutes=15)


class CampaignError(Exception):
    pass


def campaign_audience(channel: str):
    """Return the members marketing on ``channel`` may reach, before suppression.

    Members whose current consent allows the channel's purpose and who have not restricted
    processing (both in ``consent.members_allowing``), who are active and have an address
    for it.
    """
    purpose = marketing.PURPOSE_OF[channel]
    members = get_user_model().objects.filter(
        is_active=True, pk__in=consent.members_allowing(purpose)
    )
    if channel == Channel.SMS:
        return members.exclude(phone="")
    return members.exclude(email="")


def _address(user, channel: str) -> str:
    return user.email if channel == Channel.EMAIL else str(user.phone or "")


def _next_batch(campaign: Campaign, *, size: int) -> tuple[list, int | None]:
    """Return (recipients, last member id looked at) of the next batch; (…, None) when done."""
    candidates = list(
        campaign_audience(campaign.channel)
        .filter(pk__gt=campaign.last_member_id)
        .order_by("pk")[:size]
    )
    if not candidates:
        return [], None
    hashes = {}
    for user in candidates:
        try:
            hashes[user.pk] = suppression.hash_value(
                channel=campaign.channel, value=_address(user, campaign.channel)
            )
        except ValueError:
            continue  # an address that does not parse is never messaged
    blocked = suppression.suppressed_hashes(channel=campaign.channel, hashes=hashes.values())
    done = set(
        CampaignDelivery.objects.filter(
            campaign=campaign, user_id__in=[u.pk for u in candidates]
        ).values_list("user_id", flat=True)
    )
    recipients = [
        user
        for user in candidates
        if user.pk in hashes and hashes[user.pk] not in blocked and user.pk not in done
    ]
    return recipients, candidates[-1].pk


def start_campaign(campaign_id: int, *, actor) -> bool:
    """Move a draft campaign to "sending" and enqueue its sending after commit.

    Returns False (and does nothing) for a campaign that is not a draft.
    """
    from privacy.tasks import send_campaign as send_campaign_task

    with transaction.atomic():
        started = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.SENDING, updated_at=timezone.now()
        )
        if started:
            transaction.on_commit(lambda: send_campaign_task.delay(campaign_id))
    if started:
        logger.info(
            "privacy.campaign.started campaign=%s actor=%s",
            campaign_id,
            getattr(actor, "pk", None),
        )
    return bool(started)


def send_campaign(campaign_id: int, *, batch_size: int | None = None) -> int:
    """Send a "sending" campaign to the rest of its audience; return how many got it now.

    Safe to run twice, concurrently, or after a crash: see the module docstring. A
    campaign that is a draft or already sent is left alone.
    """
    size = batch_size or settings.PRIVACY_CAMPAIGN_BATCH_SIZE
    sent = 0
    while True:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if campaign is None or campaign.status != Campaign.Status.SENDING:
                return sent
            recipients, last_id = _next_batch(campaign, size=size)
            if last_id is None:
                now = timezone.now()
                Campaign.objects.filter(pk=campaign.pk).update(
                    status=Campaign.Status.SENT, sent_at=now, updated_at=now
                )
                logger.info(
                    "privacy.campaign.finished campaign=%s sent=%s",
                    campaign.pk,
                    campaign.sent_count,
                )
                return sent
            CampaignDelivery.objects.bulk_create(
                [CampaignDelivery(campaign=campaign, user=user) for user in recipients]
            )
            if campaign.channel == Channel.EMAIL:
                for user in recipients:
                    _send_email(campaign, user)
            Campaign.objects.filter(pk=campaign.pk).update(
                last_member_id=last_id,
                sent_count=F("sent_count") + len(recipients),
                updated_at=timezone.now(),
            )
        if campaign.channel == Channel.SMS:
            recipients = _send_sms_batch(campaign, recipients)
        sent += len(recipients)
        logger.info(
            "privacy.campaign.batch campaign=%s up_to_member=%s sent=%s",
            campaign.pk,
            last_id,
            len(recipients),
        )


def render_campaign_email(campaign: Campaign, user) -> EmailMultiAlternatives:
    """Return the campaign's email to ``user``, with one-click unsubscribe headers."""
    from cinema.services.booking_emails import language_for

    unsubscribe_url = marketing.unsubscribe_url(user, channel=Channel.EMAIL)
    with translation.override(language_for(user)):
        context = {
            "campaign": campaign,
            "member": user,
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": marketing.site_url(reverse("privacy:marketing")),
            "site_name": settings.SITE_NAME,
            "language": translation.get_language(),
        }
        text = render_text("emails/marketing_campaign_message.txt", context)
        html = render_to_string("emails/marketing_campaign_message.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(campaign.subject.split()),
        body=text,
        to=[user.email],
        headers=marketing.list_unsubscribe_headers(user),
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_email(campaign: Campaign, user) -> None:
    # The outbox backend stores the message in this transaction: it leaves only if the
    # batch (deliveries + checkpoint) commits.
    render_campaign_email(campaign, user).send()


def sms_text(campaign: Campaign, user) -> str:
    from cinema.services.booking_emails import language_for

    with translation.override(language_for(user)):
        footer = translation.gettext("Reply STOP to opt out.")
    return f"{campaign.body.strip()}\n{footer}"


def _send_sms_batch(campaign: Campaign, recipients: list) -> list:
    """Send the SMS of a committed batch; return the members it reached."""
    gateway = get_gateway()
    reached = []
    for user in recipients:
        reference = f"campaign-{campaign.pk}-member-{user.pk}"
        try:
            gateway.send(to=str(user.phone), text=sms_text(campaign, user), reference=reference)
        except GatewayTimeout:
            # It may have been sent: keep the delivery so that it is never sent twice.
            logger.warning(
                "privacy.campaign.sms_unknown campaign=%s member=%s", campaign.pk, user.pk
            )
            reached.append(user)
        except GatewayError:
            # Not sent: give the delivery back so the count tells the truth.
            with transaction.atomic():
                CampaignDelivery.objects.filter(campaign=campaign, user=user).delete()
                Campaign.objects.filter(pk=campaign.pk).update(sent_count=F("sent_count") - 1)
            logger.warning(
                "privacy.campaign.sms_failed campaign=%s member=%s", campaign.pk, user.pk
            )
        else:
            reached.append(user)
    return reached


def stalled_campaigns(*, now=None, stalled_after: timedelta = STALLED_AFTER) -> list[int]:
    """Return ids of campaigns "sending" without progress for ``stalled_after``."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            status=Campaign.Status.SENDING, updated_at__lt=now - stalled_after
        ).values_list("pk", flat=True)
    )
