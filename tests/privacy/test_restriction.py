"""Restriction of processing: one switch stops every non-essential processing, in each place.

Each enforcement point has its own test: consent answers, campaigns (email and SMS, also
halfway through), tracking (page views, beacons, the script, the buffer flush),
recommendations and the "For you" page, optional markup. Service messages and bookings
continue. Lifting restores the member's earlier choices, untouched in the ledger.
"""

import json
import re
from datetime import timedelta

import pytest
import responses
from django.core import mail
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cinema.services import booking as booking_service
from cinema.services.recommendations import may_recommend, recommend_films
from cinema.services.reminders import send_due_reminders
from privacy.models import (
    AuditEntry,
    Campaign,
    CampaignDelivery,
    ConsentRecord,
    PolicyVersion,
    PrivacyRequest,
    ProcessingRestriction,
    TrackingEvent,
)
from privacy.services import audit, campaigns, consent, policies, policy_notifications, restriction
from privacy.services import tracking as tracking_service
from tests.cinema.factories import make_booking, make_film, make_genre, make_showtime
from tests.factories import make_member
from tests.privacy.marketing_helpers import make_campaign, make_subscriber

pytestmark = pytest.mark.django_db

EVERY_OPTIONAL = {p: True for p in consent.PURPOSES if p != consent.ESSENTIAL}
GATEWAY_URL = "https://sms-gateway.example/v1/messages"
TRACK = "/privacy/t/"


@pytest.fixture(autouse=True)
def spool(settings, tmp_path):
    """Usage events go to a spool folder of this test's own (the embedded-mode buffer)."""
    settings.REDIS_URL = ""
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "spool")


def agreeing_member(**fields):
    """A member who agreed to every optional purpose."""
    member = make_member(**fields)
    consent.record_choices(consent.Subject.of(member), EVERY_OPTIONAL, source="settings")
    return member


def fresh(user):
    """The same member as a new object, as the next request or task would load it."""
    return type(user).objects.get(pk=user.pk)


# --- The switch -------------------------------------------------------------------------------


def test_restricting_is_recorded_as_a_completed_request_and_audited():
    member = make_member()

    made = restriction.restrict(member)

    assert restriction.is_restricted(fresh(member))
    req = PrivacyRequest.objects.get(user=member)
    assert (req.type, req.status, req.self_service) == ("restriction", "completed", True)
    assert req.details == {"restricted": True}
    assert made.request == req
    entry = AuditEntry.objects.get(action=audit.Action.RESTRICTION_ON)
    assert (entry.subject_id, entry.actor_id) == (member.pk, member.pk)


def test_restricting_twice_records_one_change():
    member = make_member()

    first = restriction.restrict(member)
    second = restriction.restrict(fresh(member))

    assert first.pk == second.pk
    assert PrivacyRequest.objects.filter(user=member).count() == 1
    assert AuditEntry.objects.filter(action=audit.Action.RESTRICTION_ON).count() == 1


def test_lifting_is_recorded_and_lifting_again_does_nothing():
    member = make_member()
    restriction.restrict(member)

    assert restriction.lift(fresh(member)) is True
    assert restriction.lift(fresh(member)) is False

    assert not ProcessingRestriction.objects.exists()
    assert not restriction.is_restricted(fresh(member))
    lifted = PrivacyRequest.objects.filter(user=member).order_by("pk").last()
    assert (lifted.type, lifted.status, lifted.details) == (
        "restriction",
        "completed",
        {"restricted": False},
    )
    assert AuditEntry.objects.filter(action=audit.Action.RESTRICTION_OFF).count() == 1


def test_staff_acting_on_a_request_link_it_instead_of_a_self_service_record():
    member = make_member()
    officer = make_member(is_staff=True)
    from privacy.services import requests

    asked = requests.open_request("restriction", user=member, description="Please stop.")

    made = restriction.restrict(member, request=asked, actor=officer)

    assert made.request == asked
    assert PrivacyRequest.objects.filter(user=member).count() == 1
    entry = AuditEntry.objects.get(action=audit.Action.RESTRICTION_ON)
    assert (entry.actor_id, entry.subject_id) == (officer.pk, member.pk)


def test_the_check_costs_one_query_per_member_object(django_assert_num_queries):
    member = make_member()
    restriction.restrict(member)
    loaded = fresh(member)

    with django_assert_num_queries(1):
        for _ in range(5):
            assert restriction.is_restricted(loaded)
    with django_assert_num_queries(0):
        assert not consent.allows(loaded, consent.ANALYTICS)


# --- Consent -----------------------------------------------------------------------------------


def test_no_optional_purpose_is_allowed_while_restricted_and_the_ledger_is_untouched():
    member = agreeing_member()
    ledger_before = ConsentRecord.objects.filter(user=member).count()

    restriction.restrict(member)

    loaded = fresh(member)
    for purpose in EVERY_OPTIONAL:
        assert not consent.allows(loaded, purpose), purpose
        assert consent.granted(loaded, purpose), purpose  # the member's own answer is kept
    assert consent.allows(loaded, consent.ESSENTIAL)
    assert not consent.members_allowing(consent.MARKETING_EMAIL).filter(user_id=member.pk)
    assert ConsentRecord.objects.filter(user=member).count() == ledger_before


