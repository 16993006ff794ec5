"""The consent ledger, the current state, browser signals and the template tag."""

import uuid

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from privacy.middleware.consent import ConsentMiddleware, browser_signals
from privacy.models import ConsentRecord, ConsentState
from privacy.services import consent
from privacy.services.network import truncate_ip, user_agent_family
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_every_submitted_answer_is_appended_to_the_ledger_with_its_context():
    member = make_member()
    request = RequestFactory().post(
        "/", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mozilla/5.0 Firefox/133.0"
    )

    consent.record_choices(
        consent.Subject.of(member),
        {"analytics": True, "advertising": False},
        source=consent.Source.BANNER,
        policy_version="privacy-2026-11",
        request=request,
    )
    consent.record_choices(
        consent.Subject.of(member), {"analytics": False}, source=consent.Source.SETTINGS
    )

    ledger = list(ConsentRecord.objects.order_by("pk").values_list("purpose", "granted", "source"))
    assert ledger == [
        ("analytics", True, "banner"),
        ("advertising", False, "banner"),
        ("analytics", False, "settings"),
    ]
    first = ConsentRecord.objects.order_by("pk").first()
    assert first.ip_prefix == "203.0.113.0/24"
    assert first.user_agent_family == "Firefox"
    assert first.policy_version == "privacy-2026-11"
    assert consent.current_choices(consent.Subject.of(member))["analytics"] is False
    assert not consent.allows(member, "analytics")


def test_unanswered_purposes_count_as_declined_and_essential_is_always_on():
    member = make_member()

    choices = consent.current_choices(consent.Subject.of(member))

    assert choices["essential"] is True
    assert not any(v for k, v in choices.items() if k != "essential")


def test_bad_choices_are_refused_and_nothing_is_recorded():
    member = make_member()
    with pytest.raises(ValueError, match="Unknown"):
        consent.record_choices(consent.Subject.of(member), {"tracking": True}, source="banner")
    with pytest.raises(ValueError, match="essential"):
        consent.record_choices(consent.Subject.of(member), {"essential": False}, source="banner")

    assert not ConsentRecord.objects.exists()


def test_visitor_choices_are_carried_into_the_account():
    visitor = uuid.uuid4()
    choices = {"analytics": True, "functional": False}
    consent.record_choices(consent.Subject(visitor_id=visitor), choices, source="banner")
    member = make_member()

    carried = consent.carry_over_visitor_choices(visitor, member)

    assert carried == 2
    assert consent.allows(member, "analytics")
    assert ConsentRecord.objects.filter(user=member, source="carry_over").count() == 2


def test_gpc_withdraws_an_earlier_grant_once_and_a_later_request_without_it_is_no_opt_in():
    member = make_member()
    subject = consent.Subject.of(member)
    consent.record_choices(subject, {"advertising": True}, source="banner")

    assert consent.apply_browser_signals(subject, ["gpc"]) == ["advertising"]
    consent.apply_browser_signals(subject, ["gpc"])  # again: nothing new to record

    assert not consent.allows(member, "advertising")
    assert ConsentRecord.objects.filter(source="gpc").count() == 1
    consent.apply_browser_signals(subject, [])
    assert not consent.allows(member, "advertising")


def test_an_explicit_confirmation_despite_gpc_is_respected_and_recorded():
    member = make_member()
    subject = consent.Subject.of(member)
    consent.record_choices(subject, {"advertising": True}, source="settings", overrides_signal=True)

    consent.apply_browser_signals(subject, ["gpc"])

    assert consent.allows(member, "advertising")
    assert ConsentRecord.objects.get().overrides_signal is True


def test_dnt_turns_analytics_off():
    member = make_member()
    subject = consent.Subject.of(member)
    consent.record_choices(subject, {"analytics": True}, source="banner")

    consent.apply_browser_signals(subject, ["dnt"])

    assert not consent.allows(member, "analytics")
    assert ConsentRecord.objects.filter(source="dnt", purpose="analytics").exists()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"HTTP_SEC_GPC": "1"}, ["gpc"]),
        ({"HTTP_SEC_GPC": "0"}, []),
        ({"HTTP_SEC_GPC": "true"}, []),
        ({"HTTP_SEC_GPC": "0, 1"}, ["gpc"]),
        ({"HTTP_DNT": "1"}, ["dnt"]),
        ({"HTTP_SEC_GPC": "1", "HTTP_DNT": "1"}, ["gpc", "dnt"]),
        ({}, []),
    ],
)
def test_browser_signals_are_read_exactly(headers, expected):
    assert browser_signals(RequestFactory().get("/", **headers)) == expected


def middleware_response(request, view=lambda r: HttpResponse("ok")):
    from django.contrib.auth.models import AnonymousUser

    request.user = getattr(request, "user", AnonymousUser())
    return ConsentMiddleware(view)(request)


def test_cookies_of_declined_purposes_are_deleted_from_the_browser():
    request = RequestFactory().get("/")
    request.COOKIES["mq_analytics"] = "abc"
    request.COOKIES["sessionid"] = "keep-me"

    response = middleware_response(request)

    assert response.cookies["mq_analytics"]["max-age"] == 0
    assert "sessionid" not in response.cookies


def test_a_view_cannot_set_a_cookie_of_a_declined_purpose():
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("mq_analytics", "sneaky")
        return response

    response = middleware_response(RequestFactory().get("/"), view)

    assert response.cookies["mq_analytics"].value == ""
    assert response.cookies["mq_analytics"]["max-age"] == 0


def test_signed_in_member_with_gpc_is_opted_out_on_any_request(client):
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"advertising": True}, source="banner")
    client.force_login(member)

    client.get(reverse("home"), HTTP_SEC_GPC="1")

    state = ConsentState.objects.get(user=member, purpose="advertising")
    assert (state.granted, state.source) == (False, "gpc")


def test_template_tag_leaves_out_markup_without_consent():
    template = Template(
        '{% load consent %}{% ifconsent "analytics" %}<script src="/a.js"></script>'
        "{% else %}no-analytics{% endifconsent %}"
    )
    member = make_member()
    request = RequestFactory().get("/")
    request.user = member
    middleware_response(request)  # attaches request.consent

    assert template.render(Context({"request": request})) == "no-analytics"
    consent.record_choices(consent.Subject.of(member), {"analytics": True}, source="banner")
    request.consent.refresh()
    assert template.render(Context({"request": request})) == '<script src="/a.js"></script>'


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("192.0.2.55", "192.0.2.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("not-an-ip", ""),
        ("", ""),
    ],
)
def test_ip_addresses_are_truncated(address, network):
    assert truncate_ip(address) == network


def test_user_agent_families():
    chrome = "Mozilla/5.0 AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
    edge = chrome + " Edg/131.0"
    assert user_agent_family(chrome) == "Chrome"
    assert user_agent_family(edge) == "Edge"
    assert user_agent_family("curl/8.0") == "Other"
