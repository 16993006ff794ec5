"""URLconf for bench/home_page.py: the project's URLs plus a bare view."""

from django.http import HttpResponse
from django.urls import include, path

BARE_PATH = "__bench__/bare"


def bare(request):
    """The cheapest possible Django view: no template, no database."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path(BARE_PATH, bare, name="bench_bare"),
    path("", include("cinema.urls")),
]
