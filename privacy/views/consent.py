from urllib.parse import urlencode

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cinema.ratelimit import rate_limit
from privacy.forms.consent import BannerChoiceForm, CookieSettingsForm
from privacy.services import consent, cookie_choices


def _safe_next(request, candidate: str, default: str) -> str:
    """Return ``candidate`` if it points back into this site, else ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _method_not_allowed(request):
    response = render(
        request,
        "privacy/consent_error.html",
        {
            "errors": [_("Cookie choices are saved with the banner's buttons.")],
            "hide_consent_banner": True,
        },
        status=405,
    )
    response["Allow"] = "POST"
    return response


@never_cache
@rate_limit("consent_banner", rate="30/m/ip")
def consent_banner(request):
    """Record a click in the cookie banner (a plain form: works without JavaScript)."""
    if request.method != "POST":
        return _method_not_allowed(request)
    form = BannerChoiceForm(request.POST)
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        context = {"errors": errors, "hide_consent_banner": True}
        return render(request, "privacy/consent_error.html", context, status=400)
    data = form.cleaned_data
    next_url = _safe_next(request, data["next"], reverse("home"))
    if data["choice"] == cookie_choices.CUSTOMISE:
        settings_url = reverse("privacy:cookie_settings")
        return redirect(f"{settings_url}?{urlencode({'next': next_url})}")
    cookie_choices.record_banner_choice(
        request.consent, choice=data["choice"], ticked=data["purposes"], request=request
    )
    return redirect(next_url)


@never_cache
def cookie_settings(request):
    """Each purpose with its description, legal basis and current answer; change any."""
    keys = cookie_choices.settings_purposes(request.consent)
    locked = cookie_choices.locked_purposes(request.consent, keys)
    offered = [key for key in keys if key not in locked]
    form_options = {
        "offered": offered,
        "locked": locked,
        "allow_override": request.consent.user is not None,
    }
    status = 200
    if request.method == "POST":
        form = CookieSettingsForm(request.POST, **form_options)
        if form.is_valid():
            data = form.cleaned_data
            cookie_choices.record_settings_choices(
                request.consent,
                offered=offered,
                granted=data["purposes"],
                overrides=data["overrides"],
                request=request,
            )
            messages.success(request, _("Your choices have been saved."))
            return redirect(_safe_next(request, data["next"], request.path))
        status = 400
    else:
        form = CookieSettingsForm(
            initial={
                "next": _safe_next(request, request.GET.get("next", ""), ""),
                "purposes": [key for key in offered if request.consent.allows(key)],
            },
            **form_options,
        )
    rows = cookie_choices.purpose_rows(request.consent, (consent.ESSENTIAL, *keys))
    ticked = set(form.data.getlist("purposes") if form.is_bound else form.initial["purposes"])
    account = set(cookie_choices.ACCOUNT_PURPOSES)
    return render(
        request,
        "privacy/cookie_settings.html",
        {
            "form": form,
            "errors": [error for errors in form.errors.values() for error in errors],
            "cookie_rows": [row for row in rows if row.key not in account],
            "account_rows": [row for row in rows if row.key in account],
            "ticked": ticked,
            "can_override": form_options["allow_override"],
            "hide_consent_banner": True,
        },
        status=status,
    )


@require_safe
def gpc_json(request):
    """Declare that this site honours Global Privacy Control (the GPC well-known file)."""
    response = JsonResponse(
        {"gpc": True, "lastUpdate": cookie_choices.GPC_SUPPORT_UPDATED.isoformat()}
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response
