"""The beacon endpoint of ``static/marquee/analytics.js``: time on page, outbound clicks."""

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cinema.ratelimit import rate_limit
from privacy.services import tracking


def _same_origin(request) -> bool:
    # navigator.sendBeacon cannot send a CSRF header, so the view is exempt from the token
    # check and asks the browser instead: Sec-Fetch-Site where it is sent, else Origin.
    # Session cookies are SameSite=Lax, so a cross-site POST carries no session anyway.
    fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.META.get("HTTP_ORIGIN")
    return origin is not None and origin == f"{request.scheme}://{request.get_host()}"


@csrf_exempt
@require_POST
@rate_limit("tracking_beacon", rate="120/m/ip")
def track(request):
    """Accept one beacon: 204 when accepted (or silently dropped without consent), 400 if bad."""
    if not _same_origin(request):
        return HttpResponseForbidden(
            "Cross-site events are not accepted.", content_type="text/plain"
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > tracking.MAX_BEACON_BYTES:
        return HttpResponseBadRequest("The event is too large.", content_type="text/plain")
    try:
        tracking.record_beacon(request, request.body)
    except tracking.ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages), content_type="text/plain")
    return HttpResponse(status=204)
