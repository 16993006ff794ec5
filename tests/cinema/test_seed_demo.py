"""``seed_demo`` makes the same realistic data for the same seed, and is safe to rerun."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from cinema import demo

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_seed_creates_demo_logins_that_can_sign_in(client):
    call_command("seed_demo", members=5, seed=7)

    officer = User.objects.get(email=demo.OFFICER_EMAIL)
    assert officer.is_staff and not officer.is_superuser
    assert officer.groups.filter(name=demo.PRIVACY_OFFICER_GROUP).exists()
    response = client.post(
        "/accounts/login/", {"login": demo.MEMBER_EMAIL, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_seeding_again_takes_back_what_an_older_demo_gave_the_officer_role():
    demo.seed_demo(members=0, seed=1)
    group = Group.objects.get(name=demo.PRIVACY_OFFICER_GROUP)
    # What the demo of earlier versions granted: every permission of three apps.
    group.permissions.add(*Permission.objects.filter(content_type__app_label="accounts"))
    assert group.permissions.filter(codename="change_user").exists()

    demo.seed_demo(members=0, seed=1)

    assert not group.permissions.filter(codename="change_user").exists()
    assert group.permissions.filter(codename="view_user").exists()
    officer = User.objects.get(email=demo.OFFICER_EMAIL)
    officer = User.objects.get(pk=officer.pk)  # a fresh permission cache
    assert not officer.has_perm("accounts.change_user")


def test_the_demo_officer_has_the_privacy_officer_role_and_no_more(client):
    demo.seed_demo(members=0, seed=1)
    officer = User.objects.get(email=demo.OFFICER_EMAIL)
    group = officer.groups.get(name=demo.PRIVACY_OFFICER_GROUP)

    # What the role grants (privacy/roles.py): the privacy app, viewing members.
    assert officer.has_perm("privacy.handle_privacyrequest")
    assert officer.has_perm("accounts.view_user")
    assert officer.has_perm("cinema.view_booking")
    # The box-office report, for the demo login only: the shared role stays as defined.
    assert officer.has_perm("cinema.view_boxoffice")
    assert not group.permissions.filter(codename="view_boxoffice").exists()
    # Changing accounts is an administrator's job, not the officer's.
    for perm in ("accounts.change_user", "accounts.delete_user", "accounts.add_user",
                 "cinema.change_booking", "cinema.change_film"):  # fmt: skip
        assert not officer.has_perm(perm), perm
    assert set(
        group.permissions.exclude(content_type__app_label="privacy").values_list(
            "content_type__app_label", "codename"
        )
    ) == {("accounts", "view_user"), ("account", "view_emailaddress"), ("cinema", "view_booking")}


def test_same_seed_same_people_and_rerunning_adds_nothing():
    demo.seed_demo(members=12, seed=3)
    first = list(User.objects.order_by("email").values_list("email", "first_name", "phone"))

    result = demo.seed_demo(members=12, seed=3)

    assert result.members_created == 0
    assert list(User.objects.order_by("email").values_list("email", "first_name", "phone")) == first
    assert User.objects.count() == 14


def test_members_cover_the_four_languages_and_are_old_enough():
    demo.seed_demo(members=8, seed=1)

    members = User.objects.exclude(email__in=[demo.MEMBER_EMAIL, demo.OFFICER_EMAIL])
    assert set(members.values_list("preferred_language", flat=True)) == {
        "en",
        "ru",
        "kk",
        "zh-hans",
    }
    assert all(m.emailaddress_set.get().verified for m in members)
    assert not any(m.has_usable_password() for m in members)


def test_batches_are_bounded(monkeypatch):
    monkeypatch.setattr(demo, "BATCH_SIZE", 3)

    result = demo.seed_demo(members=10, seed=9)

    assert result.members_created == 10


def test_negative_member_count_is_a_clear_error():
    with pytest.raises(CommandError, match="zero or more"):
        call_command("seed_demo", members=-1)


def test_programme_is_seeded_for_ten_days_and_rerunning_adds_nothing():
    from datetime import datetime, timedelta

    from django.utils import timezone

    from cinema.models import Cinema, Film, Showtime

    now = timezone.make_aware(datetime(2026, 11, 22, 9, 0))
    first = demo.seed_demo(members=10, seed=5, now=now)

    assert Cinema.objects.count() == 6
    assert set(Cinema.objects.values_list("city", flat=True)) >= {"Almaty", "Astana", "Shymkent"}
    assert Film.objects.count() == 12
    assert all(film.genres.exists() for film in Film.objects.all())
    assert first.showtimes_created == Showtime.objects.count() == 6 * 10 * 2 * 4
    days = {timezone.localdate(s) for s in Showtime.objects.values_list("starts_at", flat=True)}
    assert min(days) == now.date() and max(days) == now.date() + timedelta(days=9)
    programme = list(Showtime.objects.order_by("pk").values_list("film__slug", "starts_at"))

    second = demo.seed_demo(members=10, seed=5, now=now)

    assert (second.showtimes_created, second.bookings_created) == (0, 0)
    assert list(Showtime.objects.order_by("pk").values_list("film__slug", "starts_at")) == programme


def test_demo_member_has_upcoming_bookings():
    from cinema.models import Booking

    result = demo.seed_demo(members=5, seed=2)

    member = User.objects.get(email=demo.MEMBER_EMAIL)
    bookings = Booking.objects.filter(user=member)
    assert bookings.count() == 2
    assert all(b.seat_count == 2 and len(b.seats) == 2 for b in bookings)
    assert result.bookings_created == Booking.objects.count() >= 2
