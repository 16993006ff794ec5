"""Done means: a restricted member gets no campaign email and no tracking row (real worker).

Two members agreed to marketing email and analytics; one restricts processing. A real
Celery worker sends a campaign through the outbox and flushes usage events from Redis into
PostgreSQL: only the unrestricted member gets the email and has tracking rows, including
for the events the restricted member made before switching.
"""

import email

import pytest
import redis
from django.db import transaction
from django.test import Client
from django.urls import reverse

from privacy.models import Campaign, CampaignDelivery, TrackingEvent
from privacy.services import campaigns, consent, restriction
from privacy.tasks import flush_tracking_buffer
from tests.conftest import redis_url_for_this_process
from tests.factories import make_member
from tests.integration.conftest import wait_for
from tests.privacy.marketing_helpers import make_campaign

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "Restricted premiere"


@pytest.fixture(autouse=True)
def redis_buffer(settings):
    """Buffer usage events in this test process's Redis database (the worker reads it)."""
    settings.REDIS_URL = redis_url_for_this_process()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(settings.PRIVACY_TRACKING_REDIS_KEY)
    yield client
    client.delete(settings.PRIVACY_TRACKING_REDIS_KEY)


def delivered(outbox_dir, address):
    found = []
    for path in outbox_dir.glob("*.log"):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                if message["To"] == address and message["Subject"] == SUBJECT:
                    found.append(message)
    return found


def browsing_member(address):
    member = make_member(email=address)
    consent.record_choices(
        consent.Subject.of(member),
        {consent.MARKETING_EMAIL: True, consent.ANALYTICS: True},
        source=consent.Source.SETTINGS,
    )
    client = Client()
    client.force_login(member)
    return member, client


def test_a_restricted_member_gets_no_campaign_email_and_no_tracking_row(
    celery_worker, worker_outbox, redis_buffer, settings
):
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    free, free_client = browsing_member("free.member@example.com")
    blocked, blocked_client = browsing_member("blocked.member@example.com")

    # Before the switch: both browse, and the events wait in Redis.
    free_client.get("/")
    blocked_client.get("/")
    blocked_client.get(reverse("cinema:programme"))
    assert redis_buffer.llen(settings.PRIVACY_TRACKING_REDIS_KEY) == 3

    restriction.restrict(blocked)

    # After the switch: the restricted member's pages are not even buffered.
    free_client.get(reverse("cinema:programme"))
    blocked_client.get("/")
    assert redis_buffer.llen(settings.PRIVACY_TRACKING_REDIS_KEY) == 4

    campaign = make_campaign(subject=SUBJECT, body="Only for those who may be reached.")
    with transaction.atomic():
        assert campaigns.start_campaign(campaign.pk, actor=None)
    flush_tracking_buffer.delay()

    wait_for(
        lambda: Campaign.objects.get(pk=campaign.pk).status == "sent", what="the campaign to end"
    )
    wait_for(lambda: delivered(worker_outbox, free.email), what="the campaign email")
    wait_for(
        lambda: redis_buffer.llen(settings.PRIVACY_TRACKING_REDIS_KEY) == 0,
        what="the worker to flush the buffer",
    )

    assert not delivered(worker_outbox, blocked.email)
    assert list(CampaignDelivery.objects.values_list("user_id", flat=True)) == [free.pk]
    assert TrackingEvent.objects.filter(user=free).count() == 2
    assert not TrackingEvent.objects.filter(user=blocked).exists()
