"""Personalised film recommendations, computed in-house (M5, M10).

Recommendations are profiling, so they run only for members who turned the
"recommendations" consent purpose on (it is off by default) and they are decided in one
place, :func:`may_recommend`. Everything is computed here, in our own database, from two
things the member gave us: their favourite genres (``MemberPreferences``) and the films
they booked (``Booking`` -> ``Showtime`` -> ``Film`` -> genres). No data is sent to any
outside AI or analytics service, and nothing computed here is stored: turning the purpose
off hides the recommendations on the next page load.

Cost: :func:`recommend_films` issues a fixed number of queries whatever the size of the
member's history (the tests prove it at two data sizes): one for the consent check, one
for the favourite genres, one for the booking history aggregated per (film, genre) in SQL,
and one plus one prefetch for the candidate films. Scoring then runs in Python over the
films in the current programme that share a genre with the member, which is bounded by the
programme, not by the member's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from cinema.models import Booking, Film, MemberPreferences
from privacy.models import ConsentRecord
from privacy.services import consent

logger = logging.getLogger(__name__)

# A favourite genre counts more than any amount of booking history in one genre: each
# booked film adds BOOKED_WEIGHT to its genres, capped at BOOKED_CAP films per genre, and
# BOOKED_WEIGHT * BOOKED_CAP < FAVOURITE_WEIGHT.
FAVOURITE_WEIGHT = 3
BOOKED_WEIGHT = 1
BOOKED_CAP = 2


@dataclass
class Recommendation:
    """A film suggested to a member, with why it was suggested."""

    film: Film
    score: int
    next_showtime: datetime
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The main reason, for places that show only one."""
        return self.reasons[0] if self.reasons else ""


def may_recommend(user) -> bool:
    """Return whether personalised recommendations may be computed for ``user``.

    The single gate for this profiling: a signed-in member who gave the "recommendations"
    consent (off by default) and has not restricted processing. ``consent.allows`` answers
    both in one query: a restriction ("processing blocked", privacy.services.restriction)
    turns the purpose off without changing the ledger, and an objection to profiling
    (privacy.services.objection) withdraws the consent itself.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return consent.allows(user, consent.RECOMMENDATIONS)


def recommend_films(member, *, limit: int = 6, now: datetime | None = None) -> list[Recommendation]:
    """Return up to ``limit`` films with upcoming showtimes that ``member`` may like.

    Returns an empty list, without reading any of the member's data, unless
    :func:`may_recommend` allows it.

    Scoring. Only the member's own data is used. For each genre ``g``:

        affinity(g) = FAVOURITE_WEIGHT  * [g is a favourite genre]
                    + BOOKED_WEIGHT     * min(booked_films(g), BOOKED_CAP)

    where ``booked_films(g)`` counts the distinct films of genre ``g`` the member booked
    (reserved or paid; cancelled and refunded bookings are not history). With the weights
    3, 1 and a cap of 2, one favourite genre always outweighs the booking history of one
    genre. A film's score is the sum of the affinities of its genres; films scoring 0 are
    not recommended, and films the member already booked are excluded. Candidates are
    films with a showtime after ``now`` at an active cinema.

    Ties are broken deterministically: higher score first, then the soonest next
    showtime, then title, then id.

    Each recommendation carries its reasons, favourite genres first ("Because you like
    Drama"), then the most recently booked film that shares a genre ("Because you booked
    Arctic"), translated into the active language.
    """
    if limit <= 0 or not may_recommend(member):
        return []
    now = now or timezone.now()

    favourites = dict(
        MemberPreferences.favourite_genres.through.objects.filter(
            memberpreferences__user_id=member.pk
        ).values_list("genre_id", "genre__name")
    )

    # Booking history aggregated per (film, genre) in SQL: rows grow with the distinct
    # films booked, never with the number of bookings.
    booked = Booking.objects.filter(user_id=member.pk, status__in=Booking.ACTIVE_STATUSES)
    history = (
        booked.values("showtime__film_id", "showtime__film__title", "showtime__film__genres")
        .annotate(last_booked=Max("created_at"))
        .order_by()
    )
    booked_films_per_genre: dict[int, int] = {}
    # genre id -> (last booked at, film title) of the most recently booked film in it
    latest_booked_in_genre: dict[int, tuple[datetime, str]] = {}
    for row in history:
        genre_id = row["showtime__film__genres"]
        if genre_id is None:
            continue
        booked_films_per_genre[genre_id] = booked_films_per_genre.get(genre_id, 0) + 1
        candidate = (row["last_booked"], row["showtime__film__title"])
        if genre_id not in latest_booked_in_genre or candidate > latest_booked_in_genre[genre_id]:
            latest_booked_in_genre[genre_id] = candidate

    affinity = {
        genre_id: FAVOURITE_WEIGHT * (genre_id in favourites)
        + BOOKED_WEIGHT * min(booked_films_per_genre.get(genre_id, 0), BOOKED_CAP)
        for genre_id in set(favourites) | set(booked_films_per_genre)
    }
    if not affinity:
        logger.info("recommendations.computed user_id=%s count=0", member.pk)
        return []

    candidates = (
        Film.objects.filter(
            showtimes__starts_at__gt=now,
            showtimes__cinema__is_active=True,
            genres__in=list(affinity),
        )
        .exclude(pk__in=booked.values("showtime__film_id"))
        .annotate(next_showtime=Min("showtimes__starts_at"))
        .prefetch_related("genres")
        .order_by()
    )

    recommendations = []
    for film in candidates:
        genres = sorted(film.genres.all(), key=lambda g: (g.name, g.pk))
        score = sum(affinity.get(g.pk, 0) for g in genres)
        if score <= 0:
            continue
        reasons = [
            _("Because you like %(genre)s") % {"genre": favourites[g.pk]}
            for g in genres
            if g.pk in favourites
        ]
        shared = [latest_booked_in_genre[g.pk] for g in genres if g.pk in latest_booked_in_genre]
        if shared:
            reasons.append(_("Because you booked %(film)s") % {"film": max(shared)[1]})
        recommendations.append(
            Recommendation(
                film=film, score=score, next_showtime=film.next_showtime, reasons=reasons
            )
        )
    recommendations.sort(key=lambda r: (-r.score, r.next_showtime, r.film.title, r.film.pk))
    logger.info(
        "recommendations.computed user_id=%s count=%s", member.pk, min(len(recommendations), limit)
    )
    return recommendations[:limit]


def switch_recommendations(member, *, enabled: bool, request=None) -> None:
    """Record ``member``'s choice to turn personalised recommendations on or off.

    Appends a row to the consent ledger (source: privacy settings) and updates the
    current state, so the next page load shows or hides the recommendations.
    """
    consent.record_choices(
        consent.Subject.of(member),
        {consent.RECOMMENDATIONS: enabled},
        source=ConsentRecord.Source.SETTINGS,
        request=request,
    )
    logger.info("recommendations.consent_changed user_id=%s granted=%s", member.pk, enabled)
