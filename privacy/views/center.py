"""The member's privacy center: what we hold, requests, restriction, objection, contact.

Views check who may see what (a member sees only their own requests: anyone else's is a
404; a public status page opens only with its signed link), validate with the forms of
:mod:`privacy.forms.requests` and hand over to one service. Every view that takes a POST is
rate-limited (``MARQUEE_RATE_LIMITS``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.app_settings import app_settings as accounts_settings
from cinema.ratelimit import rate_limit
from privacy.forms.requests import (
    ContactForm,
    GuardianReportForm,
    ObjectionForm,
    RectificationForm,
    ResendCodeForm,
    RestrictionForm,
    VerificationCodeForm,
)
from privacy.models import PrivacyRequest, RequestEvent
from privacy.services import holdings, requests
from privacy.services import objection as objection_service
from privacy.services import restriction as restriction_service

REQUESTS_PER_PAGE = 25

Event = RequestEvent.Action
# Steps a requester sees, and those whose note is meant for them (the reason for an
# extension or a rejection, the answer). Staff notes and who did what stay internal.
REQUESTER_EVENTS = {
    Event.RECEIVED,
    Event.CODE_SENT,
    Event.VERIFIED,
    Event.VERIFICATION_FAILED,
    Event.STARTED,
    Event.EXTENDED,
    Event.COMPLETED,
    Event.REJECTED,
    Event.EXPIRED,
    Event.WITHDRAWN,
    Event.EMAILED,
}
NOTES_FOR_REQUESTER = {Event.EXTENDED, Event.REJECTED, Event.COMPLETED}


def _no_store(response):
    add_never_cache_headers(response)
    return response


def _trail(req: PrivacyRequest) -> list[dict]:
    """The request's steps as the requester may see them: no staff identities or notes."""
    return [
        {
            "at": event.at,
            "label": event.get_action_display(),
            "note": event.note if event.action in NOTES_FOR_REQUESTER else "",
        }
        for event in req.events.filter(action__in=REQUESTER_EVENTS).order_by("at", "pk")
    ]


# --- The center ------------------------------------------------------------------------------


@login_required
def center(request):
    """What we hold about the member, by category, and every right they can exercise (K6)."""
    user = request.user
    open_requests = PrivacyRequest.objects.filter(
        user=user, status__in=PrivacyRequest.OPEN_STATUSES
    ).count()
    context = {
        "categories": holdings.member_holdings(user),
        "restriction": restriction_service.restriction_of(user),
        "objections": objection_service.states(user),
        "open_requests": open_requests,
        "editable_fields": holdings.editable_profile_fields(),
    }
    return _no_store(render(request, "privacy/center.html", context))


