"""``{% consent_banner %}``: the cookie banner, on every page until the person chooses."""

from django import template

from privacy.services import consent, cookie_choices

register = template.Library()


@register.inclusion_tag("privacy/_consent_banner.html", takes_context=True)
def consent_banner(context):
    request = context.get("request")
    request_consent = getattr(request, "consent", None)
    show = (
        request_consent is not None
        and not context.get("hide_consent_banner")
        and request_consent.needs_choice
    )
    if not show:
        return {"show": False}
    rows = cookie_choices.purpose_rows(
        request_consent, (consent.ESSENTIAL, *consent.BANNER_PURPOSES)
    )
    return {
        "show": True,
        "rows": rows,
        "locked": [str(row.name) for row in rows if row.signal_honoured],
        "next": request.get_full_path(),
    }
