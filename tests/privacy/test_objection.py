"""Objection: to profiling and to marketing, each on its own, apart from restriction."""

import pytest
from django.core import mail
from django.urls import reverse

from cinema.services.recommendations import may_recommend
from privacy.models import AuditEntry, ConsentRecord, EmailOptInRequest, PrivacyRequest
from privacy.services import (
    audit,
    campaigns,
    consent,
    marketing,
    objection,
    restriction,
    suppression,
)
from tests.factories import make_member
from tests.privacy.marketing_helpers import make_campaign

pytestmark = pytest.mark.django_db

EVERY_OPTIONAL = {p: True for p in consent.PURPOSES if p != consent.ESSENTIAL}


def agreeing_member(**fields):
    member = make_member(**fields)
    consent.record_choices(consent.Subject.of(member), EVERY_OPTIONAL, source="settings")
    return member


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def latest_sources(member) -> dict[str, str]:
    return {
        s.purpose: s.source for s in consent.current_states(consent.Subject.of(member)).values()
    }


def test_objecting_to_profiling_stops_recommendations_and_personalised_ads_only():
    member = agreeing_member()

    req = objection.object_to(member, objection.PROFILING)

    loaded = fresh(member)
    assert not consent.allows(loaded, consent.RECOMMENDATIONS)
    assert not consent.allows(loaded, consent.ADVERTISING)
    assert may_recommend(loaded) is False
    # Marketing and analytics are another matter.
    assert consent.allows(loaded, consent.MARKETING_EMAIL)
    assert consent.allows(loaded, consent.ANALYTICS)
    sources = latest_sources(member)
    assert sources[consent.RECOMMENDATIONS] == sources[consent.ADVERTISING] == "objection"
    assert (req.type, req.status, req.self_service) == ("objection", "completed", True)
    assert req.details["objection"] == "profiling"
    entry = AuditEntry.objects.get(action=audit.Action.OBJECTION)
    assert (entry.subject_id, entry.details["objection"]) == (member.pk, "profiling")


def test_objecting_to_marketing_stops_email_and_sms_and_suppresses_the_addresses():
    member = agreeing_member(phone="+77011234567")
    EmailOptInRequest.objects.create(user=member, email_hash="pending")

    req = objection.object_to(member, objection.MARKETING)

    loaded = fresh(member)
    assert not consent.allows(loaded, consent.MARKETING_EMAIL)
    assert not consent.allows(loaded, consent.MARKETING_SMS)
    assert consent.allows(loaded, consent.RECOMMENDATIONS)
    sources = latest_sources(member)
    assert sources[consent.MARKETING_EMAIL] == sources[consent.MARKETING_SMS] == "objection"
    assert not EmailOptInRequest.objects.filter(user=member).exists()
    email_hash = suppression.hash_value(channel="email", value=member.email)
    phone_hash = suppression.hash_value(channel="sms", value=str(member.phone))
    assert suppression.suppressed_hashes(channel="email", hashes=[email_hash]) == {email_hash}
    assert suppression.suppressed_hashes(channel="sms", hashes=[phone_hash]) == {phone_hash}
    assert req.details["objection"] == "marketing"


def test_a_member_who_objected_to_marketing_gets_no_campaign():
    objector, fan = agreeing_member(), agreeing_member()
    objection.object_to(objector, objection.MARKETING)
    campaign = make_campaign()

    campaigns.start_campaign(campaign.pk, actor=None)
    campaigns.send_campaign(campaign.pk)

    assert [m.to for m in mail.outbox] == [[fan.email]]


def test_an_objection_outlives_a_restriction_that_is_lifted():
    member = agreeing_member()
    restriction.restrict(member)
    objection.object_to(member, objection.PROFILING)

    restriction.lift(fresh(member))

    loaded = fresh(member)
    assert not consent.allows(loaded, consent.RECOMMENDATIONS)
    assert consent.allows(loaded, consent.MARKETING_EMAIL)


def test_states_say_what_each_objection_would_stop():
    member = make_member()
    consent.record_choices(
        consent.Subject.of(member), {consent.RECOMMENDATIONS: True}, source="settings"
    )

    states = objection.states(member)

    assert states["profiling"].processing
    assert states["profiling"].active_purposes == (consent.RECOMMENDATIONS,)
    assert not states["marketing"].processing


def test_the_page_shows_each_state_and_records_an_objection(client):
    member = agreeing_member()
    client.force_login(member)
    url = reverse("privacy:objection")

    page = client.get(url).content.decode()
    assert (
        "Currently on: you agreed to Personalised recommendations, Personalised advertising" in page
    )

    response = client.post(url, {"objection": "profiling"}, follow=True)

    page = response.content.decode()
    assert "We no longer personalise recommendations" in page
    assert "Currently off: we do not profile you." in page
    assert "Currently on: you agreed to Marketing email, Marketing SMS" in page
    assert PrivacyRequest.objects.filter(user=member, type="objection").count() == 1


def test_an_unknown_objection_changes_nothing(client):
    member = agreeing_member()
    client.force_login(member)
    records = ConsentRecord.objects.count()

    response = client.post(reverse("privacy:objection"), {"objection": "everything"})

    assert response.status_code == 400
    assert ConsentRecord.objects.count() == records
    assert not PrivacyRequest.objects.exists()


def test_objection_needs_a_signed_in_member(client):
    response = client.post(reverse("privacy:objection"), {"objection": "marketing"})

    assert response.status_code == 302
    assert not PrivacyRequest.objects.exists()


def test_marketing_after_an_objection_needs_a_new_opt_in():
    member = agreeing_member()
    objection.object_to(member, objection.MARKETING)

    assert marketing.get_preferences(fresh(member)).email is False
