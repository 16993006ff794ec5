"""Campaigns reach exactly the members who agreed, once, in batches that survive a crash."""

import json
import logging
from datetime import timedelta

import pytest
import responses
from django.contrib.admin.sites import site as admin_site
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cinema.models import OutboundEmail
from privacy.models import Campaign, CampaignDelivery
from privacy.services import campaigns, consent, marketing, suppression
from privacy.tasks import resume_stalled_campaigns
from tests.factories import make_member
from tests.privacy.marketing_helpers import make_campaign, make_subscriber

pytestmark = pytest.mark.django_db

GATEWAY_URL = "https://sms-gateway.example/v1/messages"


def start_and_send(campaign, **kwargs) -> int:
    campaigns.start_campaign(campaign.pk, actor=None)
    # On-commit callbacks never run inside the test's transaction: send directly.
    return campaigns.send_campaign(campaign.pk, **kwargs)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_only_members_whose_consent_allows_it_get_a_campaign():
    agreed = make_subscriber(email="agreed@example.com")
    make_member(email="never-asked@example.com")
    make_subscriber(email_marketing=False, email="declined@example.com")
    withdrew = make_subscriber(email="withdrew@example.com")
    marketing.opt_out(withdrew, channel="email", source=consent.Source.SETTINGS)
    make_subscriber(email="inactive@example.com", is_active=False)
    suppressed = make_subscriber(email="suppressed@example.com")
    suppression.suppress(channel="email", value=suppressed.email, reason="complaint")
    make_subscriber(email_marketing=False, sms_marketing=True, email="sms-only@example.com")
    campaign = make_campaign(subject="Autumn premieres")

    sent = start_and_send(campaign)

    assert sent == 1
    assert recipients() == ["agreed@example.com"]
    assert mail.outbox[0].subject == "Autumn premieres"
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_count) == ("sent", 1)
    assert campaign.sent_at is not None
    assert list(CampaignDelivery.objects.values_list("user_id", flat=True)) == [agreed.pk]


def test_a_campaign_email_carries_the_text_and_the_unsubscribe_headers():
    member = make_subscriber(preferred_language="ru")
    campaign = make_campaign(body="Новые фильмы.")

    start_and_send(campaign)

    [message] = mail.outbox
    assert "Новые фильмы." in message.body
    assert "Новые фильмы." in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<{marketing.unsubscribe_url(member, channel='email')}>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_tiny_batches_reach_everyone_exactly_once_and_advance_the_checkpoint():
    members = [make_subscriber() for _ in range(5)]
    campaign = make_campaign()

    sent = start_and_send(campaign, batch_size=2)

    assert sent == 5
    assert recipients() == sorted(m.email for m in members)
    campaign.refresh_from_db()
    assert campaign.last_member_id == members[-1].pk
    assert campaign.sent_count == 5


def test_running_a_campaign_again_sends_nothing_twice():
    make_subscriber()
    make_subscriber()
    campaign = make_campaign()
    start_and_send(campaign)

    assert campaigns.send_campaign(campaign.pk) == 0  # already sent: a no-op
    # Even with the checkpoint lost, the deliveries stop a second message.
    Campaign.objects.filter(pk=campaign.pk).update(status="sending", last_member_id=0)
    assert campaigns.send_campaign(campaign.pk) == 0

    assert len(mail.outbox) == 2
    assert CampaignDelivery.objects.count() == 2


def test_a_crash_mid_way_loses_the_batch_and_the_rerun_finishes_without_duplicates(settings):
    settings.EMAIL_BACKEND = "tests.privacy.marketing_helpers.BrokenForBoomBackend"
    make_subscriber(email="first@example.com")
    make_subscriber(email="second@example.com")
    make_subscriber(email="boom@example.com")
    last = make_subscriber(email="last@example.com")
    campaign = make_campaign()
    campaigns.start_campaign(campaign.pk, actor=None)

    with pytest.raises(ConnectionError):
        campaigns.send_campaign(campaign.pk, batch_size=2)

    campaign.refresh_from_db()
    assert campaign.status == "sending"
    assert CampaignDelivery.objects.count() == campaign.sent_count == 2  # the first batch only
    assert OutboundEmail.objects.count() == 2
    assert campaign.last_member_id == User.objects.get(email="second@example.com").pk

    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"  # the disk was freed
    assert campaigns.send_campaign(campaign.pk, batch_size=2) == 2

    queued = sorted(address for row in OutboundEmail.objects.all() for address in row.payload["to"])
    assert queued == ["boom@example.com", "first@example.com", "last@example.com",
                      "second@example.com"]  # fmt: skip
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_count, campaign.last_member_id) == ("sent", 4, last.pk)


