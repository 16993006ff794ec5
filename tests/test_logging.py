"""Signed tokens from email links stay out of the logs (docs/security.md)."""

import io
import logging

import pytest
from django.core import signing

from cinema.logging import RedactSignedTokens, redact
from tests.factories import make_member


def test_redaction_replaces_signed_tokens_and_leaves_ordinary_text():
    token = signing.dumps({"user": 42, "channel": "email"}, salt="privacy.unsubscribe")
    timed = signing.TimestampSigner(salt="s").sign("9f1c2d3e-uuid-of-a-request")

    assert redact(f"/privacy/unsubscribe/{token}/") == "/privacy/unsubscribe/[token]/"
    assert redact(f"/privacy/requests/status/{timed}/") == "/privacy/requests/status/[token]/"
    assert redact("Not Found: /films/12/ at 12:30:00") == "Not Found: /films/12/ at 12:30:00"
    stamp = "due_at=2026-11-29T23:59:59.234695+00:00"
    assert redact(stamp) == stamp


@pytest.fixture
def console():
    """The configured console handler, writing into a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if h.filters)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_rejected_unsubscribe_link_is_logged_without_its_token(client, console):
    member = make_member()
    token = signing.dumps({"u": member.pk, "c": "email"}, salt="not-the-unsubscribe-salt")

    response = client.get(f"/privacy/unsubscribe/{token}/")

    assert response.status_code == 400
    logged = console.getvalue()
    assert "Bad Request: /privacy/unsubscribe/[token]/" in logged
    assert token.split(":")[0] not in logged


def test_the_console_handler_carries_the_filter():
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactSignedTokens) for handler in handlers for f in handler.filters)
