"""Reads of the cinema domain that span relations, each in a fixed number of queries.

Pages built on these selectors issue the same number of SQL queries whatever the amount
of data (the tests prove it at two data sizes): every relation a page shows is fetched
with ``select_related``/``prefetch_related`` here, never lazily in a template.
"""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, TextField, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import formats, timezone, translation
from modeltranslation.utils import build_localized_fieldname, resolution_order
from modeltranslation.utils import get_language as content_language

from cinema.models import Booking, Cinema, Film, Genre, MemberPreferences, Showtime

EARTH_RADIUS_KM = 6371.0088


# --- Translated content --------------------------------------------------------------------
# Film titles, genre names and cinema names, cities and addresses are entered per language
# (cinema/translation.py). ``film.title`` reads the member's language, or English when that
# one is empty; queries must do the same with the per-language columns, never the original
# column (whose value the library leaves undetermined).


def _shown_languages() -> tuple[str, ...]:
    """The current language, then the ones it falls back to (English)."""
    return resolution_order(content_language())


def shown(path: str):
    """An expression giving ``path`` (``"title"``, ``"film__title"``) as a member reads it:
    the current language's value, or the first fallback that is not empty."""
    columns = [
        NullIf(F(build_localized_fieldname(path, lang)), Value("")) for lang in _shown_languages()
    ]
    return Coalesce(*columns, output_field=TextField()) if len(columns) > 1 else columns[0]


def shown_equals(path: str, value: str) -> Q:
    """Rows where ``path`` as a member reads it (with fallback) equals ``value``."""
    match, earlier_empty = Q(), Q()
    for index, lang in enumerate(_shown_languages()):
        column = build_localized_fieldname(path, lang)
        here = earlier_empty & Q(**{column: value})
        match = here if index == 0 else match | here
        earlier_empty &= Q(**{f"{column}__isnull": True}) | Q(**{column: ""})
    return match


# --- Programme -----------------------------------------------------------------------------


@dataclass
class CinemaTimes:
    cinema: Cinema
    showtimes: list[Showtime] = field(default_factory=list)


@dataclass
class FilmProgramme:
    film: Film
    cinemas: list[CinemaTimes] = field(default_factory=list)


def active_cinemas() -> QuerySet[Cinema]:
    return Cinema.objects.filter(is_active=True).order_by("city", "name")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def upcoming_showtimes(
    *, day: date | None = None, city: str = "", cinema_id: int | None = None, now=None
) -> QuerySet[Showtime]:
    """Showtimes not yet started at active cinemas, optionally on one local day."""
    now = now or timezone.now()
    showtimes = Showtime.objects.filter(starts_at__gt=now, cinema__is_active=True)
    if day is not None:
        start, end = day_bounds(day)
        showtimes = showtimes.filter(starts_at__gte=start, starts_at__lt=end)
    if city:
        # The filter offers the cities as shown (translated); match them the same way.
        showtimes = showtimes.filter(shown_equals("cinema__city", city))
    if cinema_id:
        showtimes = showtimes.filter(cinema_id=cinema_id)
    return showtimes.select_related("film", "cinema")


def programme(
    *, day: date | None = None, city: str = "", cinema_id: int | None = None, now=None
) -> list[FilmProgramme]:
    """Upcoming showtimes grouped by film (by title), then cinema, then time (1 query)."""
    showtimes = upcoming_showtimes(day=day, city=city, cinema_id=cinema_id, now=now).order_by(
        shown("film__title"),
        "film_id",
        shown("cinema__city"),
        shown("cinema__name"),
        "cinema_id",
        "starts_at",
    )
    films: list[FilmProgramme] = []
    for showtime in showtimes:
        if not films or films[-1].film.pk != showtime.film_id:
            films.append(FilmProgramme(film=showtime.film))
        cinemas = films[-1].cinemas
        if not cinemas or cinemas[-1].cinema.pk != showtime.cinema_id:
            cinemas.append(CinemaTimes(cinema=showtime.cinema))
        cinemas[-1].showtimes.append(showtime)
    return films