def test_a_draft_is_not_sent_and_a_sent_campaign_cannot_be_started_again():
    make_subscriber()
    campaign = make_campaign()

    assert campaigns.send_campaign(campaign.pk) == 0
    assert mail.outbox == []
    start_and_send(campaign)
    assert campaigns.start_campaign(campaign.pk, actor=None) is False


def test_a_stalled_campaign_is_resumed_by_the_sweeper():
    make_subscriber()
    campaign = make_campaign(status="sending", updated_at=timezone.now() - timedelta(hours=1))
    moving = make_campaign(status="sending")

    assert campaigns.stalled_campaigns() == [campaign.pk]
    resume_stalled_campaigns.delay()  # eager in unit tests

    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert len(mail.outbox) == 1
    moving.refresh_from_db()
    assert moving.status == "sending"


def test_staff_send_a_campaign_with_the_admin_action(
    admin_client, django_capture_on_commit_callbacks
):
    make_subscriber(email="fan@example.com")
    admin_client.post(
        reverse("admin:privacy_campaign_add"),
        {"channel": "email", "subject": "Premiere night", "body": "Come early."},
    )
    campaign = Campaign.objects.get()
    assert campaign.created_by == User.objects.get(is_superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:privacy_campaign_changelist"),
            {"action": "send_campaigns", "_selected_action": [campaign.pk]},
            follow=True,
        )

    assert "being sent" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert recipients() == ["fan@example.com"]
    assert admin_site.is_registered(Campaign)


@responses.activate
def test_an_sms_campaign_goes_through_the_http_gateway_to_consenting_phones(settings):
    settings.PRIVACY_SMS_GATEWAY = "privacy.sms.HttpGateway"
    settings.PRIVACY_SMS_GATEWAY_URL = GATEWAY_URL
    settings.PRIVACY_SMS_GATEWAY_TOKEN = "gateway-token"
    responses.post(GATEWAY_URL, json={"id": "msg-1"}, status=202)
    agreed = make_subscriber(email_marketing=False, sms_marketing=True, phone="+77011234567")
    make_subscriber(email_marketing=True, phone="+77012222222")  # email only
    make_subscriber(sms_marketing=True)  # no phone: nothing to send to
    stopped = make_subscriber(sms_marketing=True, phone="+77013333333")
    suppression.suppress(channel="sms", value=str(stopped.phone), reason="sms_stop")
    campaign = make_campaign(channel="sms", subject="", body="2-for-1 on Tuesday.")

    assert start_and_send(campaign) == 1

    [call] = responses.calls
    assert call.request.headers["Authorization"] == "Bearer gateway-token"
    payload = json.loads(call.request.body)
    assert payload["to"] == "+77011234567"
    assert payload["text"].startswith("2-for-1 on Tuesday.")
    assert "Reply STOP" in payload["text"]
    assert payload["reference"] == f"campaign-{campaign.pk}-member-{agreed.pk}"
    assert mail.outbox == []


@responses.activate
def test_a_refused_sms_is_not_counted_as_sent(settings, caplog):
    settings.PRIVACY_SMS_GATEWAY = "privacy.sms.HttpGateway"
    settings.PRIVACY_SMS_GATEWAY_URL = GATEWAY_URL
    responses.post(GATEWAY_URL, json={"error": "number barred"}, status=400)
    member = make_subscriber(email_marketing=False, sms_marketing=True, phone="+77011234567")
    campaign = make_campaign(channel="sms", body="Offer")

    with caplog.at_level(logging.INFO):
        assert start_and_send(campaign) == 0

    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_count) == ("sent", 0)
    assert not CampaignDelivery.objects.exists()
    assert "privacy.campaign.sms_failed" in caplog.text
    assert str(member.phone) not in caplog.text and "7011234567" not in caplog.text


def test_the_console_gateway_logs_ids_only(caplog):
    make_subscriber(email_marketing=False, sms_marketing=True, phone="+77011234567")
    campaign = make_campaign(channel="sms", body="Secret offer text")

    with caplog.at_level(logging.INFO):
        assert start_and_send(campaign) == 1

    assert "privacy.sms.console_send" in caplog.text
    assert "7011234567" not in caplog.text
    assert "Secret offer text" not in caplog.text