def test_lifting_restores_the_earlier_choices_at_once():
    member = agreeing_member()
    consent.record_choices(consent.Subject.of(member), {"analytics": False}, source="settings")
    restriction.restrict(member)

    restriction.lift(fresh(member))

    loaded = fresh(member)
    assert consent.allows(loaded, consent.MARKETING_EMAIL)
    assert consent.allows(loaded, consent.RECOMMENDATIONS)
    assert not consent.allows(loaded, consent.ANALYTICS)  # refused before: still refused
    assert consent.members_allowing(consent.MARKETING_EMAIL).filter(user_id=member.pk).exists()


def test_allows_folds_the_restriction_into_its_one_query(django_assert_num_queries):
    member = agreeing_member()
    restriction.restrict(member)
    loaded = fresh(member)

    with django_assert_num_queries(1):
        assert not consent.allows(loaded, consent.MARKETING_EMAIL)


# --- Campaigns ---------------------------------------------------------------------------------


def test_a_restricted_member_gets_no_campaign_email():
    kept = make_subscriber(email="kept@example.com")
    blocked = make_subscriber(email="blocked@example.com")
    restriction.restrict(blocked)
    campaign = make_campaign(subject="Winter premieres")

    campaigns.start_campaign(campaign.pk, actor=None)
    assert campaigns.send_campaign(campaign.pk) == 1

    assert [m.to for m in mail.outbox] == [["kept@example.com"]]
    assert list(CampaignDelivery.objects.values_list("user_id", flat=True)) == [kept.pk]


def test_a_restriction_switched_on_halfway_stops_the_rest_of_a_campaign():
    first, second, third = (make_subscriber() for _ in range(3))
    # The first batch went out before the member restricted processing.
    campaign = make_campaign(status=Campaign.Status.SENDING, last_member_id=first.pk)
    restriction.restrict(second)

    campaigns.send_campaign(campaign.pk, batch_size=1)

    assert [m.to for m in mail.outbox] == [[third.email]]
    assert not CampaignDelivery.objects.filter(user=second).exists()


@responses.activate
def test_a_restricted_member_gets_no_marketing_sms(settings):
    settings.PRIVACY_SMS_GATEWAY = "privacy.sms.HttpGateway"
    settings.PRIVACY_SMS_GATEWAY_URL = GATEWAY_URL
    responses.post(GATEWAY_URL, json={"id": "msg-1"}, status=202)
    make_subscriber(email_marketing=False, sms_marketing=True, phone="+77011234567")
    blocked = make_subscriber(email_marketing=False, sms_marketing=True, phone="+77019999999")
    restriction.restrict(blocked)
    campaign = make_campaign(channel="sms", subject="", body="2-for-1 on Tuesday.")

    campaigns.start_campaign(campaign.pk, actor=None)
    assert campaigns.send_campaign(campaign.pk) == 1

    assert [json.loads(call.request.body)["to"] for call in responses.calls] == ["+77011234567"]


# --- Tracking ----------------------------------------------------------------------------------


def test_a_restricted_members_page_views_are_not_recorded_and_get_no_script(client):
    member = agreeing_member()
    restriction.restrict(member)
    client.force_login(member)

    page = client.get(reverse("cinema:programme"))

    assert b"analytics.js" not in page.content
    assert len(tracking_service.get_buffer()) == 0
    tracking_service.flush_buffer()
    assert not TrackingEvent.objects.exists()


def test_a_restricted_members_beacons_are_dropped(client):
    member = agreeing_member()
    restriction.restrict(member)
    client.force_login(member)

    response = client.post(
        TRACK,
        json.dumps({"kind": "outbound_click", "path": "/", "target": "https://example.org/"}),
        content_type="text/plain",
        HTTP_SEC_FETCH_SITE="same-origin",
    )

    assert response.status_code == 204
    assert len(tracking_service.get_buffer()) == 0


def test_events_buffered_before_the_switch_are_dropped_at_flush(client):
    member, other = agreeing_member(), agreeing_member()
    client.force_login(member)
    client.get("/")
    client.get(reverse("cinema:programme"))
    client.force_login(other)
    client.get("/")
    assert len(tracking_service.get_buffer()) == 3

    restriction.restrict(member)
    result = tracking_service.flush_buffer()

    assert result.dropped == 2
    assert list(TrackingEvent.objects.values_list("user_id", flat=True)) == [other.pk]


def test_tracking_resumes_after_lifting(client):
    member = agreeing_member()
    restriction.restrict(member)
    restriction.lift(fresh(member))
    client.force_login(member)

    assert b"analytics.js" in client.get("/").content
    tracking_service.flush_buffer()
    assert TrackingEvent.objects.filter(user=member).count() == 1


# --- Recommendations ---------------------------------------------------------------------------


