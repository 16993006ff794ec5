"""Self-service account deletion with a grace period, and its cancellation.

- ``delete_account``: a signed-in member who recently re-authenticated (allauth: password,
  social re-login or second factor) sees what erasure will delete, anonymize and keep
  (from the registry), confirms, is signed out, and lands on the "scheduled" page.
- During the grace period the account is inactive. Signing in with it (password, then the
  second factor if the member has one) does not open the account: the sign-in adapter
  (``accounts.adapter``) hands this browser a short-lived *cancel ticket* instead and sends
  it to ``cancel_deletion``; nothing else is reachable. The browser that scheduled the
  deletion holds such a ticket too.
- ``cancel_deletion_link``: the signed link of the scheduling email cancels without a
  sign-in (possession of the mailbox is the proof). Both show a button: a GET never
  changes anything (mail scanners follow links).

A ticket is granted only after a complete sign-in (every stage, second factor included) or
to the browser of a member who had just re-authenticated to delete, so cancelling with it
also signs the member back in; it works once. The emailed link proves only the mailbox:
it cancels, and the member then signs in as usual.

Signing out for the deletion keeps this browser's language (a session language cookie)
and its cookie-banner answers (copied to the browser's visitor id), so the pages that
follow still speak the member's language and the banner does not ask again.

The ticket names the job's random tombstone id, never the account id, and expires after
``TICKET_MAX_AGE``.
"""

import time

from allauth.account.decorators import reauthentication_required
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.language import set_language_cookie
from cinema.ratelimit import rate_limit
from privacy.app_settings import app_settings
from privacy.models import ErasureJob
from privacy.services import consent, erasure

TICKET_SESSION_KEY = "privacy_deletion_ticket"
TICKET_MAX_AGE = 30 * 60  # seconds
ALLAUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


# --- Cancel tickets -----------------------------------------------------------------------


def grant_cancel_ticket(request, job: ErasureJob) -> None:
    """Let this browser cancel ``job`` for a while (after a sign-in or right after scheduling).

    The ticket signs the member back in once used, so it is granted like a sign-in: in a
    fresh session key (no session fixation).
    """
    request.session.cycle_key()
    request.session[TICKET_SESSION_KEY] = {"tombstone": str(job.tombstone), "at": time.time()}


def keep_language(response, language: str):
    """Keep ``language`` for the rest of this browser session (the member is signed out)."""
    if language in {code for code, _name in settings.LANGUAGES}:
        set_language_cookie(response, language)
    return response


def ticket_job(request) -> ErasureJob | None:
    """The scheduled job this browser's ticket names, or None (none, expired or moot)."""
    ticket = request.session.get(TICKET_SESSION_KEY)
    if not isinstance(ticket, dict):
        return None
    if time.time() - float(ticket.get("at", 0)) > TICKET_MAX_AGE:
        request.session.pop(TICKET_SESSION_KEY, None)
        return None
    return ErasureJob.objects.filter(
        tombstone=ticket.get("tombstone"), status=ErasureJob.Status.SCHEDULED
    ).first()


def has_cancel_ticket(request) -> bool:
    return ticket_job(request) is not None


# --- Deleting -----------------------------------------------------------------------------


class ConfirmDeletionForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand: my account and data will be erased after the grace period."
        ),
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm the deletion.")},
    )


def _grouped_plan(user) -> dict[str, list]:
    groups = {erasure.DELETE: [], erasure.ANONYMIZE: [], erasure.KEEP: []}
    User = get_user_model()
    for item in erasure.plan(user):
        if item.rows and item.policy.model is not User:
            groups[item.action].append(item)
    return groups


def _upcoming_bookings(user):
    from cinema.models import Booking

    return (
        Booking.objects.filter(
            user=user,
            status__in=Booking.ACTIVE_STATUSES,
            showtime__starts_at__gt=timezone.now(),
        )
        .select_related("showtime__film", "showtime__cinema")
        .order_by("showtime__starts_at")
    )


@login_required
@reauthentication_required
@rate_limit("delete_account", "5/m/user")
@require_http_methods(["GET", "POST"])
def delete_account(request):
    user = request.user
    if user.is_staff:
        return render(request, "privacy/delete_account.html", {"staff": True})
    form = ConfirmDeletionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        job = erasure.schedule_deletion(user, source=ErasureJob.Source.MEMBER, actor=user)
        language = user.preferred_language or translation.get_language() or ""
        logout(request)
        _keep_banner_answers(request, user)
        grant_cancel_ticket(request, job)
        return keep_language(redirect("privacy:deletion_scheduled"), language)
    context = {
        "form": form,
        "groups": _grouped_plan(user),
        "bookings": list(_upcoming_bookings(user)),
        "grace_days": app_settings.DELETION_GRACE.days,
        "erase_on": timezone.now() + app_settings.DELETION_GRACE,
        "has_avatar": bool(user.avatar),
    }
    return render(request, "privacy/delete_account.html", context)


def _keep_banner_answers(request, user) -> None:
    """Give this browser's visitor id the member's cookie-banner answers (just signed out)."""
    context = getattr(request, "consent", None)
    if context is None or not consent.has_banner_answers(consent.Subject.of(user)):
        return
    visitor_id = context.ensure_subject().visitor_id
    if consent.hand_member_choices_to_visitor(user, visitor_id, request=request):
        context.refresh()


@require_http_methods(["GET"])
def deletion_scheduled(request):
    job = ticket_job(request)
    if job is None:
        return redirect("account_login")
    return render(request, "privacy/delete_account_scheduled.html", {"job": job})


# --- Cancelling ---------------------------------------------------------------------------


def _cancel(request, job: ErasureJob, *, sign_in: bool = False):
    user = get_user_model().objects.filter(pk=job.user_id).first()
    request.session.pop(TICKET_SESSION_KEY, None)  # a ticket works once
    if user is None or not erasure.cancel_deletion(user, actor=user):
        messages.error(request, _("This deletion can no longer be cancelled."))
        return redirect("account_login")
    if sign_in:
        # The ticket proves a complete sign-in (or the re-authentication to delete) of
        # minutes ago in this browser: no second password prompt.
        login(request, user, backend=ALLAUTH_BACKEND)
        messages.success(request, _("The deletion is cancelled and your account is active again."))
        return redirect("privacy:center")
    messages.success(
        request,
        _("The deletion is cancelled and your account is active again. Sign in to continue."),
    )
    return redirect("account_login")


@rate_limit("cancel_deletion", "10/m/ip")
@require_http_methods(["GET", "POST"])
def cancel_deletion(request):
    """Cancel with this browser's ticket (signed in during the grace period, or just deleted)."""
    job = ticket_job(request)
    if job is None:
        messages.info(request, _("Sign in to cancel the deletion of your account."))
        return redirect("account_login")
    if request.method == "POST":
        return _cancel(request, job, sign_in=True)
    return render(request, "privacy/delete_account_cancel.html", {"job": job, "via_link": False})


@rate_limit("cancel_deletion", "10/m/ip")
@require_http_methods(["GET", "POST"])
def cancel_deletion_link(request, token: str):
    """Cancel with the signed link of the scheduling email; no sign-in needed."""
    job = erasure.job_for_cancel_token(token)
    if job is None:
        context = {"job": None, "invalid": True}
        return render(request, "privacy/delete_account_cancel.html", context, status=404)
    if request.method == "POST":
        return _cancel(request, job)
    return render(request, "privacy/delete_account_cancel.html", {"job": job, "via_link": True})
