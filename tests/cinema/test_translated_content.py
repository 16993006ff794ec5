"""Film titles, genres and cinemas in the member's language, entered by staff per language."""

import pytest
from django.urls import reverse
from django.utils import translation

from cinema import demo, selectors
from cinema.models import Cinema, Film, Genre, Showtime
from tests.cinema.factories import make_cinema, make_film, make_genre, make_showtime
from tests.cinema.test_views import tomorrow_at
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def make_translated_showtime():
    adventure = make_genre(name="Adventure", name_ru="Приключения", slug="adventure")
    cinema = make_cinema(
        name="Marquee Esentai",
        name_ru="Marquee Есентай",
        city="Almaty",
        city_ru="Алматы",
        address="77/8 Al-Farabi Avenue",
        address_ru="пр. аль-Фараби, 77/8",
    )
    film = make_film(
        title="Steppe Wind",
        title_ru="Степной ветер",
        synopsis="A young herder crosses the steppe.",
        synopsis_ru="Юная пастушка пересекает степь.",
        genres=[adventure],
    )
    return make_showtime(film=film, cinema=cinema, starts_at=tomorrow_at(18))


def get_as(client, member, url, params=None):
    client.force_login(member)
    with translation.override("en"):  # restores the test's language after the request
        return client.get(url, params).content.decode()


def test_a_russian_member_sees_film_genre_and_cinema_in_russian(client):
    showtime = make_translated_showtime()
    member = make_member(preferred_language="ru")
    day = {"day": tomorrow_at(0).date().isoformat()}

    programme = get_as(client, member, reverse("cinema:programme"), day)
    film_page = get_as(client, member, reverse("cinema:film_detail", args=[showtime.film.slug]))
    booking = get_as(client, member, reverse("cinema:book", args=[showtime.pk]))

    assert "Степной ветер" in programme and "Steppe Wind" not in programme
    assert "Marquee Есентай" in programme and "· Алматы" in programme
    assert '<option value="Алматы">Алматы</option>' in programme  # the city filter
    assert "Степной ветер" in film_page and "Steppe Wind" not in film_page
    assert "Юная пастушка пересекает степь." in film_page
    assert "<dd>Приключения</dd>" in film_page and "Adventure" not in film_page
    assert "Marquee Есентай, пр. аль-Фараби, 77/8, Алматы" in booking
    assert "Степной ветер" in booking and "Steppe Wind" not in booking
    # The same pages stay English for an English-speaking member.
    english = get_as(client, make_member(), reverse("cinema:programme"), day)
    assert "Steppe Wind" in english and "Степной ветер" not in english
    assert "· Almaty" in english


def test_filtering_by_a_translated_city_finds_its_showtimes(client):
    showtime = make_translated_showtime()
    make_showtime(
        film=make_film(title="Red Sands", title_ru="Красные пески"),
        cinema=make_cinema(city="Astana", city_ru="Астана"),
        starts_at=tomorrow_at(18),
    )
    member = make_member(preferred_language="ru")
    day = tomorrow_at(0).date().isoformat()

    almaty = get_as(client, member, reverse("cinema:programme"), {"day": day, "city": "Алматы"})

    assert "Степной ветер" in almaty and "Красные пески" not in almaty
    assert showtime.cinema.city_ru == "Алматы"


def test_a_missing_translation_falls_back_to_english(client):
    cinema = make_cinema(name="Caspian Screens", city="Aktau", city_ru="Актау")
    film = make_film(title="Night Shift", genres=[make_genre(name="Comedy")])
    make_showtime(film=film, cinema=cinema, starts_at=tomorrow_at(21))
    member = make_member(preferred_language="ru")
    day = tomorrow_at(0).date().isoformat()

    programme = get_as(client, member, reverse("cinema:programme"), {"day": day})
    film_page = get_as(client, member, reverse("cinema:film_detail", args=[film.slug]))
    kazakh = get_as(
        client, make_member(preferred_language="kk"), reverse("cinema:programme"), {"day": day}
    )
    by_city = get_as(
        client, make_member(preferred_language="kk"), reverse("cinema:programme"),
        {"day": day, "city": "Aktau"},
    )  # fmt: skip

    assert "Night Shift" in programme and "Caspian Screens" in programme
    assert "· Актау" in programme
    assert "<dd>Comedy</dd>" in film_page
    assert "Night Shift" in kazakh and "· Aktau" in kazakh  # no Kazakh city: English
    assert "Night Shift" in by_city  # the English city shown is the one filtered by


def test_search_finds_a_film_by_its_title_in_the_members_language_and_in_english(client):
    make_translated_showtime()
    make_film(title="Red Sands", title_ru="Красные пески")
    member = make_member(preferred_language="ru")
    client.force_login(member)
    url = reverse("cinema:film_search")

    with translation.override("en"):  # restores the test's language after the requests
        russian = client.get(url, {"q": "Степной"})
        english = client.get(url, {"q": "steppe"})
        in_english_ui = client.get(url, {"q": "Красные"}, HTTP_ACCEPT_LANGUAGE="en")

    assert [f.title_en for f in russian.context["films"]] == ["Steppe Wind"]
    assert "Степной ветер" in russian.content.decode()
    assert [f.title_en for f in english.context["films"]] == ["Steppe Wind"]
    assert [f.title_en for f in in_english_ui.context["films"]] == ["Red Sands"]


