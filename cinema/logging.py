"""Logging filters that keep secrets carried in URLs out of the logs.

Links in our emails carry signed tokens in their path (unsubscribe, marketing
confirmation, request status, export download, deletion cancel): ``payload:signature``
strings made by ``django.core.signing``, whose payload names a member or a request.
Django's ``django.request`` logger writes the path of every 4xx/5xx answer, so an expired
link would otherwise put the token into the log. The filter replaces every such segment.
"""

import logging
import re

# django.core.signing output: base64url payload, ':' and a base64url signature (with an
# optional timestamp part). Plain words and ids never contain ':' in our URLs.
# The signature (the last part) is at least 27 base64 characters, so times ("12:30:00")
# and ISO timestamps are left alone.
SIGNED_SEGMENT = re.compile(r"[A-Za-z0-9_\-.]+(?::[A-Za-z0-9_\-]+){0,2}:[A-Za-z0-9_\-]{20,}")
REDACTED = "[token]"


def redact(text: str) -> str:
    return SIGNED_SEGMENT.sub(REDACTED, text)


class RedactSignedTokens(logging.Filter):
    """Replace signed tokens in a record's message and string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            # Formatters that print the request use its repr; keep the path out of it too.
            record.request = _RedactedRequest(request)
        return True


class _RedactedRequest:
    def __init__(self, request):
        self._request = request
        self.path = redact(request.path)
        self.method = getattr(request, "method", "")

    def __repr__(self):
        return f"<Request: {self.method} {self.path}>"

    def __getattr__(self, name):
        return getattr(self._request, name)
