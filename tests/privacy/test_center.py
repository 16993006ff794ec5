"""The privacy center: what we hold about the member, by category, and every right they have."""

import uuid
from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from privacy.models import ConsentRecord, PrivacyRequest, TrackingEvent
from privacy.registry import Category, registry
from privacy.services import holdings, requests, restriction
from tests.cinema.factories import make_booking, make_film, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CENTER = reverse("privacy:center")


def seed(member, *, size: int) -> None:
    """Give ``member`` ``size`` rows in several models: bookings, devices, events, requests."""
    film = make_film(title="Steppe Wind")
    showtime = make_showtime(film=film, starts_at=timezone.now() + timedelta(days=3))
    for n in range(size):
        make_booking(showtime=showtime, user=member)
        key = uuid.uuid4().hex
        Session.objects.create(
            session_key=key, session_data="", expire_date=timezone.now() + timedelta(days=1)
        )
        UserSession.objects.create(
            user=member, session_key=key, ip="203.0.113.7", user_agent=FIREFOX
        )
        TrackingEvent.objects.create(
            event_id=uuid.uuid4(), kind="page_view", user=member, path=f"/page/{n}/"
        )
        ConsentRecord.objects.create(
            user=member, purpose="analytics", granted=bool(n % 2), source="settings"
        )
        requests.record_self_service("export", user=member)


def page_text(client) -> str:
    response = client.get(CENTER)
    assert response.status_code == 200
    return response.content.decode()


def test_the_center_needs_a_signed_in_member(client):
    response = client.get(CENTER)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_center_shows_what_we_hold_by_category_with_examples_and_why(client):
    member = make_member(email="aru@example.com", first_name="Aru", phone="+77011234567")
    seed(member, size=2)
    client.force_login(member)

    page = page_text(client)

    # Categories of the registry, each with its records.
    for category in (Category.IDENTITY, Category.CONTACT, Category.USAGE, Category.FINANCIAL):
        assert str(category.label) in page
    assert "Bookings" in page and "2 records" in page
    # Examples: the latest bookings' film and date, the email address, the last devices.
    assert "Steppe Wind" in page
    assert "aru@example.com" in page
    assert "Firefox, last seen" in page
    assert "First name: Aru" in page
    # Why, on what basis, for how long, what deletion does, who receives it, where.
    assert "Selling and managing your tickets" in page
    assert "the contract with you" in page
    assert "then anonymized" in page  # bookings: retention with anonymization
    assert "kept without your name or contact details for 5 years" in page
    assert "Partner cinemas (Partner cinemas; KZ)" in page


def test_secrets_are_never_shown_only_counted(client):
    member = make_member()
    seed(member, size=1)
    session_key = UserSession.objects.get(user=member).session_key
    client.force_login(member)

    page = page_text(client)

    assert str(Category.SECURITY.label) in page
    assert "we show how many records there are, never their contents" in page
    assert member.password not in page
    assert session_key not in page
    assert client.session.session_key not in page


def test_only_the_members_own_data_is_counted(client):
    member, other = make_member(), make_member(email="someone.else@example.com")
    seed(other, size=3)
    client.force_login(member)

    page = page_text(client)

    assert "someone.else@example.com" not in page
    assert "Steppe Wind" not in page


def test_the_query_count_does_not_grow_with_the_members_data(client):
    small, large = make_member(), make_member()
    seed(small, size=1)
    seed(large, size=50)

    counts = []
    for member in (small, large):
        client.force_login(member)
        client.get(CENTER)  # the first request of a session records it
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CENTER)
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert "50 records" in response.content.decode()


def test_counts_follow_the_registry_for_every_declared_model():
    member = make_member()
    seed(member, size=2)

    policies = registry.personal()
    counts = holdings.count_rows(member, policies)

    for policy in policies:
        assert counts[policy.label] == policy.rows_of(member).count(), policy.label
    assert counts["cinema.Booking"] == 2


def test_every_model_with_rows_appears_under_each_of_its_categories():
    member = make_member()
    seed(member, size=1)

    groups = {group.category: group for group in holdings.member_holdings(member)}

    usage = [h.label for h in groups[Category.USAGE].holdings]
    financial = [h.label for h in groups[Category.FINANCIAL].holdings]
    assert "Bookings" in usage and "Bookings" in financial
    assert all(not h.examples for h in groups[Category.SECURITY].holdings)
    assert all(h.count > 0 for group in groups.values() for h in group.holdings)


