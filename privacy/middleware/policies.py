"""Send signed-in members to review a material policy change before they carry on (K9, M15).

On a page view (GET, asking for HTML) by a signed-in member, if a material change is in
force that the member has not acknowledged, the response is a redirect to the review
page, which brings them back afterwards. The policies, the whole privacy center
(members must be able to exercise their rights, including deleting their account,
without accepting anything), signing out, the admin, static files, requests for
something other than a page, and non-GET requests are never interrupted.

The common case costs no query: the time of the newest material change is cached, and
the session remembers that this member was already checked against it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from privacy.services import policies

SESSION_KEY = "privacy_policy_reviewed"
# URL namespaces and names that never redirect: the privacy center (policies, review page,
# rights), signing out, the admin and the health check. Static files never get here.
EXEMPT_NAMESPACES = ("privacy", "admin")
EXEMPT_URL_NAMES = ("account_logout", "healthz")


def _wants_html(request) -> bool:
    accept = request.headers.get("Accept", "")
    return not accept or "text/html" in accept or "*/*" in accept


def _exempt(match) -> bool:
    if match is None:
        return True
    if match.namespaces and match.namespaces[0] in EXEMPT_NAMESPACES:
        return True
    return match.url_name in EXEMPT_URL_NAMES


class PolicyReviewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if request.method != "GET" or user is None or not user.is_authenticated:
            return None
        if _exempt(request.resolver_match) or not _wants_html(request):
            return None
        changed_at = policies.latest_material_change_at()
        if changed_at is None or changed_at <= user.date_joined:
            return None
        marker = f"{user.pk}:{changed_at.isoformat()}"
        if request.session.get(SESSION_KEY) == marker:
            return None
        if not policies.pending_reviews(user):
            request.session[SESSION_KEY] = marker
            return None
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('privacy:policy_review')}?{query}")
