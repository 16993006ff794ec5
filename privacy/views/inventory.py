from django.shortcuts import render

from cinema.models import Cinema
from privacy import recipients as recipients_register
from privacy.services.inventory import collected_by_category


def what_we_collect(request):
    """The public record of processing, in plain words, from the registry (K1, K2, M6)."""
    return render(request, "privacy/what_we_collect.html", {"categories": collected_by_category()})


def who_we_share_with(request):
    """Every recipient of personal data, partner operators and embedded SDKs (M7, K5, L10)."""
    partners = (
        Cinema.objects.filter(is_active=True)
        .exclude(partner_operator="")
        .order_by("partner_operator")
        .values_list("partner_operator", flat=True)
        .distinct()
    )
    return render(
        request,
        "privacy/who_we_share_with.html",
        {
            "recipients": list(recipients_register.RECIPIENTS.values()),
            "partner_operators": list(partners),
            "sdks": recipients_register.embedded_sdks(),
        },
    )
