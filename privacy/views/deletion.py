"""Self-service account deletion with a grace period."""

from django.http import Http404


def delete_account(request):
    raise Http404