def test_no_recommendations_are_computed_while_restricted(django_assert_num_queries):
    member = agreeing_member()
    drama = make_genre(name="Drama")
    make_showtime(film=make_film(title="Quiet Harbour", genres=[drama]))
    from cinema.models import MemberPreferences

    MemberPreferences.objects.create(user=member).favourite_genres.set([drama])
    assert [r.film.title for r in recommend_films(fresh(member))] == ["Quiet Harbour"]

    restriction.restrict(member)
    loaded = fresh(member)

    assert may_recommend(loaded) is False
    loaded = fresh(member)
    with django_assert_num_queries(1):  # the consent check only: no history is read
        assert recommend_films(loaded) == []


def test_the_for_you_page_says_why_nothing_is_personalised(client):
    member = agreeing_member()
    restriction.restrict(member)
    client.force_login(member)

    page = client.get(reverse("cinema:for_you")).content.decode()

    assert "Nothing is personalised while processing is restricted" in page
    assert reverse("privacy:restriction") in page
    assert "Turn recommendations on" not in page


# --- Optional markup ---------------------------------------------------------------------------


def test_optional_markup_is_left_out_for_a_restricted_member():
    member = agreeing_member()
    template = Template(
        '{% load consent %}{% ifconsent "advertising" %}ADS{% else %}NONE{% endifconsent %}'
    )
    request = RequestFactory().get("/")
    request.user = fresh(member)

    class Consent:  # what privacy.middleware.consent puts on the request
        def allows(self, purpose):
            return consent.granted(request.user, purpose)

    request.consent = Consent()
    assert template.render(Context({"request": request})) == "ADS"

    restriction.restrict(member)
    request.user = fresh(member)
    assert template.render(Context({"request": request})) == "NONE"


# --- What continues ----------------------------------------------------------------------------


def test_bookings_confirmations_and_reminders_continue(mailoutbox):
    member = agreeing_member()
    restriction.restrict(member)
    soon = timezone.now() + timedelta(hours=2)
    showtime = make_showtime(film=make_film(title="Night Train"), starts_at=soon)

    booking = booking_service.book_seats(
        member, showtime_id=showtime.pk, seat_count=1, actor=member
    )
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert booking.code in mailoutbox[0].subject

    other = make_showtime(starts_at=soon)
    make_booking(showtime=other, user=member)
    assert send_due_reminders(now=timezone.now()) == 2
    assert all(m.to == [member.email] for m in mailoutbox)


def test_policy_change_notices_are_service_messages_and_continue(mailoutbox):
    member = agreeing_member()
    restriction.restrict(member)
    version = PolicyVersion.objects.create(
        document="privacy",
        language="en",
        version="2099-restriction",
        title="Privacy policy",
        body="We changed the policy.",
        summary_of_changes="A change members are told about.",
        is_material=False,
        effective_from=timezone.localdate(),
    )
    policies.publish_version(version, actor=None)
    mailoutbox.clear()

    policy_notifications.notify_members(version.pk)

    assert member.email in [m.to[0] for m in mailoutbox]


# --- The page ----------------------------------------------------------------------------------


def test_the_member_switches_restriction_on_and_off_on_the_page(client):
    member = agreeing_member()
    client.force_login(member)

    page = client.get(reverse("privacy:restriction")).content.decode()
    assert "Processing is not restricted" in page

    response = client.post(reverse("privacy:restriction"), {"restricted": "on"}, follow=True)
    page = response.content.decode()
    assert "Processing of your data is restricted since" in page
    assert restriction.is_restricted(fresh(member))

    response = client.post(reverse("privacy:restriction"), {"restricted": "off"}, follow=True)
    assert "The restriction is lifted" in response.content.decode()
    assert not restriction.is_restricted(fresh(member))


def test_a_bad_switch_value_changes_nothing(client):
    member = make_member()
    client.force_login(member)

    response = client.post(reverse("privacy:restriction"), {"restricted": "maybe"})

    assert response.status_code == 400
    assert not ProcessingRestriction.objects.exists()


def test_the_page_needs_a_signed_in_member(client):
    response = client.post(reverse("privacy:restriction"), {"restricted": "on"})

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not ProcessingRestriction.objects.exists()


def test_switching_is_rate_limited(client, settings):
    settings.MARQUEE_RATE_LIMITS = {
        **settings.MARQUEE_RATE_LIMITS,
        "privacy_restriction": "2/m/user",
    }
    member = make_member()
    client.force_login(member)
    url = reverse("privacy:restriction")

    client.post(url, {"restricted": "on"})
    client.post(url, {"restricted": "off"})
    response = client.post(url, {"restricted": "on"})

    assert response.status_code == 429
    assert not ProcessingRestriction.objects.exists()


def test_settings_pages_keep_the_choices_and_say_they_are_paused(client):
    member = agreeing_member()
    restriction.restrict(member)
    client.force_login(member)

    for name in ("privacy:marketing", "privacy:cookie_settings"):
        page = client.get(reverse(name)).content.decode()
        assert "Processing of your data is restricted." in page, name
    cookies = client.get(reverse("privacy:cookie_settings")).content.decode()
    assert re.search(r'value="analytics"[^>]*checked', cookies)  # the member's own choice

    restriction.lift(fresh(member))
    page = client.get(reverse("privacy:marketing")).content.decode()
    assert "Processing of your data is restricted." not in page
