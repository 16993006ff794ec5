"""Usage tracking: recorded only under analytics consent, reduced at collection, batched."""

import json
import shutil
import uuid
from datetime import timedelta

import pytest
from django.core import signing
from django.core.management import call_command
from django.urls import reverse

from privacy.middleware.consent import VISITOR_COOKIE_SALT
from privacy.models import TrackingEvent
from privacy.registry import Action, registry
from privacy.services import consent, tracking
from tests.cinema.factories import make_film
from tests.factories import make_member

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
DESKTOP_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
TRACK = "/privacy/t/"


@pytest.fixture(autouse=True)
def spool(settings, tmp_path):
    """Each test buffers into a spool folder of its own (the embedded-mode buffer)."""
    settings.REDIS_URL = ""
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "spool")
    return tmp_path / "spool"


def visitor(client, **choices) -> uuid.UUID:
    """Make the client a visitor who answered the banner with ``choices``."""
    visitor_id = uuid.uuid4()
    consent.record_choices(
        consent.Subject(visitor_id=visitor_id), choices, source=consent.Source.BANNER
    )
    signer = signing.get_cookie_signer(salt=VISITOR_COOKIE_SALT)
    client.cookies[consent.VISITOR_COOKIE] = signer.sign(str(visitor_id))
    return visitor_id


def flushed_events():
    tracking.flush_buffer()
    return list(TrackingEvent.objects.order_by("created_at", "pk"))