# --- Restriction and objection ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("privacy_restriction", rate="10/m/user")
def restriction(request):
    """The restriction switch: stop all non-essential processing, or let it resume (G1)."""
    if request.method == "POST":
        form = RestrictionForm(request.POST, user=request.user)
        if form.is_valid():
            if form.save():
                messages.success(
                    request,
                    _(
                        "Processing of your data is restricted. Only what your account and "
                        "bookings need continues until you lift it."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("The restriction is lifted. Your earlier choices apply again."),
                )
            return redirect("privacy:restriction")
        status = 400
    else:
        status = 200
    context = {
        "restriction": restriction_service.restriction_of(request.user),
        "objections": objection_service.states(request.user),
    }
    return _no_store(render(request, "privacy/restriction.html", context, status=status))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("privacy_objection", rate="10/m/user")
def objection(request):
    """Object to profiling, or to marketing, each on its own (K6, S7)."""
    form = ObjectionForm(user=request.user)
    if request.method == "POST":
        form = ObjectionForm(request.POST, user=request.user)
        if form.is_valid():
            which = form.cleaned_data["objection"]
            form.save(request=request)
            if which == objection_service.PROFILING:
                messages.success(
                    request,
                    _(
                        "Your objection is recorded. We no longer personalise recommendations "
                        "or advertising for you."
                    ),
                )
            else:
                messages.success(
                    request,
                    _(
                        "Your objection is recorded. We no longer send you marketing by email "
                        "or SMS. Messages about your bookings and account still reach you."
                    ),
                )
            return redirect("privacy:objection")
    context = {
        "form": form,
        "objections": objection_service.states(request.user),
        "restricted": restriction_service.is_restricted(request.user),
    }
    status = 400 if form.is_bound else 200
    return _no_store(render(request, "privacy/objection.html", context, status=status))


# --- Rectification ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("privacy_rectification", rate="5/m/user")
def rectification(request):
    """Ask us to correct data the member cannot edit in place (K6, S7)."""
    if request.method == "POST":
        form = RectificationForm(request.POST, user=request.user)
        if form.is_valid():
            req = form.save()
            messages.success(
                request,
                _("We received your request %(ref)s and will answer by email.")
                % {"ref": req.reference},
            )
            return redirect("privacy:request_detail", public_id=req.public_id)
        status = 400
    else:
        form = RectificationForm(user=request.user)
        status = 200
    context = {"form": form, "editable_fields": holdings.editable_profile_fields()}
    return render(request, "privacy/rectification.html", context, status=status)


# --- Contact forms ---------------------------------------------------------------------------


def _after_sending(request, req: PrivacyRequest):
    if req.user_id:
        messages.success(
            request,
            _("We received your request %(ref)s. We emailed you a confirmation.")
            % {"ref": req.reference},
        )
    else:
        messages.success(
            request,
            _(
                "Almost done: we emailed a code to the address you gave. Enter it here to "
                "confirm that the request is yours."
            ),
        )
    return redirect(requests.status_path(req))


@require_http_methods(["GET", "POST"])
@rate_limit("privacy_contact", rate="5/m/ip,20/h/ip")
def contact(request):
    """Questions, leak reports and complaints to the privacy team (L4, S2); no account needed."""
    if request.method == "POST":
        form = ContactForm(request.POST, user=request.user)
        if form.is_valid():
            return _after_sending(request, form.save())
        status = 400
    else:
        initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") else None
        form = ContactForm(user=request.user, initial=initial)
        status = 200
    return render(request, "privacy/contact.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@rate_limit("privacy_guardian_report", rate="5/m/ip,20/h/ip")
def guardian_report(request):
    """A parent or guardian reports a child's account (K8); no account needed."""
    if request.method == "POST":
        form = GuardianReportForm(request.POST, user=request.user)
        if form.is_valid():
            return _after_sending(request, form.save())
        status = 400
    else:
        form = GuardianReportForm(user=request.user)
        status = 200
    context = {"form": form, "minimum_age": accounts_settings.MINIMUM_AGE}
    return render(request, "privacy/guardian_report.html", context, status=status)


# --- The member's requests -------------------------------------------------------------------


@login_required
def request_list(request):
    """The member's requests, newest first, with status, deadline and an overdue mark."""
    mine = PrivacyRequest.objects.filter(user=request.user).order_by("-received_at", "-pk")
    page = Paginator(mine, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    return _no_store(render(request, "privacy/request_list.html", {"page": page}))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("privacy_request_withdraw", rate="10/m/user")
def request_detail(request, public_id):
    """One of the member's requests with its trail; withdraw it while it is open."""
    req = get_object_or_404(PrivacyRequest, public_id=public_id, user=request.user)
    if request.method == "POST":
        if req.is_open:
            requests.withdraw(req, actor=request.user)
            messages.success(request, _("Your request is withdrawn."))
        else:
            messages.info(request, _("This request is already closed."))
        return redirect("privacy:request_detail", public_id=req.public_id)
    context = {"req": req, "trail": _trail(req)}
    return _no_store(render(request, "privacy/request_detail.html", context))


# --- Public status pages (requesters without an account) -------------------------------------


def _request_or_404(request, token: str):
    req = requests.request_for_status_token(token)
    if req is None:
        response = render(request, "privacy/request_status_invalid.html", status=404)
        return None, _no_store(response)
    return req, None


@require_http_methods(["GET", "POST"])
@rate_limit("privacy_request_code", rate="10/m/ip")
def request_status(request, token):
    """The status and trail of a request, reached through its signed link.

    While the request waits for identity verification, the page takes the emailed code.
    """
    req, invalid = _request_or_404(request, token)
    if invalid is not None:
        return invalid
    if req.user_id:
        # Members follow their requests in the privacy center, after signing in.
        return redirect("privacy:request_detail", public_id=req.public_id)
    status = 200
    form = VerificationCodeForm(privacy_request=req)
    if request.method == "POST":
        form = VerificationCodeForm(request.POST, privacy_request=req)
        if form.is_valid():
            messages.success(request, _("Thank you: your request is confirmed."))
            return redirect(request.path)
        req.refresh_from_db()
        status = 400
    context = {
        "req": req,
        "trail": _trail(req),
        "form": form,
        "resend_form": ResendCodeForm(privacy_request=req),
        "token": token,
        "awaiting": req.status == PrivacyRequest.Status.AWAITING_VERIFICATION,
    }
    return _no_store(render(request, "privacy/request_status.html", context, status=status))


@require_POST
@rate_limit("privacy_request_resend", rate="3/10m/ip")
def request_status_resend(request, token):
    """Email a new code for a request that waits for verification."""
    req, invalid = _request_or_404(request, token)
    if invalid is not None:
        return invalid
    if req.status != PrivacyRequest.Status.AWAITING_VERIFICATION:
        return redirect("privacy:request_status", token=token)
    form = ResendCodeForm(request.POST, privacy_request=req)
    if form.is_valid():
        form.save()
        messages.success(request, _("We emailed you a new code. Earlier codes no longer work."))
    else:
        for error in form.non_field_errors():
            messages.error(request, error)
    return redirect("privacy:request_status", token=token)
