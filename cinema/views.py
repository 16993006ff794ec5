import logging

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cinema import charts, selectors
from cinema.app_settings import app_settings
from cinema.celery import app as celery_app
from cinema.forms import (
    BookingForm,
    BoxOfficeForm,
    FilmSearchForm,
    NearestCinemaForm,
    PreferencesForm,
    ProgrammeFilterForm,
)
from cinema.models import Booking, Film, Showtime
from cinema.ratelimit import rate_limit
from cinema.services import booking as booking_service
from cinema.services import recommendations as recommendations_service
from privacy.services import restriction

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "cinema/home.html")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value it was given")


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@never_cache
@require_GET
def healthz(request):
    """Report whether the database, cache and broker answer; 503 when any does not."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("healthz.failed check=%s error=%s", name, type(exc).__name__)
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
    healthy = all(r["ok"] for r in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: our page, in the visitor's language.

    Django's own page is English and tells people to switch DEBUG on; the reason is
    logged for operators, not shown.
    """
    logger.warning("csrf.failure path=%s reason=%s", request.path, reason)
    return render(request, "403_csrf.html", status=403)


# --- Programme and films (visitors and members) ---------------------------------------------


def programme(request):
    """Upcoming showtimes grouped by film, filtered by day, city and cinema."""
    today = timezone.localdate()
    cinemas = list(selectors.active_cinemas())
    form = ProgrammeFilterForm(request.GET or None, cinemas=cinemas, today=today)
    filters = form.cleaned_data if form.is_valid() else {}
    day = filters.get("day") or today
    films = selectors.programme(
        day=day, city=filters.get("city") or "", cinema_id=filters.get("cinema")
    )
    return render(
        request,
        "cinema/programme.html",
        {
            "form": form,
            "films": films,
            "day": day,
            "cinemas": cinemas,
            # The film list's HTML is cached under a digest of what it shows (most of the
            # page's rendering time; the same for every visitor).
            "films_key": selectors.programme_fingerprint(films),
        },
    )


def film_search(request):
    genres = list(selectors.genres())
    form = FilmSearchForm(request.GET or None, genres=genres)
    filters = form.cleaned_data if form.is_valid() else {}
    films = selectors.search_films(query=filters.get("q", ""), genre_slug=filters.get("genre", ""))
    return render(
        request,
        "cinema/film_search.html",
        {"form": form, "films": films, "searched": bool(request.GET)},
    )


def film_detail(request, slug):
    try:
        film, by_cinema = selectors.film_with_showtimes(slug)
    except Film.DoesNotExist:
        raise Http404 from None
    return render(request, "cinema/film_detail.html", {"film": film, "by_cinema": by_cinema})


@require_POST
@rate_limit("nearest_cinemas", rate="30/m/ip")
def nearest_cinemas(request):
    """Return the cinemas nearest to the posted coordinates, as JSON.

    The coordinates arrive in the POST body (never the URL, so no access log sees them),
    are used for this one computation and are neither stored nor logged.
    """
    form = NearestCinemaForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    cinemas = selectors.nearest_cinemas(
        latitude=form.cleaned_data["latitude"], longitude=form.cleaned_data["longitude"]
    )
    programme_url = reverse("cinema:programme")
    return JsonResponse(
        {
            "cinemas": [
                {
                    "id": cinema.pk,
                    "name": cinema.name,
                    "city": cinema.city,
                    "address": cinema.address,
                    "distance_km": round(cinema.distance_km, 1),
                    "url": f"{programme_url}?cinema={cinema.pk}",
                }
                for cinema in cinemas
            ]
        }
    )


# --- Booking (signed-in members) ----------------------------------------------------------


@login_required
@rate_limit("booking", rate="10/m/user")
def book(request, showtime_id):
    try:
        showtime = selectors.showtime_for_booking(showtime_id)
    except Showtime.DoesNotExist:
        raise Http404 from None
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        booking = form.save(request.user, showtime_id=showtime.pk, actor=request.user)
        if booking is not None:
            messages.success(
                request,
                _("Your booking %(code)s is confirmed. We have emailed you the details.")
                % {"code": booking.code},
            )
            return redirect("cinema:booking_detail", code=booking.code)
    seats_left = max(showtime.capacity - showtime.seats_taken, 0)
    chosen = form.chosen()
    seat_rows = booking_service.seat_map(
        selectors.taken_seats(showtime),
        capacity=showtime.capacity,
        per_row=app_settings.SEATS_PER_ROW,
    )
    return render(
        request,
        "cinema/book.html",
        {
            "showtime": showtime,
            "form": form,
            "seats_left": seats_left,
            "seat_rows": seat_rows,
            "chosen": chosen,
            # The map opens by itself when the member used it or it holds an error.
            "map_open": bool(chosen) or "seats" in form.errors,
        },
    )