def programme_fingerprint(films: list[FilmProgramme]) -> str:
    """A digest of everything the programme's film list shows, for caching its HTML.

    Content-addressed: any change to a title, a rating, a runtime, a cinema's name or city,
    a time, an auditorium, or which showtimes are listed gives another digest, so a cached
    list is never stale and nothing has to invalidate it. The language and time zone it is
    rendered in are part of it too. Titles, names and cities are read as the template reads
    them, in the current language with the English fallback, so editing one translation
    changes the digest of exactly the lists that show it.
    """
    shown = [
        translation.get_language(),
        timezone.get_current_timezone_name(),
    ]
    for entry in films:
        film = entry.film
        shown.append((film.pk, film.slug, film.title, film.age_rating, film.runtime_minutes))
        for group in entry.cinemas:
            cinema = group.cinema
            shown.append((cinema.pk, cinema.name, cinema.city))
            shown.extend((s.pk, s.starts_at.isoformat(), s.auditorium) for s in group.showtimes)
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def cities() -> list[str]:
    return list(active_cinemas().order_by("city").values_list("city", flat=True).distinct())


# --- Films ---------------------------------------------------------------------------------


def search_films(*, query: str = "", genre_slug: str = "") -> QuerySet[Film]:
    """Films whose title contains ``query`` (any case), optionally of one genre, in title
    order as the member reads them.

    The title is matched as shown (the member's language, or English where that is empty)
    and in English as well, so a title seen on a poster or a trailer finds the film too.
    """
    films = Film.objects.all()
    if query:
        query = query.strip()
        films = films.annotate(shown_title=shown("title")).filter(
            Q(shown_title__icontains=query)
            | Q(**{f"{build_localized_fieldname('title', 'en')}__icontains": query})
        )
    if genre_slug:
        films = films.filter(genres__slug=genre_slug)
    return films.prefetch_related("genres").order_by(shown("title"), "pk").distinct()


def genres() -> QuerySet[Genre]:
    return Genre.objects.order_by("name")


def film_with_showtimes(slug: str, *, now=None) -> tuple[Film, list[CinemaTimes]]:
    """The film and its upcoming showtimes grouped by cinema; ``Film.DoesNotExist`` if none."""
    now = now or timezone.now()
    film = Film.objects.prefetch_related("genres").get(slug=slug)
    showtimes = (
        Showtime.objects.filter(film=film, starts_at__gt=now, cinema__is_active=True)
        .select_related("cinema")
        .order_by("cinema__city", "cinema__name", "cinema_id", "starts_at")
    )
    grouped: list[CinemaTimes] = []
    for showtime in showtimes:
        showtime.film = film
        if not grouped or grouped[-1].cinema.pk != showtime.cinema_id:
            grouped.append(CinemaTimes(cinema=showtime.cinema))
        grouped[-1].showtimes.append(showtime)
    return film, grouped


def showtime_for_booking(showtime_id: int) -> Showtime:
    """One showtime with its film, cinema and the number of seats still free."""
    return (
        Showtime.objects.select_related("film", "cinema")
        .annotate(
            seats_taken=Sum(
                "bookings__seat_count",
                filter=Q(bookings__status__in=Booking.ACTIVE_STATUSES),
                default=0,
            )
        )
        .get(pk=showtime_id)
    )


def taken_seats(showtime: Showtime) -> set[str]:
    """The seats of ``showtime`` held by active bookings (1 query)."""
    booked = Booking.objects.filter(
        showtime=showtime, status__in=Booking.ACTIVE_STATUSES
    ).values_list("seats", flat=True)
    return {seat for seats in booked for seat in seats}


# --- Bookings ------------------------------------------------------------------------------


def member_bookings(member) -> QuerySet[Booking]:
    """All of ``member``'s bookings with showtime, film and cinema (1 query)."""
    return (
        Booking.objects.filter(user=member)
        .select_related("showtime__film", "showtime__cinema")
        .order_by("showtime__starts_at", "pk")
    )


