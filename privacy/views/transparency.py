"""The public transparency report: requests received and answered, per year."""

from django.http import Http404


def transparency(request):
    raise Http404
