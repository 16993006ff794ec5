"""The public transparency report: requests received and answered, per year."""

from django.core.cache import cache
from django.shortcuts import render

from privacy.app_settings import app_settings
from privacy.services import transparency as figures

CACHE_KEY = "privacy:transparency:v1"


def transparency(request):
    """Requests received, complied with, denied, and days to respond, per year and type.

    The figures are cached for ``PRIVACY_TRANSPARENCY_CACHE_SECONDS`` (numbers only: the
    labels are translated when the page is drawn); the page itself is not, since its
    header and consent banner belong to the visitor.
    """
    years = cache.get(CACHE_KEY)
    if years is None:
        years = figures.yearly_report()
        cache.set(CACHE_KEY, years, app_settings.TRANSPARENCY_CACHE_SECONDS)
    return render(request, "privacy/transparency.html", {"years": years})
