"""A marketing campaign sent by a real Celery worker, through the real outbox."""

import email
import re

import pytest
from django.db import transaction

from privacy.models import Campaign, CampaignDelivery
from privacy.services import campaigns, consent
from tests.integration.conftest import wait_for
from tests.privacy.marketing_helpers import make_campaign, make_subscriber

pytestmark = pytest.mark.django_db(transaction=True)


def delivered(outbox_dir, address):
    """Return the parsed campaign messages the worker delivered to ``address``."""
    found = []
    for path in outbox_dir.glob("*.log"):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                if message["To"] == address and message["Subject"] == "Worker premiere":
                    found.append(message)
    return found


def test_the_worker_sends_a_campaign_once_to_consenting_members_only(
    client, celery_worker, worker_outbox, settings
):
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    fans = [make_subscriber(email=f"worker.fan{n}@example.com") for n in range(3)]
    make_subscriber(email_marketing=False, email="worker.quiet@example.com")
    campaign = make_campaign(subject="Worker premiere", body="See it first.")

    with transaction.atomic():
        assert campaigns.start_campaign(campaign.pk, actor=None)

    wait_for(
        lambda: Campaign.objects.get(pk=campaign.pk).status == "sent", what="the campaign to finish"
    )
    for fan in fans:
        wait_for(lambda fan=fan: delivered(worker_outbox, fan.email), what=f"mail to {fan.pk}")
    assert CampaignDelivery.objects.filter(campaign=campaign).count() == 3
    assert not delivered(worker_outbox, "worker.quiet@example.com")

    # What the worker delivered is a real message: its one-click URL unsubscribes.
    [message] = delivered(worker_outbox, fans[0].email)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = re.sub(r"\r?\n[ \t]+", " ", message["List-Unsubscribe"]).strip()  # unfold
    path = re.fullmatch(r"<https?://[^/]+(/privacy/unsubscribe/[^>]+/)>", header).group(1)
    assert client.post(path).status_code == 200
    assert not consent.allows(fans[0], consent.MARKETING_EMAIL)

    # Running it again (a redelivered task) sends nothing more.
    campaigns.send_campaign(campaign.pk)
    assert CampaignDelivery.objects.filter(campaign=campaign).count() == 3