def test_films_are_listed_in_the_order_of_their_shown_titles():
    make_film(title="Arctic", title_ru="Шторм")
    make_film(title="Zebra", title_ru="Арктика")
    make_film(title="Mirage")  # no Russian title: sorted by its English one

    with translation.override("ru"):
        titles = [film.title for film in selectors.search_films()]

    assert titles == ["Mirage", "Арктика", "Шторм"]


def test_staff_enter_each_language_in_the_admin(client):
    film = make_film(title="Little Comet", genres=[make_genre(name="Family")])
    client.force_login(make_member(is_staff=True, is_superuser=True))
    url = reverse("admin:cinema_film_change", args=[film.pk])

    form = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title_en": "Little Comet",
            "title_ru": "Маленькая комета",
            "title_kk": "Кішкентай құйрықты жұлдыз",
            "title_zh_hans": "小彗星",
            "slug": film.slug,
            "synopsis_en": "A comet learns to shine.",
            "synopsis_ru": "",
            "synopsis_kk": "",
            "synopsis_zh_hans": "",
            "genres": [g.pk for g in film.genres.all()],
            "runtime_minutes": 84,
            "age_rating": "0+",
            "release_date": "",
        },
    )

    assert 'name="title_ru"' in form and 'name="title_zh_hans"' in form
    assert '<label for="id_title_ru">Title [ru]:</label>' in form
    assert response.status_code == 302, response.content.decode()[:2000]
    film.refresh_from_db()
    assert (film.title_ru, film.title_kk, film.title_zh_hans) == (
        "Маленькая комета",
        "Кішкентай құйрықты жұлдыз",
        "小彗星",
    )
    with translation.override("ru"):
        assert film.title == "Маленькая комета"
        assert film.synopsis == "A comet learns to shine."  # Russian left empty: English
    # Staff find it by any of its titles.
    with translation.override("en"):
        found = client.get(reverse("admin:cinema_film_changelist"), {"q": "комета"})
    assert "Little Comet" in found.content.decode()


def test_english_is_required_in_the_admin(client):
    genre = make_genre(name="Drama", slug="drama")
    client.force_login(make_member(is_staff=True, is_superuser=True))
    url = reverse("admin:cinema_genre_change", args=[genre.pk])

    with translation.override("en"):
        response = client.post(
            url, {"name_en": "", "name_ru": "Драма", "name_kk": "", "name_zh_hans": "",
                  "slug": "drama"},
        )  # fmt: skip

    assert response.status_code == 200  # the form again, with the error
    assert "This field is required." in response.content.decode()
    genre.refresh_from_db()
    assert genre.name_en == "Drama" and genre.name_ru is None


def test_the_demo_content_is_translated_and_reseeding_keeps_what_staff_entered():
    demo.seed_programme(seed=1)
    almaty = Cinema.objects.get(name_en="Marquee Esentai")
    assert (almaty.city_ru, almaty.city_kk, almaty.city_zh_hans) == ("Алматы", "Алматы", "阿拉木图")
    assert Genre.objects.get(slug="adventure").name_zh_hans == "冒险"
    assert not Film.objects.filter(title_ru__isnull=True).exists()
    # A Kazakh title a member of staff changed, and one missing (a demo from before).
    Film.objects.filter(slug="steppe-wind").update(title_kk="Дала самалы")
    Film.objects.filter(slug="red-sands").update(title_ru=None)
    counts = (Film.objects.count(), Cinema.objects.count(), Genre.objects.count())

    again = demo.seed_programme(seed=1)

    assert again.showtimes_created == 0 and again.bookings_created == 0
    assert (Film.objects.count(), Cinema.objects.count(), Genre.objects.count()) == counts
    assert Film.objects.get(slug="steppe-wind").title_kk == "Дала самалы"
    assert Film.objects.get(slug="red-sands").title_ru == "Красные пески"


def test_what_staff_save_in_another_language_leaves_reports_in_english(client):
    showtime = make_translated_showtime()
    film = showtime.film
    with translation.override("ru"):  # a member of staff working in Russian
        film.title = "Степной ветер (режиссёрская версия)"
        film.save(update_fields=["title"])
        film.synopsis = "Новое описание."
        film.save()

    film.refresh_from_db()
    assert film.title_ru == "Степной ветер (режиссёрская версия)"
    assert film.synopsis_ru == "Новое описание." and film.title_en == "Steppe Wind"
    # Reports and exports reading the film through a relation read the English column.
    assert Showtime.objects.filter(pk=showtime.pk).values_list(
        "film__title", "cinema__city"
    ).get() == ("Steppe Wind", "Almaty")