@dataclass
class BookingHistory:
    upcoming: list[Booking]  # active, showtime ahead, soonest first
    past: list[Booking]  # active, showtime over, latest first
    cancelled: list[Booking]  # cancelled or refunded, latest showtime first


def booking_history(member, *, now=None) -> BookingHistory:
    """``member``'s bookings split into upcoming, past and cancelled (1 query).

    A cancelled booking is no seat to go to, nor a film seen: it is listed apart, whenever
    its showtime is.
    """
    now = now or timezone.now()
    history = BookingHistory(upcoming=[], past=[], cancelled=[])
    for booking in member_bookings(member):
        if not booking.is_active:
            history.cancelled.append(booking)
        elif booking.showtime.starts_at > now:
            history.upcoming.append(booking)
        else:
            history.past.append(booking)
    history.past.reverse()
    history.cancelled.reverse()
    return history


def member_booking(member, *, code: str) -> Booking:
    """One of ``member``'s bookings by code; ``Booking.DoesNotExist`` for anyone else's."""
    return member_bookings(member).get(code=code)


def member_preferences(member) -> MemberPreferences | None:
    return (
        MemberPreferences.objects.filter(user=member)
        .select_related("favourite_cinema")
        .prefetch_related("favourite_genres")
        .first()
    )


# --- Nearest cinema ------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest_cinemas(*, latitude: float, longitude: float, limit: int = 3) -> list[Cinema]:
    """Active cinemas nearest first, each with ``distance_km`` set.

    The chain has tens of cinemas, not thousands, so computing every distance in Python is
    cheaper than teaching each database the formula.
    """
    cinemas = list(active_cinemas())
    for cinema in cinemas:
        cinema.distance_km = haversine_km(
            latitude, longitude, float(cinema.latitude), float(cinema.longitude)
        )
    cinemas.sort(key=lambda c: c.distance_km)
    return cinemas[:limit]


# --- Box office ----------------------------------------------------------------------------


@dataclass
class BoxOfficeRow:
    label: str
    tickets: int
    revenue: Decimal
    currency: str
    bookings: int


def box_office(*, start: date, end: date) -> dict[str, list[BoxOfficeRow]]:
    """Tickets and revenue of reserved and paid bookings whose showtime falls in
    [start, end] (local days), per cinema, per film and per day.

    Counts every booking, including those whose member was erased (``user`` is NULL).
    """
    range_start, _ = day_bounds(start)
    _, range_end = day_bounds(end)
    bookings = Booking.objects.filter(
        status__in=Booking.ACTIVE_STATUSES,
        showtime__starts_at__gte=range_start,
        showtime__starts_at__lt=range_end,
    )
    totals = {
        "tickets": Sum("seat_count"),
        "revenue": Sum("total_price"),
        "bookings": Count("pk"),
    }

    def rows(queryset, label) -> list[BoxOfficeRow]:
        return [
            BoxOfficeRow(
                label=label(row),
                tickets=row["tickets"] or 0,
                revenue=row["revenue"] or Decimal(0),
                currency=row["currency"],
                bookings=row["bookings"],
            )
            for row in queryset
        ]

    per_cinema = rows(
        bookings.values(
            "showtime__cinema_id", "showtime__cinema__name", "showtime__cinema__city", "currency"
        )
        .annotate(**totals)
        .order_by("-tickets", "showtime__cinema__name"),
        lambda r: f"{r['showtime__cinema__name']} ({r['showtime__cinema__city']})",
    )
    per_film = rows(
        bookings.values("showtime__film_id", "showtime__film__title", "currency")
        .annotate(**totals)
        .order_by("-tickets", "showtime__film__title"),
        lambda r: r["showtime__film__title"],
    )
    per_day = rows(
        bookings.annotate(day=TruncDate("showtime__starts_at"))
        .values("day", "currency")
        .annotate(**totals)
        .order_by("day"),
        lambda r: formats.date_format(r["day"], "SHORT_DATE_FORMAT"),
    )
    return {"cinema": per_cinema, "film": per_film, "day": per_day}