@login_required
def booking_list(request):
    history = selectors.booking_history(request.user)
    return render(
        request,
        "cinema/booking_list.html",
        {"upcoming": history.upcoming, "past": history.past, "cancelled": history.cancelled},
    )


def _cancellable(booking: Booking) -> bool:
    try:
        booking_service.check_may_cancel(booking)
    except booking_service.BookingError:
        return False
    return True


@login_required
def booking_detail(request, code):
    try:
        booking = selectors.member_booking(request.user, code=code)
    except Booking.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "cinema/booking_detail.html",
        {"booking": booking, "cancellable": _cancellable(booking)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request, code):
    """GET: what cancelling will do, and a button to confirm. POST: cancel the booking."""
    try:
        booking = selectors.member_booking(request.user, code=code)
        if request.method == "GET":
            booking_service.check_may_cancel(booking)
            return render(request, "cinema/booking_cancel.html", {"booking": booking})
        booking = booking_service.cancel_booking(
            request.user, booking_id=booking.pk, actor=request.user
        )
    except Booking.DoesNotExist:
        raise Http404 from None
    except booking_service.BookingError as error:
        messages.error(request, error.message)
    else:
        if booking.status == Booking.Status.REFUNDED:
            messages.success(request, _("Your booking is cancelled and the payment refunded."))
        else:
            messages.success(request, _("Your booking is cancelled."))
    return redirect("cinema:booking_detail", code=code)


@login_required
def preferences(request):
    current = selectors.member_preferences(request.user)
    initial = {}
    if current is not None:
        initial = {
            "favourite_cinema": current.favourite_cinema,
            "favourite_genres": list(current.favourite_genres.all()),
        }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.save(request.user, actor=request.user)
        messages.success(request, _("Your preferences have been saved."))
        return redirect("cinema:preferences")
    return render(request, "cinema/preferences.html", {"form": form})


# --- Staff ---------------------------------------------------------------------------------


@staff_member_required
@permission_required("cinema.view_boxoffice", raise_exception=True)
def box_office(request):
    """Tickets and revenue per cinema, film and day, including erased members' bookings."""
    form = BoxOfficeForm(request.GET or None, initial=BoxOfficeForm.default_range())
    if request.GET:
        period = form.cleaned_data if form.is_valid() else None
    else:
        period = BoxOfficeForm.default_range()
    report = chart = None
    if period:
        report = selectors.box_office(start=period["start"], end=period["end"])
        chart = charts.horizontal_bars([(row.label, row.tickets) for row in report["day"]])
    context = {
        **admin.site.each_context(request),
        "title": _("Box-office report"),
        "form": form,
        "period": period,
        "report": report,
        "chart": chart,
    }
    return render(request, "cinema/box_office.html", context)


# --- Recommendations (signed-in members who consented) -------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def for_you(request):
    """Personalised recommendations, or what they are and how to turn them on (M5, M10).

    Nothing is computed unless ``may_recommend`` allows it. A POST switches the
    "recommendations" consent on or off and records it in the consent ledger.
    """
    if request.method == "POST":
        choice = request.POST.get("recommendations")
        if choice not in ("on", "off"):
            messages.error(request, _("Choose whether to turn recommendations on or off."))
            return render(request, "cinema/for_you.html", _for_you_context(request), status=400)
        enabled = choice == "on"
        recommendations_service.switch_recommendations(
            request.user, enabled=enabled, request=request
        )
        if enabled:
            messages.success(request, _("Personalised recommendations are on."))
        else:
            messages.success(
                request, _("Personalised recommendations are off. We no longer compute them.")
            )
        return redirect("cinema:for_you")
    return render(request, "cinema/for_you.html", _for_you_context(request))


def _for_you_context(request) -> dict:
    enabled = recommendations_service.may_recommend(request.user)
    recommendations = recommendations_service.recommend_films(request.user) if enabled else []
    # Say why nothing is personalised when the member restricted processing.
    restricted = not enabled and restriction.is_restricted(request.user)
    return {"enabled": enabled, "recommendations": recommendations, "restricted": restricted}
