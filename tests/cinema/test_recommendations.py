"""The "For you" page: in-house recommendations, only with the member's consent (M5, M10)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cinema.models import MemberPreferences
from cinema.services.recommendations import may_recommend, recommend_films
from privacy.models import ConsentRecord
from privacy.services import consent
from tests.cinema.factories import (
    make_booking,
    make_cinema,
    make_film,
    make_genre,
    make_showtime,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db

FOR_YOU = reverse("cinema:for_you")


def in_days(days, hour=19):
    moment = timezone.now() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def like(member, *genres):
    preferences, _ = MemberPreferences.objects.get_or_create(user=member)
    preferences.favourite_genres.set(genres)


def consent_to_recommendations(member, granted=True):
    consent.record_choices(
        consent.Subject.of(member),
        {consent.RECOMMENDATIONS: granted},
        source=ConsentRecord.Source.SETTINGS,
    )


def showing(title, *genres, days=1, hour=19, cinema=None):
    film = make_film(title=title, genres=genres)
    make_showtime(film=film, cinema=cinema, starts_at=in_days(days, hour))
    return film


def booked(member, film, *, days_ago=10, status="paid"):
    showtime = make_showtime(film=film, starts_at=in_days(-days_ago))
    return make_booking(showtime=showtime, user=member, status=status)


def titles(recommendations):
    return [r.film.title for r in recommendations]


# --- Without consent -----------------------------------------------------------------------


def test_without_consent_nothing_is_computed_and_the_service_refuses(
    django_assert_num_queries,
):
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Quiet Harbour", drama)

    assert may_recommend(member) is False
    # Only the consent check runs: neither preferences nor bookings are read.
    with django_assert_num_queries(1):
        assert recommend_films(member) == []


def test_recommendations_are_off_by_default_and_the_page_explains_them(client):
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Quiet Harbour", drama)
    client.force_login(member)

    response = client.get(FOR_YOU)

    assert response.status_code == 200
    assert response.context["recommendations"] == []
    body = response.content.decode()
    assert "Quiet Harbour" not in body
    assert "Personalised recommendations are off" in body
    assert "Your favourite genres" in body and "The films you booked with us" in body
    assert "Nothing is sent to any outside AI service" in body
    assert "off by default" in body and "switch them off again at any time" in body
    assert 'name="recommendations" value="on"' in body
    assert "Turn recommendations on" in body


def test_a_withdrawn_consent_is_honoured_by_the_service():
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Quiet Harbour", drama)
    consent_to_recommendations(member)
    consent_to_recommendations(member, granted=False)

    assert may_recommend(member) is False
    assert recommend_films(member) == []


def test_visitor_is_sent_to_sign_in(client):
    response = client.get(FOR_YOU)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(FOR_YOU, {"recommendations": "on"}).status_code == 302
    assert not ConsentRecord.objects.exists()
    assert may_recommend(None) is False


def test_header_links_to_for_you_only_for_members(client):
    assert FOR_YOU not in client.get(reverse("cinema:programme")).content.decode()

    client.force_login(make_member())
    body = client.get(reverse("cinema:programme")).content.decode()

    assert f'href="{FOR_YOU}"' in body and "For you" in body


# --- Turning on and off ----------------------------------------------------------------------


def test_member_turns_recommendations_on_and_sees_them_with_reasons(client):
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Quiet Harbour", drama)
    client.force_login(member)

    response = client.post(FOR_YOU, {"recommendations": "on"}, follow=True)

    assert response.redirect_chain == [(FOR_YOU, 302)]
    record = ConsentRecord.objects.get(user=member)
    assert (record.purpose, record.granted, record.source) == (
        consent.RECOMMENDATIONS,
        True,
        ConsentRecord.Source.SETTINGS,
    )
    body = response.content.decode()
    assert "Personalised recommendations are on." in body
    assert "Quiet Harbour" in body and "Because you like Drama" in body
    assert "How these were made" in body
    assert "Nothing is sent to any outside AI service" in body
    assert 'name="recommendations" value="off"' in body


def test_turning_off_hides_recommendations_at_once_and_records_it(client):
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Quiet Harbour", drama)
    consent_to_recommendations(member)
    client.force_login(member)
    assert "Quiet Harbour" in client.get(FOR_YOU).content.decode()

    response = client.post(FOR_YOU, {"recommendations": "off"}, follow=True)

    body = response.content.decode()
    assert "Quiet Harbour" not in body
    assert "Personalised recommendations are off. We no longer compute them." in body
    assert "Turn recommendations on" in body
    latest = ConsentRecord.objects.filter(user=member).order_by("-pk").first()
    assert (latest.purpose, latest.granted, latest.source) == (
        consent.RECOMMENDATIONS,
        False,
        ConsentRecord.Source.SETTINGS,
    )
    assert consent.current_choices(consent.Subject.of(member))[consent.RECOMMENDATIONS] is False
    assert recommend_films(member) == []


def test_an_unknown_choice_is_refused_and_changes_nothing(client):
    member = make_member()
    client.force_login(member)

    response = client.post(FOR_YOU, {"recommendations": "maybe"})

    assert response.status_code == 400
    assert "Choose whether to turn recommendations on or off." in response.content.decode()
    assert not ConsentRecord.objects.filter(user=member).exists()
    assert may_recommend(member) is False


# --- Scoring -------------------------------------------------------------------------------


def test_films_are_ordered_by_genre_affinity_and_booked_films_are_left_out():
    member = make_member()
    drama, comedy, horror = (make_genre(name=n) for n in ("Drama", "Comedy", "Horror"))
    like(member, drama)
    laughs = make_film(title="Big Laughs", genres=[comedy])
    booked(member, laughs)
    make_showtime(film=laughs, starts_at=in_days(2))  # booked before: never suggested
    showing("Steppe", drama)
    showing("Funny Again", comedy)
    showing("Tragicomedy", drama, comedy)
    showing("Night Terror", horror)
    consent_to_recommendations(member)

    recommendations = recommend_films(member)

    # Drama+Comedy = 3 + 1, Drama = 3, Comedy (one booked film) = 1; Horror scores 0.
    assert titles(recommendations) == ["Tragicomedy", "Steppe", "Funny Again"]
    assert [r.score for r in recommendations] == [4, 3, 1]
    assert recommendations[0].reasons == ["Because you like Drama", "Because you booked Big Laughs"]
    assert recommendations[1].reasons == ["Because you like Drama"]
    assert recommendations[2].reason == "Because you booked Big Laughs"


def test_a_favourite_genre_outweighs_any_booking_history():
    member = make_member()
    drama, comedy = make_genre(name="Drama"), make_genre(name="Comedy")
    like(member, drama)
    for n in range(5):
        booked(member, make_film(title=f"Comedy {n}", genres=[comedy]), days_ago=30 - n)
    showing("Funny Again", comedy, days=1)
    showing("Steppe", drama, days=5)
    consent_to_recommendations(member)

    recommendations = recommend_films(member)

    assert titles(recommendations) == ["Steppe", "Funny Again"]
    # The reason names the most recently booked film of the genre.
    assert recommendations[1].reasons == ["Because you booked Comedy 4"]


def test_ties_are_broken_by_next_showtime_then_title():
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Zeta", drama, days=1, hour=18)
    showing("Beta", drama, days=3)
    showing("Alpha", drama, days=3)
    showing("Later", drama, days=4)
    consent_to_recommendations(member)

    assert titles(recommend_films(member)) == ["Zeta", "Alpha", "Beta", "Later"]
    assert titles(recommend_films(member, limit=2)) == ["Zeta", "Alpha"]


def test_only_upcoming_showtimes_at_open_cinemas_count():
    member = make_member()
    drama = make_genre(name="Drama")
    like(member, drama)
    showing("Over", drama, days=-1)
    showing("Closed", drama, cinema=make_cinema(is_active=False))
    showing("Tonight", drama, days=1)
    consent_to_recommendations(member)

    assert titles(recommend_films(member)) == ["Tonight"]


def test_cancelled_bookings_are_not_history():
    member = make_member()
    comedy = make_genre(name="Comedy")
    cancelled = make_film(title="Changed My Mind", genres=[comedy])
    booked(member, cancelled, status="cancelled")
    make_showtime(film=cancelled, starts_at=in_days(1))
    showing("Funny Again", comedy)
    consent_to_recommendations(member)

    assert recommend_films(member) == []


def test_a_member_without_favourites_or_bookings_gets_an_empty_page(client):
    member = make_member()
    showing("Quiet Harbour", make_genre(name="Drama"))
    consent_to_recommendations(member)
    client.force_login(member)

    response = client.get(FOR_YOU)

    assert response.context["recommendations"] == []
    body = response.content.decode()
    assert "We have nothing to suggest from the current programme yet." in body
    assert "Quiet Harbour" not in body


def test_another_members_data_is_never_used():
    member, other = make_member(), make_member()
    drama, horror = make_genre(name="Drama"), make_genre(name="Horror")
    like(other, horror)
    shared = showing("Shared Screen", drama)
    booked(other, shared)  # another member's booking neither excludes nor explains
    booked(other, make_film(title="Their Horror", genres=[horror]))
    showing("Night Terror", horror)
    consent_to_recommendations(member)
    consent_to_recommendations(other)

    assert recommend_films(member) == []

    like(member, drama)
    recommendations = recommend_films(member)

    assert titles(recommendations) == ["Shared Screen"]
    assert recommendations[0].reasons == ["Because you like Drama"]
    assert titles(recommend_films(other)) == ["Night Terror"]


# --- Cost ----------------------------------------------------------------------------------


def build_history(member, *, size):
    """Give ``member`` ``size`` favourite genres, bookings and candidate films."""
    genres = [make_genre() for _ in range(size)]
    like(member, *genres)
    for n in range(size):
        film = make_film(genres=genres[n : n + 2])
        for days_ago in range(1, 4):
            booked(member, film, days_ago=days_ago)
        showing(f"Candidate {n}", *genres[n : n + 2], days=1 + n % 3)


def test_recommendations_take_a_constant_number_of_queries(django_assert_num_queries):
    small, large = make_member(), make_member()
    build_history(small, size=1)
    build_history(large, size=12)
    consent_to_recommendations(small)
    consent_to_recommendations(large)

    # consent, favourite genres, booking history, candidate films, their genres
    with django_assert_num_queries(5):
        assert len(recommend_films(small)) == 1
    with django_assert_num_queries(5):
        assert len(recommend_films(large)) == 6


def test_the_page_takes_a_constant_number_of_queries(client):
    small, large = make_member(), make_member()
    build_history(small, size=1)
    build_history(large, size=12)
    consent_to_recommendations(small)
    consent_to_recommendations(large)

    counts = []
    for member in (small, large):
        client.force_login(member)
        client.get(FOR_YOU)  # warm up the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(FOR_YOU)
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