def test_the_center_links_every_right(client):
    member = make_member()
    client.force_login(member)

    page = page_text(client)

    for name in (
        "accounts:profile",
        "privacy:export",
        "privacy:cookie_settings",
        "privacy:marketing",
        "privacy:restriction",
        "privacy:objection",
        "privacy:rectification",
        "privacy:contact",
        "privacy:request_list",
        "privacy:delete_account",
        "privacy:what_we_collect",
    ):
        assert f'href="{reverse(name)}"' in page, name


def test_the_center_states_a_restriction_and_open_requests(client):
    member = make_member()
    restriction.restrict(member)
    requests.open_request("rectification", user=member, description="My name is wrong.")
    client.force_login(member)

    page = page_text(client)

    assert "Processing of your data is restricted since" in page
    assert "1 open" in page
    assert PrivacyRequest.objects.filter(user=member).count() == 2


def test_editable_profile_fields_are_named(client):
    client.force_login(make_member())

    page = page_text(client)

    assert "Fields you can correct yourself, in your profile:" in page
    assert "Phone" in page and "Email address" in page


def test_profile_and_navigation_link_to_the_center(client):
    client.force_login(make_member())

    profile = client.get(reverse("accounts:profile")).content.decode()

    assert f'href="{CENTER}"' in profile
    # The navigation link is in the base layout, on every page.
    assert f'href="{CENTER}"' in client.get("/").content.decode()


def test_examples_name_providers_favourites_and_pages_in_plain_words():
    from allauth.socialaccount.models import SocialAccount

    from cinema.models import MemberPreferences
    from tests.cinema.factories import make_cinema, make_genre

    member = make_member()
    SocialAccount.objects.create(user=member, provider="twitter_oauth2", uid="42", extra_data={})
    preferences = MemberPreferences.objects.create(
        user=member, favourite_cinema=make_cinema(name="Marquee Esentai")
    )
    preferences.favourite_genres.set([make_genre(name="Drama"), make_genre(name="Comedy")])
    TrackingEvent.objects.create(
        event_id=uuid.uuid4(),
        kind="search",
        user=member,
        path="/films/",
        search_query="steppe",
        city="Almaty",
    )

    examples = {
        group.category: [line for h in group.holdings for line in h.examples]
        for group in holdings.member_holdings(member)
    }

    assert "X" in examples[Category.SOCIAL]
    assert "Favourite cinema: Marquee Esentai" in examples[Category.PREFERENCES]
    assert "Favourite genres: Comedy, Drama" in examples[Category.PREFERENCES]
    assert any(line.startswith("Film search: “steppe”") for line in examples[Category.USAGE])
    assert "Almaty" in examples[Category.LOCATION]


def test_third_party_records_are_named_by_the_registry_not_by_their_attribute_names(client):
    # allauth gives UserSession and Authenticator no translatable names ("User sessions",
    # "Created at", "User agent" in every language): their declarations name them.
    member = make_member(email="dana@example.com")
    seed(member, size=1)
    client.force_login(member)

    page = page_text(client)

    assert "Signed-in sessions" in page
    assert "The browsers and devices signed in to your account, and from where." in page
    assert "Signed in, IP address, Last seen, Browser, Session details" in page
    assert "User sessions" not in page
    assert "User agent" not in page


def test_registry_descriptions_are_shown_in_the_members_language(client):
    member = make_member(email="ivan@example.com", preferred_language="ru")
    seed(member, size=1)
    client.force_login(member)

    page = page_text(client)

    assert "Ваши билеты: сеанс, места, цена и идентификатор платежа." in page
    assert "Your tickets: showing, seats, price and payment reference." not in page


def test_every_kind_of_personal_data_says_in_plain_words_what_it_is():
    # The privacy center, the deletion page and the export show each declaration's
    # description; an entry without one would be a bare name such as "Social tokens".
    from privacy.registry import registry

    missing = [policy.label for policy in registry.personal() if not policy.description]

    assert missing == []


def test_booking_examples_name_the_film_and_price_as_the_member_reads_them(client):
    member = make_member(email="ivan@example.com", preferred_language="ru")
    film = make_film(title="Steppe Wind", title_ru="Степной ветер")
    showtime = make_showtime(
        film=film, starts_at=timezone.now() + timedelta(days=3), price="3600", currency="KZT"
    )
    make_booking(showtime=showtime, user=member, seat_count=1)
    client.force_login(member)

    with translation.override("en"):  # restores the test's language after the request
        page = page_text(client)

    assert "Степной ветер: 3\xa0600\xa0KZT" in page
    assert "Steppe Wind" not in page
