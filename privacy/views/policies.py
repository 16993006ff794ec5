"""Public policy pages, old versions with what changed, and the review of a material change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from privacy.models import PolicyAcceptance, PolicyVersion
from privacy.services import policies


def _render_policy(request, version: PolicyVersion, *, permalink: bool):
    current = policies.current_version(version.document, version.language)
    previous = policies.previous_version(version)
    context = {
        "version": version,
        "body_html": policies.render_text(version.body),
        "summary_html": policies.render_text(version.summary_of_changes),
        "last_updated": policies.last_updated(version),
        "is_current": current is not None and current.pk == version.pk,
        "is_upcoming": version.effective_from > policies.local_today(),
        "current": current,
        "previous": previous,
        "previous_url": policies.version_path(previous) if previous else "",
        "permalink": permalink,
        "diff": policies.diff_html(previous.body, version.body) if previous and permalink else None,
        "versions": [
            {
                "version": v,
                "url": policies.version_path(v),
                "last_updated": policies.last_updated(v),
                "is_current": current is not None and current.pk == v.pk,
            }
            for v in policies.published_versions(version.document, version.language)
        ],
        "document_url": policies.document_path(version.document),
        "version_url": policies.version_path(version),
    }
    return render(request, "privacy/policy.html", context)


def current_policy(request, document: str):
    """The version of ``document`` in force, in the reader's language or else English."""
    version = policies.current_version(document)
    if version is None:
        raise Http404("No published version.")
    return _render_policy(request, version, permalink=False)


def policy_version(request, document: str, language: str, version: str):
    """One published version at its permanent address; drafts do not exist publicly."""
    found = policies.get_published(document, language, version)
    if found is None:
        raise Http404("No such published version.")
    return _render_policy(request, found, permalink=True)


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def policy_review(request):
    """Show the material changes a member has not acknowledged; record "I have read it"."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    reviews = policies.pending_reviews(request.user)
    error = ""
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("version") if v.isdigit()]
        chosen = [r.current for r in reviews if r.current.pk in ids]
        if reviews and not chosen:
            error = _("Please confirm that you have read the changes.")
        else:
            policies.accept_versions(
                request.user, chosen, source=PolicyAcceptance.Source.INTERSTITIAL
            )
            if chosen:
                messages.success(request, _("Thank you. You can read the policies at any time."))
            reviews = policies.pending_reviews(request.user)
    if not reviews:
        return redirect(next_url)
    context = {
        "reviews": [
            {
                "review": review,
                "summary_html": policies.render_text(review.change.summary_of_changes),
                "changes_url": policies.version_path(review.change) + "#changes",
                "current_url": policies.version_path(review.current),
            }
            for review in reviews
        ],
        "next": next_url,
        "error": error,
    }
    return render(request, "privacy/policy_review.html", context, status=400 if error else 200)