def beacon(client, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers.setdefault("HTTP_SEC_FETCH_SITE", "same-origin")
    return client.post(TRACK, body, content_type="text/plain;charset=UTF-8", **headers)


# --- Consent --------------------------------------------------------------------------------


def test_nothing_is_recorded_before_a_choice_or_after_a_refusal(client):
    client.get("/")
    client.get(reverse("cinema:programme"))
    visitor(client, analytics=False)
    client.get("/")

    assert flushed_events() == []
    assert tracking.get_buffer().read(10) == []


def test_a_consenting_visitors_page_view_is_recorded_reduced(client, spool):
    visitor_id = visitor(client, analytics=True)

    response = client.get(
        reverse("cinema:programme") + "?city=Almaty",
        HTTP_REFERER="https://search.example/results?q=my+name#top",
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT=IPHONE,
    )

    assert response.status_code == 200
    # The full address never reaches the buffer, only its network.
    buffered = "".join(p.read_text() for p in spool.iterdir())
    assert "203.0.113.77" not in buffered and "my+name" not in buffered
    [event] = flushed_events()
    assert event.kind == TrackingEvent.Kind.PAGE_VIEW
    assert event.visitor_id == visitor_id and event.user is None
    assert event.path == "/programme/"
    assert event.referrer == "https://search.example/results"
    assert event.ip_prefix == "203.0.113.0/24"
    assert event.device_class == "mobile"
    assert event.browser_family == "Safari"
    assert event.city == ""


def test_film_page_is_a_film_view_of_that_film(client):
    film = make_film(title="Arrival")
    visitor(client, analytics=True)

    client.get(reverse("cinema:film_detail", args=[film.slug]), HTTP_USER_AGENT=DESKTOP_FIREFOX)

    [event] = flushed_events()
    assert (event.kind, event.film, event.path) == ("film_view", film, f"/films/{film.slug}/")
    assert (event.device_class, event.browser_family) == ("desktop", "Firefox")


def test_search_keeps_the_search_terms_apart_from_the_path(client):
    visitor(client, analytics=True)

    client.get(reverse("cinema:film_search"), {"q": "  blade   runner ", "genre": ""})
    client.get(reverse("cinema:film_search"), {"q": ""})

    search, empty = flushed_events()
    assert (search.kind, search.search_query, search.path) == ("search", "blade runner", "/films/")
    assert (empty.kind, empty.search_query) == ("page_view", "")


def test_a_members_events_belong_to_the_member(client):
    member = make_member()
    consent.record_choices(
        consent.Subject.of(member), {"analytics": True}, source=consent.Source.SETTINGS
    )
    client.force_login(member)

    client.get(reverse("cinema:programme"))

    [event] = flushed_events()
    assert event.user == member and event.visitor_id is None


@pytest.mark.parametrize("header", ["HTTP_DNT", "HTTP_SEC_GPC"])
def test_dnt_and_gpc_stop_all_tracking_despite_consent(client, header):
    visitor(client, analytics=True)

    response = client.get("/", **{header: "1"})

    assert b"analytics.js" not in response.content
    assert flushed_events() == []


def test_only_html_pages_that_were_shown_are_page_views(client):
    visitor(client, analytics=True)

    client.get("/static/marquee/site.css")
    client.get("/healthz")
    client.get(reverse("admin:login"))
    client.get("/films/no-such-film/")  # 404
    client.post(reverse("cinema:film_search"), {"q": "x"})
    client.get(reverse("cinema:booking_list"))  # redirect to sign in

    assert flushed_events() == []


def test_the_script_is_served_only_to_people_who_may_be_tracked(client):
    assert b"analytics.js" not in client.get("/").content

    visitor(client, analytics=True)
    page = client.get("/").content.decode()

    assert 'src="/static/marquee/analytics.js"' in page
    assert f'data-endpoint="{TRACK}"' in page
    [event] = flushed_events()
    assert f'data-page-event="{event.event_id}"' in page


def test_approximate_city_only_with_a_lookup_and_location_consent(client, settings):
    settings.PRIVACY_COARSE_GEO_LOOKUP = "tests.privacy.test_tracking.city_of_network"
    visitor(client, analytics=True)
    client.get("/", REMOTE_ADDR="198.51.100.23")
    visitor(client, analytics=True, location=True)
    client.get("/", REMOTE_ADDR="198.51.100.23")

    without, with_location = flushed_events()
    assert without.city == ""
    assert with_location.city == "Almaty (198.51.100.0/24)"


def city_of_network(network: str) -> str:
    """A stand-in geo database: it must only ever be given the truncated network."""
    return f"Almaty ({network})"


def test_device_classes():
    ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
    android_tablet = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/131.0"
    assert tracking.device_class(IPHONE) == "mobile"
    assert tracking.device_class(ipad) == "tablet"
    assert tracking.device_class(android_tablet) == "tablet"
    assert tracking.device_class(DESKTOP_FIREFOX) == "desktop"
    assert tracking.device_class("Googlebot/2.1 (+http://www.google.com/bot.html)") == "bot"
    assert tracking.device_class("") == "other"


def test_links_keep_only_origin_and_path():
    assert (
        tracking.origin_and_path("https://user:pw@Tickets.example:8443/a/b?x=1#f")
        == "https://tickets.example:8443/a/b"
    )
    assert tracking.origin_and_path("https://example.com") == "https://example.com/"
    assert tracking.origin_and_path("javascript:alert(1)") == ""
    assert tracking.origin_and_path("/relative/path") == ""


# --- The beacon endpoint --------------------------------------------------------------------


def test_time_on_page_is_added_to_the_page_view_it_belongs_to(client):
    visitor(client, analytics=True)
    client.get("/")
    [page_view] = flushed_events()

    response = beacon(client, {"kind": "time", "page_event": str(page_view.event_id), "ms": 4200})

    assert response.status_code == 204
    [event] = flushed_events()
    assert event.pk == page_view.pk and event.time_on_page_ms == 4200


def test_time_sent_before_the_page_view_is_flushed_lands_on_it(client):
    visitor(client, analytics=True)
    page = client.get("/").content.decode()
    page_event = page.split('data-page-event="')[1].split('"')[0]

    beacon(client, {"kind": "time", "page_event": page_event, "ms": 1500})
    beacon(client, {"kind": "time", "page_event": page_event, "ms": 2500})

    [event] = flushed_events()
    assert event.time_on_page_ms == 2500


def test_nobody_can_set_time_on_someone_elses_page_view(client):
    from django.test import Client

    visitor(client, analytics=True)
    client.get("/")
    [page_view] = flushed_events()
    other = Client()
    visitor(other, analytics=True)

    beacon(other, {"kind": "time", "page_event": str(page_view.event_id), "ms": 99})

    tracking.flush_buffer()
    page_view.refresh_from_db()
    assert page_view.time_on_page_ms is None


def test_outbound_click_is_recorded_as_origin_and_path(client):
    visitor(client, analytics=True)

    response = beacon(
        client,
        {
            "kind": "outbound_click",
            "path": "/films/arrival/?utm=x",
            "target": "https://trailers.example/watch/arrival?t=42&session=abc",
        },
        HTTP_USER_AGENT=DESKTOP_FIREFOX,
        REMOTE_ADDR="2001:db8:1234:5678::1",
    )

    assert response.status_code == 204
    [event] = flushed_events()
    assert event.kind == "outbound_click"
    assert event.path == "/films/arrival/"
    assert event.target_url == "https://trailers.example/watch/arrival"
    assert event.ip_prefix == "2001:db8:1234::/48"
    assert event.device_class == "desktop"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", b"not valid JSON"),
        (b"[1, 2]", b"JSON object"),
        ({"kind": "purchase"}, b"Unknown event kind"),
        ({"kind": "time", "page_event": "nope", "ms": 5}, b"page_event"),
        ({"kind": "time", "page_event": str(uuid.uuid4()), "ms": -1}, b"ms must be"),
        ({"kind": "time", "page_event": str(uuid.uuid4()), "ms": "5"}, b"ms must be"),
        ({"kind": "time", "page_event": str(uuid.uuid4()), "ms": 10**12}, b"ms must be"),
        ({"kind": "outbound_click", "path": "//evil.example/", "target": "https://a.b/"}, b"path"),
        ({"kind": "outbound_click", "path": "/", "target": "javascript:alert(1)"}, b"target"),
        ({"kind": "outbound_click", "path": "/", "target": "x" * 3000}, b"too large"),
    ],
)
def test_bad_beacons_are_refused_with_a_reason(client, payload, message):
    visitor(client, analytics=True)

    response = beacon(client, payload)

    assert response.status_code == 400
    assert message in response.content
    assert flushed_events() == []


