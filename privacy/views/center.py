"""The member's privacy center: what we hold, requests, restriction, objection, contact."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


center = request_list = request_detail = request_status = contact = guardian_report = _todo
restriction = objection = rectification = _todo
