"""Download my data: request an export, follow its progress, download it.

Views check who is asking and call :mod:`privacy.services.export`. A member only ever sees
their own exports: another member's export, status or link answers 404, exactly as one
that does not exist.
"""

from http import HTTPStatus

from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cinema.ratelimit import rate_limit
from privacy.app_settings import app_settings
from privacy.models import DataExport
from privacy.services import export

# How many of the member's exports the page lists (older ones have expired long ago).
LISTED = 10
# After the re-authentication the member lands back on the export page, which starts the
# download it names once (a meta refresh: no inline script under the CSP).
START_PARAM = "start"
DOWNLOAD_SESSION_KEY = "privacy_export_download"


def _no_store(response):
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("data_export", rate="5/h/user")
def export_page(request):
    """The member's exports with their progress, and the button that asks for a new one.

    Works without JavaScript: a reload shows the current progress. With it, a small
    script polls ``export_status`` and reloads when an export is ready or failed.
    """
    if request.method == "POST":
        already = export.running_export(request.user)
        export.request_export(request.user)
        if already is not None:
            messages.info(request, _("Your copy is already being prepared. It will be ready soon."))
        else:
            messages.success(
                request,
                _(
                    "We are preparing a copy of your data. This page shows the progress, and we "
                    "will email you a download link when it is ready."
                ),
            )
        return redirect("privacy:export")
    exports = [
        (data_export, export.progress_of(data_export))
        for data_export in export.exports_of(request.user)[:LISTED]
    ]
    context = {
        "exports": exports,
        "running": any(state["running"] for _export, state in exports),
        "ttl_days": app_settings.EXPORT_TTL.days,
        "start_download": request.session.pop(DOWNLOAD_SESSION_KEY, None),
    }
    return _no_store(render(request, "privacy/export.html", context))


@login_required
@require_GET
def export_status(request, public_id):
    """The progress of one of the member's exports, as JSON (for the polling script)."""
    data_export = get_object_or_404(DataExport, public_id=public_id, user=request.user)
    return _no_store(JsonResponse(export.progress_of(data_export)))


@login_required
@require_GET
def export_download(request, token):
    """Send the ZIP to its owner, after a recent re-authentication.

    A link that is not genuine, or names another member's export, is a 404. A genuine
    link that has expired, or names an export whose file was deleted, is a 410 with a way
    to ask for a new copy. Ownership is checked before re-authentication, so another
    member's link never even asks for a password.
    """
    try:
        data_export = export.export_for_token(token, user=request.user)
    except export.LinkExpired:
        return _gone(request)
    if data_export is None:
        raise Http404
    if not export.is_downloadable(data_export):
        if data_export.status in (DataExport.Status.EXPIRED, DataExport.Status.READY):
            return _gone(request)
        raise Http404
    if request.GET.get(START_PARAM):
        return _start_from_page(request, token)
    try:
        return _send(request, data_export)
    except ReauthenticationRequired:
        # Re-authenticate for the same link, marked to come back to the page afterwards.
        return redirect(f"{request.path}?{START_PARAM}=1")


@reauthentication_required
def _start_from_page(request, token: str):
    request.session[DOWNLOAD_SESSION_KEY] = reverse("privacy:export_download", args=[token])
    messages.success(request, _("Your download has started."))
    return redirect("privacy:export")


@reauthentication_required
def _send(request, data_export: DataExport):
    # allauth's decorator: without a re-authentication (password or second factor) within
    # ACCOUNT_REAUTHENTICATION_TIMEOUT it redirects to the re-authentication page, which
    # sends the member back to this link afterwards.
    try:
        stored = open(export.file_path(data_export), "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        return _gone(request)
    export.record_download(data_export, actor=request.user)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=export.download_name(data_export),
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store, private"
    return response


def _gone(request):
    return _no_store(render(request, "privacy/export_link_expired.html", status=HTTPStatus.GONE))
