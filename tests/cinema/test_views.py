"""Programme, films, booking pages and preferences, seen by visitors and members."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cinema.models import Booking, MemberPreferences
from cinema.services.booking import book_seats
from tests.cinema.factories import (
    make_booking,
    make_cinema,
    make_film,
    make_genre,
    make_showtime,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def tomorrow_at(hour, minute=0):
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour, minute))


def test_visitor_sees_the_programme_grouped_per_film(client):
    almaty = make_cinema(name="Esentai", city="Almaty")
    astana = make_cinema(name="Khan Shatyr", city="Astana")
    dune = make_film(title="Dune Sea", age_rating="12+")
    make_showtime(film=dune, cinema=almaty, starts_at=tomorrow_at(18))
    make_showtime(film=dune, cinema=astana, starts_at=tomorrow_at(20, 15))
    make_showtime(film=make_film(title="Arctic"), cinema=almaty, starts_at=tomorrow_at(21))

    response = client.get(reverse("cinema:programme"), {"day": tomorrow_at(0).date().isoformat()})

    assert response.status_code == 200
    films = response.context["films"]
    assert [entry.film.title for entry in films] == ["Arctic", "Dune Sea"]
    assert [group.cinema.name for group in films[1].cinemas] == ["Esentai", "Khan Shatyr"]
    body = response.content.decode()
    assert "20:15" in body and "12+" in body
    assert 'for="id_cinema"' in body  # the manual choice works without JavaScript
    assert "marquee/nearest.js" in body and "<script>" not in body


def test_programme_filters_by_city_and_cinema(client):
    almaty = make_cinema(city="Almaty")
    astana = make_cinema(city="Astana")
    make_showtime(film=make_film(title="Only in Almaty"), cinema=almaty, starts_at=tomorrow_at(18))
    make_showtime(film=make_film(title="Only in Astana"), cinema=astana, starts_at=tomorrow_at(18))
    day = tomorrow_at(0).date().isoformat()

    by_city = client.get(reverse("cinema:programme"), {"day": day, "city": "Astana"})
    by_cinema = client.get(reverse("cinema:programme"), {"day": day, "cinema": almaty.pk})

    assert [e.film.title for e in by_city.context["films"]] == ["Only in Astana"]
    assert [e.film.title for e in by_cinema.context["films"]] == ["Only in Almaty"]


def test_programme_hides_past_showtimes_and_inactive_cinemas(client):
    closed = make_cinema(is_active=False)
    make_showtime(film=make_film(title="Closed"), cinema=closed, starts_at=tomorrow_at(18))
    make_showtime(film=make_film(title="Over"), starts_at=timezone.now() - timedelta(minutes=5))

    response = client.get(reverse("cinema:programme"))

    assert response.context["films"] == []
    assert "No showtimes match these filters." in response.content.decode()


def test_the_cached_programme_shows_every_change_at_once_in_each_language(client):
    # The film list's HTML is cached by what it shows: a change is never served stale.
    film = make_film(title="Dune Sea")
    showtime = make_showtime(film=film, starts_at=tomorrow_at(18), auditorium="Hall 1")
    url, day = reverse("cinema:programme"), {"day": tomorrow_at(0).date().isoformat()}
    response = client.get(url, day)
    assert "Dune Sea" in response.content.decode() and "18:00" in response.content.decode()
    key = make_template_fragment_key("programme_films", [response.context["films_key"]])
    stored = cache.get(key)
    assert "Dune Sea" in stored  # the next visitor gets this list without rendering it

    film.title = "Dune Sea (restored)"
    film.save()
    showtime.starts_at = tomorrow_at(19, 45)
    showtime.save()
    changed = client.get(url, day).content.decode()
    assert "Dune Sea (restored)" in changed and "19:45" in changed and "18:00" not in changed

    # The show moves to another hall at the same time: the list says so at once.
    showtime.auditorium = "Hall 7"
    showtime.save()
    moved = client.get(url, day).content.decode()
    assert "Hall 7" in moved and "Hall 1" not in moved

    cinema = make_cinema(name="Keruen")
    make_showtime(film=make_film(title="Arctic"), cinema=cinema, starts_at=tomorrow_at(21),
                  auditorium="Hall 2")  # fmt: skip
    assert "Arctic" in client.get(url, day).content.decode()

    with translation.override("en"):  # restores the test's language after the request
        russian = client.get(url, day, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'title="Возрастной рейтинг"' in russian and 'title="Age rating"' not in russian
    assert "Book Arctic at 21:00, Keruen, Hall 2" in client.get(url, day).content.decode()

    # Translated titles and cities are what the list shows: each edit is shown at once, in
    # its language only, and an empty one shows the English text.
    film.title_ru = "Дюны"
    film.save()
    cinema.city_ru = "Алматы"
    cinema.save()
    with translation.override("en"):  # restores the test's language after the requests
        russian = client.get(url, day, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        film.title_ru = "Дюны: возвращение"
        film.save()
        edited = client.get(url, day, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        film.title_ru = ""
        film.save()
        emptied = client.get(url, day, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Дюны" in russian and "Dune Sea" not in russian and "· Алматы" in russian
    assert "Дюны: возвращение" in edited
    assert "Dune Sea (restored)" in emptied and "Дюны" not in emptied
    english = client.get(url, day).content.decode()
    assert "Dune Sea (restored)" in english and "Дюны" not in english
    assert "· Almaty" in english and "· Алматы" not in english


def test_two_showtimes_at_the_same_time_are_told_apart_by_their_hall(client):
    cinema = make_cinema(name="Shymkent Plaza", city="Shymkent")
    film = make_film(title="Little Comet")
    one = make_showtime(film=film, cinema=cinema, starts_at=tomorrow_at(11), auditorium="Hall 1")
    two = make_showtime(film=film, cinema=cinema, starts_at=tomorrow_at(11), auditorium="Hall 2")

    programme = client.get(reverse("cinema:programme"), {"day": tomorrow_at(0).date().isoformat()})
    film_page = client.get(reverse("cinema:film_detail", args=[film.slug]))

    body = programme.content.decode()
    for showtime in (one, two):
        hall = showtime.auditorium
        assert f'aria-label="Book Little Comet at 11:00, Shymkent Plaza, {hall}"' in body
        assert f"</time> <small>{hall}</small></a>" in body
    day = tomorrow_at(11)
    shown = f"{day:%a} {day.day} {day:%b %Y}, 11:00"  # e.g. "Sun 22 Nov 2026, 11:00"
    page = film_page.content.decode()
    assert f"{shown}</time> <small>Hall 1</small>" in page
    assert f"{shown}</time> <small>Hall 2</small>" in page


def test_prices_and_times_read_as_the_members_language_writes_them(client):
    member = make_member()
    showtime = make_showtime(price="3600", starts_at=tomorrow_at(9, 30))
    booking = make_booking(showtime=showtime, user=member, seat_count=2)
    client.force_login(member)
    book_url = reverse("cinema:book", args=[showtime.pk])
    detail_url = reverse("cinema:booking_detail", args=[booking.code])
    day = tomorrow_at(9, 30)

    english = client.get(book_url).content.decode()
    assert "<dd>3,600\xa0KZT</dd>" in english and "3600.00" not in english
    assert f"{day:%a} {day.day} {day:%b %Y}, 09:30</time>" in english
    assert "<dd>7,200\xa0KZT</dd>" in client.get(detail_url).content.decode()
    listing = client.get(reverse("cinema:booking_list")).content.decode()
    assert f"{day:%a} {day.day} {day:%b %Y}, 09:30</time>" in listing

    with translation.override("en"):  # restores the test's language after the requests
        russian = client.get(book_url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        russian_detail = client.get(detail_url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "<dd>3\xa0600\xa0KZT</dd>" in russian and "3600,00" not in russian
    assert "<dd>7\xa0200\xa0KZT</dd>" in russian_detail
    assert f" {day.year} г., 09:30</time>" in russian  # noqa: RUF001
    assert "a.m." not in english + russian


def test_visitor_searches_films_by_title_and_genre(client):
    drama, comedy = make_genre(name="Drama"), make_genre(name="Comedy")
    make_film(title="The Quiet Harbour", genres=[drama])
    make_film(title="Harbour Lights", genres=[comedy])
    make_film(title="Steppe", genres=[drama])

    by_title = client.get(reverse("cinema:film_search"), {"q": "harbour"})
    by_both = client.get(reverse("cinema:film_search"), {"q": "HARBOUR", "genre": drama.slug})

    assert [f.title for f in by_title.context["films"]] == ["Harbour Lights", "The Quiet Harbour"]
    assert [f.title for f in by_both.context["films"]] == ["The Quiet Harbour"]


def test_visitor_views_a_film_with_its_showtimes_by_cinema(client):
    film = make_film(title="Aurora", age_rating="16+", synopsis="Lights over the steppe.")
    make_showtime(film=film, cinema=make_cinema(name="Mega Park"), starts_at=tomorrow_at(17))

    response = client.get(reverse("cinema:film_detail", args=[film.slug]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Lights over the steppe." in body and "16+" in body and "Mega Park" in body
    assert client.get(reverse("cinema:film_detail", args=["no-such-film"])).status_code == 404


def test_booking_requires_sign_in(client):
    showtime = make_showtime()
    url = reverse("cinema:book", args=[showtime.pk])

    response = client.post(url, {"seat_count": 2})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Booking.objects.exists()


def test_member_books_and_lands_on_the_confirmation(client, mailoutbox):
    member = make_member()
    client.force_login(member)
    showtime = make_showtime(capacity=50)

    response = client.post(
        reverse("cinema:book", args=[showtime.pk]), {"seat_count": 2}, follow=True
    )

    booking = Booking.objects.get()
    assert booking.user == member and booking.seats == ["A1", "A2"]
    assert response.redirect_chain[-1][0] == reverse("cinema:booking_detail", args=[booking.code])
    assert f"Your booking {booking.code} is confirmed." in response.content.decode()
    assert len(mailoutbox) == 1


def test_refusal_is_shown_on_the_form_and_keeps_the_input(client, settings):
    settings.CINEMA_MAX_SEATS_PER_BOOKING = 4
    client.force_login(make_member())
    showtime = make_showtime()

    response = client.post(reverse("cinema:book", args=[showtime.pk]), {"seat_count": 6})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["seat_count"] == ["You can book at most 4 seats at a time."]
    body = response.content.decode()
    assert 'value="6"' in body
    assert 'aria-invalid="true"' in body


def test_the_booking_page_shows_the_seat_map_with_the_taken_seats_disabled(client, settings):
    settings.CINEMA_SEATS_PER_ROW = 10
    client.force_login(make_member())
    showtime = make_showtime(capacity=25)
    make_booking(showtime=showtime, seat_count=2, seats=["A3", "A4"])

    body = client.get(reverse("cinema:book", args=[showtime.pk])).content.decode()

    assert body.count('name="seats"') == 25
    assert 'value="A3" id="seat-A3" disabled' in body
    assert 'value="A5" id="seat-A5">' in body
    assert "Row A, seat 3, taken" in body and "Row C, seat 5" in body
    assert '<details class="seat-map-box">' in body  # closed until used


def test_a_member_books_the_seats_they_ticked(client, mailoutbox):
    member = make_member()
    client.force_login(member)
    showtime = make_showtime(capacity=50)

    response = client.post(
        reverse("cinema:book", args=[showtime.pk]),
        {"seat_count": "2", "seats": ["B3", "B4", "B5"]},
        follow=True,
    )

    booking = Booking.objects.get()
    assert booking.user == member and booking.seats == ["B3", "B4", "B5"]
    assert booking.seat_count == 3
    assert response.redirect_chain[-1][0] == reverse("cinema:booking_detail", args=[booking.code])
    assert "B3, B4, B5" in response.content.decode()


def test_a_seat_taken_meanwhile_is_named_on_the_map_and_the_rest_of_the_choice_kept(client):
    client.force_login(make_member())
    showtime = make_showtime(capacity=50)
    make_booking(showtime=showtime, seat_count=1, seats=["C7"])

    response = client.post(
        reverse("cinema:book", args=[showtime.pk]), {"seat_count": "2", "seats": ["C6", "C7"]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["seats"] == [
        "Someone else has just booked C7. Your choice is kept: pick other seats, or clear the "
        "map and give a number of seats."
    ]
    body = response.content.decode()
    assert 'value="C6" id="seat-C6" checked' in body
    assert 'value="C7" id="seat-C7" disabled' in body
    assert '<details class="seat-map-box" open>' in body
    assert 'aria-describedby="seat-map-help seat-map-errors"' in body
    assert Booking.objects.count() == 1


def test_neither_seats_nor_a_number_is_a_clear_error(client):
    client.force_login(make_member())
    showtime = make_showtime()

    response = client.post(reverse("cinema:book", args=[showtime.pk]), {"seat_count": ""})

    assert response.context["form"].errors["seat_count"] == [
        "Give a number of seats, or tick the seats you want on the map."
    ]
    assert not Booking.objects.exists()


def test_age_refusal_is_a_form_error(client):
    client.force_login(make_member(date_of_birth=timezone.localdate() - timedelta(days=365 * 13)))
    showtime = make_showtime(film=make_film(age_rating="18+"))

    response = client.post(reverse("cinema:book", args=[showtime.pk]), {"seat_count": 1})

    assert "must be at least 18 years old" in response.content.decode()
    assert not Booking.objects.exists()


def test_members_see_only_their_own_bookings(client):
    me, other = make_member(), make_member()
    mine = make_booking(showtime=make_showtime(film=make_film(title="Mine")), user=me)
    theirs = make_booking(showtime=make_showtime(film=make_film(title="Theirs")), user=other)
    client.force_login(me)

    listing = client.get(reverse("cinema:booking_list"))

    assert [b.code for b in listing.context["upcoming"]] == [mine.code]
    assert "Theirs" not in listing.content.decode()
    assert client.get(reverse("cinema:booking_detail", args=[mine.code])).status_code == 200
    assert client.get(reverse("cinema:booking_detail", args=[theirs.code])).status_code == 404


def test_cancelling_another_members_booking_is_404(client):
    theirs = make_booking(showtime=make_showtime(), user=make_member())
    client.force_login(make_member())

    response = client.post(reverse("cinema:booking_cancel", args=[theirs.code]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.RESERVED


def test_member_confirms_before_a_booking_is_cancelled(client, mailoutbox):
    member = make_member()
    showtime = make_showtime(price="2500")
    booking = book_seats(member, showtime_id=showtime.pk, seat_count=2, actor=member)
    client.force_login(member)
    cancel_url = reverse("cinema:booking_cancel", args=[booking.code])

    # The booking page only links to the confirmation; nothing happens on that click.
    detail = client.get(reverse("cinema:booking_detail", args=[booking.code])).content.decode()
    assert f'href="{cancel_url}"' in detail and f'action="{cancel_url}"' not in detail
    assert "Pay at the box office" in detail and "BOX-" not in detail

    confirm = client.get(cancel_url)
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert f"Cancel booking {booking.code}?" in page
    assert "Your 2 seats are released at once" in page
    assert "You have not paid for this booking, so there is nothing to refund." in page
    assert "Yes, cancel this booking" in page and "Keep my booking" in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED and len(mailoutbox) == 1

    response = client.post(cancel_url, follow=True)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    body = response.content.decode()
    assert "Your booking is cancelled." in body
    assert "Not paid: the booking was cancelled." in body
    assert "BOX-" not in body and "Cancel this booking" not in body
    # Asking again says why, on the booking's page.
    again = client.get(cancel_url, follow=True).content.decode()
    assert "This booking has already been cancelled." in again
    assert "Yes, cancel this booking" not in again


def test_a_paid_booking_tells_the_card_and_the_refund(client, settings):
    settings.CINEMA_PAYMENT_PROVIDER = "tests.cinema.test_booking_service.CardProvider"
    member = make_member()
    showtime = make_showtime(price="3600")
    booking = book_seats(member, showtime_id=showtime.pk, seat_count=1, actor=member)
    client.force_login(member)
    detail_url = reverse("cinema:booking_detail", args=[booking.code])

    detail = client.get(detail_url).content.decode()
    assert "Paid by the card ending 4242." in detail
    assert booking.payment_reference not in detail
    confirm = client.get(reverse("cinema:booking_cancel", args=[booking.code])).content.decode()
    assert "We refund 3,600\xa0KZT to the card ending 4242." in confirm

    client.post(reverse("cinema:booking_cancel", args=[booking.code]))

    detail = client.get(detail_url).content.decode()
    assert "Refunded to the card ending 4242." in detail
    assert booking.payment_reference not in detail


def test_no_confirmation_is_offered_once_the_showtime_started(client):
    member = make_member()
    started = make_showtime(starts_at=timezone.now() - timedelta(minutes=5))
    booking = make_booking(showtime=started, user=member)
    client.force_login(member)

    response = client.get(reverse("cinema:booking_cancel", args=[booking.code]), follow=True)

    assert "the booking can no longer be cancelled" in response.content.decode()
    assert "Yes, cancel this booking" not in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED


def test_another_member_gets_no_cancellation_page(client):
    theirs = make_booking(showtime=make_showtime(), user=make_member())
    client.force_login(make_member())

    assert client.get(reverse("cinema:booking_cancel", args=[theirs.code])).status_code == 404


def test_booking_history_splits_upcoming_past_and_cancelled(client):
    member = make_member()
    past = make_booking(
        showtime=make_showtime(starts_at=timezone.now() - timedelta(days=2)), user=member
    )
    upcoming = make_booking(showtime=make_showtime(), user=member)
    cancelled = make_booking(showtime=make_showtime(), user=member, status="cancelled")
    refunded = make_booking(
        showtime=make_showtime(starts_at=timezone.now() + timedelta(days=3)),
        user=member,
        status="refunded",
    )
    client.force_login(member)

    response = client.get(reverse("cinema:booking_list"))

    assert [b.code for b in response.context["upcoming"]] == [upcoming.code]
    assert [b.code for b in response.context["past"]] == [past.code]
    assert [b.code for b in response.context["cancelled"]] == [refunded.code, cancelled.code]
    body = response.content.decode()
    assert '<h2 id="cancelled-heading">Cancelled</h2>' in body
    assert body.index(upcoming.code) < body.index("cancelled-heading") < body.index(cancelled.code)


def test_booking_history_has_no_cancelled_section_without_cancelled_bookings(client):
    member = make_member()
    make_booking(showtime=make_showtime(), user=member)
    client.force_login(member)

    assert "cancelled-heading" not in client.get(reverse("cinema:booking_list")).content.decode()


def test_header_links_to_programme_and_for_members_my_bookings(client):
    body = client.get("/").content.decode()
    assert reverse("cinema:programme") in body
    assert reverse("cinema:booking_list") not in body

    client.force_login(make_member())
    assert reverse("cinema:booking_list") in client.get("/").content.decode()


def test_member_saves_favourite_cinema_and_genres(client):
    member = make_member()
    cinema, drama, comedy = make_cinema(), make_genre(), make_genre()
    client.force_login(member)

    response = client.post(
        reverse("cinema:preferences"),
        {"favourite_cinema": cinema.pk, "favourite_genres": [drama.pk, comedy.pk]},
        follow=True,
    )

    assert "Your preferences have been saved." in response.content.decode()
    preferences = MemberPreferences.objects.get(user=member)
    assert preferences.favourite_cinema == cinema
    assert set(preferences.favourite_genres.all()) == {drama, comedy}
    page = client.get(reverse("cinema:preferences")).content.decode()
    assert f'value="{cinema.pk}" selected' in page

    client.post(reverse("cinema:preferences"), {"favourite_cinema": ""})
    preferences.refresh_from_db()
    assert preferences.favourite_cinema is None
    assert not preferences.favourite_genres.exists()


def test_preferences_need_sign_in(client):
    assert client.get(reverse("cinema:preferences")).status_code == 302


# --- Constant number of queries ----------------------------------------------------------
# Each test counts a page's queries at a small data size, grows the data several times over
# and asserts the very same number (django_assert_num_queries). Counting at the small size
# instead of hard-coding the total keeps the test about data size, not about how many
# queries other middleware (sessions, consent) happens to add per request; the queries of
# the cinema tables themselves are pinned separately.


def page_queries(client, url, params=None) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def cinema_queries(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if '"cinema_' in sql]


def seed_programme(*, films: int, cinemas: int, per_cinema: int) -> None:
    genre = make_genre()
    all_cinemas = [make_cinema(city=f"City {i % 3}") for i in range(cinemas)]
    for _ in range(films):
        film = make_film(genres=[genre])
        for cinema in all_cinemas:
            for s in range(per_cinema):
                make_showtime(film=film, cinema=cinema, starts_at=tomorrow_at(10 + s))


def test_programme_issues_a_constant_number_of_queries(client, django_assert_num_queries):
    url, params = reverse("cinema:programme"), {"day": tomorrow_at(0).date().isoformat()}
    seed_programme(films=1, cinemas=1, per_cinema=1)
    small = page_queries(client, url, params)
    # Cinemas for the filters, then showtimes joined with film and cinema.
    assert len(cinema_queries(small)) == 2

    seed_programme(films=8, cinemas=5, per_cinema=3)
    with django_assert_num_queries(len(small)):
        response = client.get(url, params)

    assert len(response.context["films"]) == 9
    assert sum(len(g.showtimes) for e in response.context["films"] for g in e.cinemas) == 121


def test_programme_query_count_is_the_same_for_members(client, django_assert_num_queries):
    member = make_member()
    bookings_url = reverse("cinema:programme")
    client.force_login(member)
    client.get("/")  # the first request of a session records it (allauth usersessions)
    seed_programme(films=1, cinemas=1, per_cinema=1)
    small = page_queries(client, bookings_url)

    seed_programme(films=6, cinemas=4, per_cinema=2)
    with django_assert_num_queries(len(small)):
        client.get(bookings_url)


def test_film_search_issues_a_constant_number_of_queries(client, django_assert_num_queries):
    url, params = reverse("cinema:film_search"), {"q": "film"}
    seed_programme(films=1, cinemas=1, per_cinema=1)
    small = page_queries(client, url, params)
    assert len(cinema_queries(small)) == 3  # genres for the filter, films, their genres

    seed_programme(films=10, cinemas=1, per_cinema=1)
    with django_assert_num_queries(len(small)):
        response = client.get(url, params)

    assert len(response.context["films"]) == 11


def add_bookings(member, count: int) -> None:
    for index in range(count):
        starts = timezone.now() + timedelta(days=1 if index % 2 else -1, hours=index)
        make_booking(showtime=make_showtime(starts_at=starts), user=member)


def test_booking_history_issues_a_constant_number_of_queries(client, django_assert_num_queries):
    member = make_member()
    make_booking(showtime=make_showtime(), user=make_member())  # someone else's
    add_bookings(member, 1)
    client.force_login(member)
    client.get("/")  # the first request of a session records it (allauth usersessions)
    url = reverse("cinema:booking_list")
    small = page_queries(client, url)
    assert len(cinema_queries(small)) == 1  # bookings joined with showtime, film, cinema

    add_bookings(member, 12)
    with django_assert_num_queries(len(small)):
        response = client.get(url)

    context = response.context
    assert len(context["upcoming"]) + len(context["past"]) + len(context["cancelled"]) == 13
