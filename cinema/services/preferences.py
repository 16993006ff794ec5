"""A member's cinema preferences: favourite cinema and favourite genres."""

import logging

from django.db import transaction

from cinema.models import Cinema, Genre, MemberPreferences

logger = logging.getLogger(__name__)


def update_preferences(
    member,
    *,
    favourite_cinema_id: int | None,
    favourite_genre_ids: list[int],
    actor,
) -> MemberPreferences:
    """Replace ``member``'s favourite cinema and genres with the ones given."""
    with transaction.atomic():
        preferences, _ = MemberPreferences.objects.get_or_create(user=member)
        preferences.favourite_cinema = (
            Cinema.objects.get(pk=favourite_cinema_id, is_active=True)
            if favourite_cinema_id
            else None
        )
        preferences.save(update_fields=["favourite_cinema", "updated_at"])
        preferences.favourite_genres.set(Genre.objects.filter(pk__in=favourite_genre_ids))
    logger.info("preferences.updated user_id=%s actor_id=%s", member.pk, getattr(actor, "pk", None))
    return preferences
