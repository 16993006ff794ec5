"""Factories of the cinema domain: plain functions with explicit, overridable fields."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from cinema.models import Booking, Cinema, Film, Genre, Showtime

_counter = itertools.count(1)


def make_genre(*, name=None, slug=None, **fields):
    n = next(_counter)
    return Genre.objects.create(name=name or f"Genre {n}", slug=slug or f"genre-{n}", **fields)


def make_cinema(*, name=None, city="Almaty", latitude="43.238949", longitude="76.889709", **fields):
    n = next(_counter)
    fields.setdefault("address", f"{n} Abay Avenue")
    return Cinema.objects.create(
        name=name or f"Cinema {n}",
        city=city,
        latitude=Decimal(latitude),
        longitude=Decimal(longitude),
        **fields,
    )


def make_film(*, title=None, age_rating="0+", genres=(), **fields):
    n = next(_counter)
    title = title or f"Film {n}"
    fields.setdefault("runtime_minutes", 110)
    fields.setdefault("synopsis", f"The story of {title}.")
    film = Film.objects.create(title=title, slug=f"film-{n}", age_rating=age_rating, **fields)
    if genres:
        film.genres.set(genres)
    return film


def make_showtime(*, film=None, cinema=None, starts_at=None, capacity=100, price="2500", **fields):
    n = next(_counter)
    fields.setdefault("auditorium", f"Hall {n}")
    return Showtime.objects.create(
        film=film or make_film(),
        cinema=cinema or make_cinema(),
        starts_at=starts_at or timezone.now() + timedelta(days=1),
        capacity=capacity,
        price=Decimal(price),
        **fields,
    )


def make_booking(*, showtime, user=None, seat_count=1, seats=None, status="reserved", **fields):
    """Insert a booking directly (no service, no email); for arranging data only."""
    n = next(_counter)
    return Booking.objects.create(
        showtime=showtime,
        user=user,
        code=fields.pop("code", f"T{n:05d}"),
        seat_count=seat_count,
        seats=seats if seats is not None else [f"Z{n}-{i}" for i in range(seat_count)],
        unit_price=showtime.price,
        total_price=showtime.price * seat_count,
        currency=showtime.currency,
        status=status,
        **fields,
    )
