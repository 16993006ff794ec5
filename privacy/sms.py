"""Outgoing SMS through a small gateway interface.

``PRIVACY_SMS_GATEWAY`` names the class: :class:`ConsoleGateway` for development (logs the
message's reference id only, never the number or the text) or :class:`HttpGateway`, which
POSTs JSON ``{"to", "text", "reference"}`` to ``PRIVACY_SMS_GATEWAY_URL`` with the bearer
token ``PRIVACY_SMS_GATEWAY_TOKEN``. Replies from members (STOP) arrive at the inbound
webhook, ``privacy.views.marketing.sms_inbound``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class GatewayError(Exception):
    """The gateway refused the message or could not be reached: it was not sent."""


class GatewayTimeout(GatewayError):
    """No answer in time: the message may or may not have been sent."""


class Gateway(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> None:
        """Send ``text`` to the E.164 number ``to``; raise GatewayError if not sent."""


class ConsoleGateway:
    """Development gateway: logs that a message would go out, by reference id only."""

    def send(self, *, to: str, text: str, reference: str) -> None:
        logger.info("privacy.sms.console_send reference=%s length=%d", reference, len(text))


class HttpGateway:
    """Posts each message as JSON to the provider's HTTP API."""

    def __init__(self, url: str | None = None, token: str | None = None):
        self.url = url if url is not None else settings.PRIVACY_SMS_GATEWAY_URL
        self.token = token if token is not None else settings.PRIVACY_SMS_GATEWAY_TOKEN
        if not self.url:
            raise GatewayError("PRIVACY_SMS_GATEWAY_URL is not set.")

    def send(self, *, to: str, text: str, reference: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = requests.post(
                self.url,
                json={"to": to, "text": text, "reference": reference},
                headers=headers,
                timeout=TIMEOUT_SECONDS,
            )
        except requests.Timeout as exc:
            raise GatewayTimeout("The SMS gateway did not answer in time.") from exc
        except requests.RequestException as exc:
            raise GatewayError("The SMS gateway could not be reached.") from exc
        if response.status_code >= 400:
            raise GatewayError(f"The SMS gateway answered {response.status_code}.")
        logger.info("privacy.sms.sent reference=%s status=%s", reference, response.status_code)


def sign_body(body: bytes, secret: str) -> str:
    """Return the hex HMAC-SHA256 of a webhook body: the X-Marquee-Signature value."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str, secret: str) -> bool:
    """Return whether ``signature`` (hex, optionally "sha256="-prefixed) signs ``body``.

    Compared in constant time, so the answer's timing tells nothing about the right value.
    """
    if not secret or not signature:
        return False
    signature = signature.strip().removeprefix("sha256=")
    return hmac.compare_digest(sign_body(body, secret), signature.lower())


def get_gateway() -> Gateway:
    return import_string(settings.PRIVACY_SMS_GATEWAY)()
