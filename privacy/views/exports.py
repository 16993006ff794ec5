"""Download my data: request an export, follow its progress, download it."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


export_page = export_status = export_download = _todo
