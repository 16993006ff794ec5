"""Dormant accounts: a notice after years without a sign-in, then erasure (K7, M12).

The retention rules ``dormant-notice`` and ``dormant-erase`` (privacy.services.retention)
drive this module batch by batch; it holds what those batches do:

1. A member without a sign-in (or, never signed in, without one since sign-up) for
   ``PRIVACY_DORMANT_AFTER`` gets one ``DormantNotice`` and one email: sign in before
   ``erase_after`` (``PRIVACY_DORMANT_NOTICE_PERIOD`` later) to keep the account.
2. Signing in, by any path, deletes the notice (:func:`cancel_notice`, called from the
   ``user_logged_in`` receiver in accounts/signals.py).
3. When the notice period has passed and the member is still dormant, the erasure engine
   is asked to erase the account at once: ``erasure.schedule_deletion(user,
   source="dormant", grace=timedelta(0), reason="dormant")``.

Staff and superusers are never swept; members under a legal hold or with an export being
built are skipped by the retention engine's protection of their rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse

from cinema.mail import send_templated_email
from privacy.app_settings import app_settings
from privacy.models import DormantNotice
from privacy.services import audit

logger = logging.getLogger(__name__)

EMAIL_NAME = "dormant_account_notice"
NOTICE_SENT = "retention.dormant_notice"
NOTICE_CANCELLED = "retention.dormant_cancelled"


def notice_candidates(now: datetime) -> Q:
    """Members the sweep may notify (on top of "no sign-in since the cut-off")."""
    return Q(
        is_staff=False,
        is_superuser=False,
        is_active=True,
        dormant_notice__isnull=True,
    ) & ~Q(email="")


def send_notices(batch: QuerySet, *, now: datetime) -> int:
    """Record a notice for each member of ``batch`` and queue its email; return how many.

    Runs in the retention batch's transaction: the notices, the outbox rows of their
    emails and the checkpoint commit together, so nobody is mailed twice. The member
    rows are locked so that a sign-in in the meantime waits and then cancels the notice.
    """
    sent = 0
    period = app_settings.DORMANT_NOTICE_PERIOD
    login_url = settings.SITE_URL.rstrip("/") + reverse("account_login")
    for user in batch.select_for_update(of=("self",)).order_by("pk"):
        notice, created = DormantNotice.objects.get_or_create(
            user=user,
            defaults={
                "inactive_since": user.last_login or user.date_joined,
                "sent_at": now,
                "erase_after": now + period,
            },
        )
        if not created:
            continue
        send_templated_email(
            EMAIL_NAME,
            to=user.email,
            context={
                "member": user,
                "notice": notice,
                "inactive_since": notice.inactive_since,
                "erase_after": notice.erase_after,
                "sign_in_url": login_url,
            },
            language=user.preferred_language,
        )
        audit.record(NOTICE_SENT, subject=user, target=notice)
        sent += 1
    return sent


def erasure_candidates(now: datetime) -> Q:
    """Notices whose member is still dormant, not staff, and not yet handed to erasure."""
    still_dormant = Q(user__last_login__isnull=True) | Q(user__last_login__lte=F("inactive_since"))
    return (
        Q(erasure_requested_at__isnull=True, user__is_staff=False, user__is_superuser=False)
        & still_dormant
    )


def request_erasures(batch: QuerySet, *, now: datetime) -> int:
    """Hand each dormant member of ``batch`` to the erasure engine; return how many.

    Destructive in effect: the erasure engine erases the account without a grace period
    (the notice period was the grace period). Locks the notices first, so a sign-in that
    deletes a notice in the meantime either wins (nothing is erased) or waits.
    """
    from privacy.services import erasure  # the erasure engine (docs/erasure.md)

    requested = 0
    for notice in batch.select_related("user").select_for_update(of=("self",)).order_by("pk"):
        erasure.schedule_deletion(
            notice.user, source="dormant", grace=timedelta(0), reason="dormant"
        )
        notice.erasure_requested_at = now
        notice.save(update_fields=["erasure_requested_at"])
        requested += 1
    return requested


def cancel_notice(user) -> bool:
    """Forget ``user``'s dormant notice because they signed in; return whether one existed.

    A notice already handed to the erasure engine stays: from then on cancelling is the
    erasure engine's business (signing in during its grace period offers it).
    """
    with transaction.atomic():
        deleted, _ = DormantNotice.objects.filter(
            user=user, erasure_requested_at__isnull=True
        ).delete()
        if deleted:
            audit.record(NOTICE_CANCELLED, subject=user)
    if deleted:
        logger.info("retention.dormant_cancelled member=%s", user.pk)
    return bool(deleted)
