"""The nearest-cinema endpoint and the staff box-office report."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import formats, timezone

from cinema.models import Booking
from tests.cinema.factories import make_booking, make_cinema, make_film, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

NEAREST = "cinema:nearest_cinemas"


@pytest.fixture
def cinemas():
    return {
        "almaty": make_cinema(name="Esentai", city="Almaty", latitude="43.218", longitude="76.928"),
        "astana": make_cinema(name="Keruen", city="Astana", latitude="51.128", longitude="71.430"),
        "shymkent": make_cinema(
            name="Shymkent Plaza", city="Shymkent", latitude="42.317", longitude="69.596"
        ),
    }


def test_nearest_cinema_comes_first(client, cinemas):
    # A point in Astana's left bank.
    response = client.post(reverse(NEAREST), {"latitude": "51.09", "longitude": "71.41"})

    assert response.status_code == 200
    names = [c["name"] for c in response.json()["cinemas"]]
    assert names == ["Keruen", "Esentai", "Shymkent Plaza"]
    first = response.json()["cinemas"][0]
    assert 3 < first["distance_km"] < 6
    assert first["url"] == f"{reverse('cinema:programme')}?cinema={cinemas['astana'].pk}"


def test_nearest_cinema_stores_and_logs_nothing(client, cinemas, caplog, django_assert_num_queries):
    caplog.set_level(logging.DEBUG)

    with django_assert_num_queries(1):  # reading the cinemas; no write
        client.post(reverse(NEAREST), {"latitude": "43.2567", "longitude": "76.9286"})

    assert "43.2567" not in caplog.text and "76.9286" not in caplog.text
    assert "43.2567" not in str(dict(client.session))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"latitude": "north", "longitude": "76.9"}, "latitude must be a number"),
        ({"latitude": "43.2", "longitude": ""}, "This field is required."),
        ({"latitude": "91", "longitude": "76.9"}, "less than or equal to 90"),
        ({"latitude": "43.2", "longitude": "-180.5"}, "greater than or equal to -180"),
        ({"latitude": "nan", "longitude": "76.9"}, "latitude must be a number"),
    ],
)
def test_nearest_cinema_refuses_bad_coordinates(client, cinemas, data, message):
    response = client.post(reverse(NEAREST), data)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_nearest_cinema_is_post_only(client):
    assert client.get(reverse(NEAREST), {"latitude": "43", "longitude": "76"}).status_code == 405


def test_nearest_cinema_needs_the_csrf_token(cinemas):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse(NEAREST), {"latitude": "43.2", "longitude": "76.9"}
    )

    assert response.status_code == 403


# --- Box office ----------------------------------------------------------------------------


def make_staff(*, with_permission=True):
    staff = make_member(is_staff=True)
    if with_permission:
        staff.user_permissions.add(Permission.objects.get(codename="view_boxoffice"))
    return staff


def test_box_office_counts_erased_members_bookings(client):
    today = timezone.localdate()
    starts = timezone.make_aware(timezone.datetime(today.year, today.month, today.day, 18))
    esentai = make_cinema(name="Esentai")
    showtime = make_showtime(
        film=make_film(title="Arctic"), cinema=esentai, starts_at=starts, price="2000"
    )
    make_booking(showtime=showtime, user=make_member(), seat_count=2, status="paid")
    make_booking(showtime=showtime, user=None, seat_count=3, status="reserved")  # erased
    make_booking(showtime=showtime, user=make_member(), seat_count=4, status="cancelled")
    client.force_login(make_staff())

    response = client.get(
        reverse("cinema:box_office"),
        {"start": today.isoformat(), "end": (today + timedelta(days=1)).isoformat()},
    )

    assert response.status_code == 200
    report = response.context["report"]
    (cinema_row,) = report["cinema"]
    assert (cinema_row.tickets, cinema_row.revenue, cinema_row.bookings) == (5, Decimal(10000), 2)
    assert [(r.label, r.tickets) for r in report["film"]] == [("Arctic", 5)]
    # Days read as dates do in the staff member's language, not as ISO strings.
    day = formats.date_format(today, "SHORT_DATE_FORMAT")
    assert [(r.label, r.tickets) for r in report["day"]] == [(day, 5)]
    assert day != today.isoformat()
    body = response.content.decode()
    assert "<svg" in body and "<rect" in body
    assert "<script" not in body.split('id="content-main"')[1]


def test_box_office_default_range_and_bad_range(client):
    client.force_login(make_staff())

    assert client.get(reverse("cinema:box_office")).status_code == 200
    response = client.get(
        reverse("cinema:box_office"), {"start": "2026-05-02", "end": "2026-05-01"}
    )
    assert response.context["report"] is None
    assert "must not be before" in response.content.decode()


def test_box_office_is_linked_from_the_admin_index(client):
    client.force_login(make_staff())

    assert reverse("cinema:box_office") in client.get(reverse("admin:index")).content.decode()


def test_members_cannot_see_the_box_office(client):
    client.force_login(make_member())

    response = client.get(reverse("cinema:box_office"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_permission_get_403(client):
    client.force_login(make_staff(with_permission=False))

    assert client.get(reverse("cinema:box_office")).status_code == 403


def test_booking_admin_shows_the_member_as_an_id_link(client):
    member = make_member(email="private.person@example.com")
    booking = make_booking(showtime=make_showtime(), user=member)
    make_booking(showtime=make_showtime(), user=None)
    admin_user = make_member(is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    response = client.get(reverse("admin:cinema_booking_changelist"))

    body = response.content.decode()
    assert response.status_code == 200
    assert booking.code in body
    assert reverse("admin:accounts_user_change", args=[member.pk]) in body
    assert "private.person@example.com" not in body
    searched = client.get(reverse("admin:cinema_booking_changelist"), {"q": booking.code})
    assert list(searched.context["cl"].result_list) == [booking]
    assert (
        client.get(
            reverse("admin:cinema_booking_changelist"), {"status__exact": "paid"}
        ).status_code
        == 200
    )
    assert Booking.objects.count() == 2
