"""Marketing preferences, double opt-in, one-click unsubscribe and the SMS reply webhook.

Views validate and call :mod:`privacy.services.marketing`; they hold no business logic.
"""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cinema.ratelimit import rate_limit
from privacy import sms
from privacy.forms.marketing import MarketingPreferencesForm
from privacy.services import marketing

logger = logging.getLogger(__name__)

OUTCOME_MESSAGES = {
    "email_confirmation_sent": _(
        "We have sent a confirmation link to your email address. Marketing email starts only "
        "after you follow it."
    ),
    "email_off": _("Marketing email is off. It takes effect immediately."),
    "sms_on": _("Marketing SMS is on. Reply STOP to any of them to end them."),
    "sms_off": _("Marketing SMS is off. It takes effect immediately."),
}


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("marketing_preferences", rate="10/m/user")
def marketing_preferences(request):
    """Show and change the signed-in member's marketing preferences, per channel (G3)."""
    if request.method == "POST":
        form = MarketingPreferencesForm(request.POST, user=request.user)
        if form.is_valid():
            done = form.save(request=request)
            for outcome in done:
                messages.success(request, OUTCOME_MESSAGES[outcome])
            if not done:
                messages.info(request, _("Nothing changed."))
            return redirect("privacy:marketing")
    else:
        form = MarketingPreferencesForm(user=request.user)
    return render(
        request,
        "privacy/marketing.html",
        {"form": form, "preferences": marketing.get_preferences(request.user)},
    )


@require_http_methods(["GET", "POST"])
@rate_limit("marketing_confirm", rate="10/m/ip")
def confirm_marketing_email(request, token):
    """Double opt-in: a GET shows a button, only its POST records the consent.

    Mail scanners fetch links in messages; a GET must never switch marketing on.
    """
    try:
        marketing.check_confirmation(token)
    except marketing.ConfirmationError as error:
        return _no_store(
            render(request, "privacy/marketing_confirm.html", {"error": error.message}, status=400)
        )
    if request.method == "POST":
        marketing.confirm_email_optin(token, request=request)
        return _no_store(render(request, "privacy/marketing_confirm.html", {"confirmed": True}))
    return _no_store(render(request, "privacy/marketing_confirm.html", {}))


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs without a session; the signed
# token is the authorisation, and all it can do is switch marketing off.
@require_http_methods(["GET", "POST"])
@rate_limit("unsubscribe", rate="20/m/ip")
def unsubscribe(request, token):
    """One-click unsubscribe: a POST unsubscribes, a GET only shows the button."""
    try:
        marketing.read_unsubscribe_token(token)
    except marketing.InvalidToken:
        response = render(request, "privacy/unsubscribe.html", {"invalid": True}, status=400)
        return _no_store(response)
    if request.method == "POST":
        channel = marketing.unsubscribe(token, request=request)
        context = {"done": True, "channel": channel}
    else:
        context = {"token": token}
    return _no_store(render(request, "privacy/unsubscribe.html", context))


@csrf_exempt  # called by the SMS gateway, authenticated by the body's HMAC signature
@require_POST
@rate_limit("sms_inbound", rate="300/m/ip")
def sms_inbound(request):
    """Inbound SMS from the gateway: STOP, TD, 退订 or СТОП end marketing SMS (L8).

    The answer is the same whether or not the number belongs to a member.
    """
    secret = settings.PRIVACY_SMS_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"error": "The SMS webhook is not configured."}, status=503)
    signature = request.headers.get("X-Marquee-Signature", "")
    if not sms.verify_signature(request.body, signature, secret):
        logger.warning("privacy.sms.bad_signature")
        return JsonResponse({"error": "Bad signature."}, status=403)
    try:
        phone, text = _inbound_fields(request)
        phone = marketing.suppression.normalise(channel=marketing.SMS, value=phone)
    except ValueError as error:
        return JsonResponse({"error": str(error)}, status=400)
    marketing.handle_sms_reply(phone=phone, text=text)
    return JsonResponse({"ok": True})


def _inbound_fields(request) -> tuple[str, str]:
    """Return (from, text) of a JSON or form-encoded webhook body; ValueError if malformed."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("The body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise ValueError("The body must be a JSON object.")
    else:
        data = request.POST
    phone, text = data.get("from"), data.get("text")
    if not isinstance(phone, str) or not isinstance(text, str):
        raise ValueError("The fields 'from' and 'text' are required.")
    if not phone.strip().startswith("+"):
        raise ValueError("'from' must be an E.164 phone number.")
    return phone, text


def _no_store(response):
    add_never_cache_headers(response)
    return response