def test_cross_site_beacons_are_refused(client):
    visitor(client, analytics=True)
    click = {"kind": "outbound_click", "path": "/", "target": "https://a.example/"}

    cross_site = beacon(client, click, HTTP_SEC_FETCH_SITE="cross-site")
    wrong_origin = client.post(
        TRACK, json.dumps(click), content_type="text/plain", HTTP_ORIGIN="https://evil.example"
    )
    no_origin = client.post(TRACK, json.dumps(click), content_type="text/plain")
    right_origin = client.post(
        TRACK, json.dumps(click), content_type="text/plain", HTTP_ORIGIN="http://testserver"
    )

    assert [r.status_code for r in (cross_site, wrong_origin, no_origin)] == [403, 403, 403]
    assert right_origin.status_code == 204
    assert len(flushed_events()) == 1
    assert client.get(TRACK).status_code == 405


def test_beacons_without_consent_are_accepted_but_not_recorded(client):
    click = {"kind": "outbound_click", "path": "/", "target": "https://a.example/"}

    assert beacon(client, click).status_code == 204
    visitor(client, analytics=True)
    assert beacon(client, click, HTTP_SEC_GPC="1").status_code == 204

    assert flushed_events() == []


# --- Buffer and flush -----------------------------------------------------------------------


def test_flushing_twice_the_same_entries_records_them_once(client, spool, tmp_path):
    """A flush killed after its commit but before removing the batch is harmless."""
    visitor(client, analytics=True)
    for _ in range(3):
        client.get("/")
    shutil.copytree(spool, tmp_path / "copy")

    first = tracking.flush_buffer()
    shutil.copytree(tmp_path / "copy", spool, dirs_exist_ok=True)  # as if never removed
    second = tracking.flush_buffer()

    assert (first.recorded, second.read) == (3, 3)
    assert TrackingEvent.objects.count() == 3
    assert tracking.get_buffer().read(10) == []


def test_the_spool_is_flushed_a_whole_claimed_file_at_a_time(client):
    visitor(client, analytics=True)
    client.get("/")
    client.get("/")

    first = tracking.flush_buffer(batch_size=1, max_batches=1)
    for _ in range(3):
        client.get("/")
    second = tracking.flush_buffer(batch_size=1)

    assert (first.batches, first.recorded) == (1, 2)
    assert second.recorded == 3
    assert TrackingEvent.objects.count() == 5
    assert len(tracking.get_buffer()) == 0


def test_unreadable_entries_and_events_of_erased_members_are_dropped(client):
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"analytics": True}, source="settings")
    client.force_login(member)
    client.get("/")
    tracking.get_buffer().append("not json at all")
    member.delete()

    result = tracking.flush_buffer()

    assert (result.read, result.recorded, result.dropped) == (2, 0, 2)
    assert not TrackingEvent.objects.exists()
    assert tracking.get_buffer().read(10) == []


def test_discard_buffered_events_removes_only_that_members_events(client):
    from django.test import Client

    member, other = make_member(), make_member()
    for person in (member, other):
        consent.record_choices(consent.Subject.of(person), {"analytics": True}, source="settings")
    client.force_login(member)
    other_client = Client()
    other_client.force_login(other)
    client.get("/")
    client.get(reverse("cinema:programme"))
    other_client.get("/")

    removed = tracking.discard_buffered_events(user_id=member.pk)

    assert removed == 2
    assert [e.user for e in flushed_events()] == [other]


def test_management_command_flushes_the_buffer(client, capsys):
    visitor(client, analytics=True)
    client.get("/")

    call_command("flush_tracking_buffer")

    assert TrackingEvent.objects.count() == 1
    assert "1 recorded" in capsys.readouterr().out


def test_flush_task_writes_the_buffer(client):
    from privacy.tasks import flush_tracking_buffer

    visitor(client, analytics=True)
    client.get("/")

    flush_tracking_buffer.delay()

    assert TrackingEvent.objects.count() == 1


def test_a_broken_buffer_never_breaks_the_page(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    visitor(client, analytics=True)

    response = client.get("/")

    assert response.status_code == 200


def test_usage_events_are_declared_for_export_erasure_and_retention():
    policy = registry.get(TrackingEvent)

    assert policy.subject == "user"
    assert policy.erasure.action == Action.DELETE
    assert policy.retention.period == timedelta(days=90)
    assert policy.retention.after == "created_at"
    assert policy.retention.action == Action.DELETE
    assert (policy.export.section, policy.export.tabular) == ("activity", True)
    assert {c.value for c in policy.categories()} >= {"usage", "device", "location"}
