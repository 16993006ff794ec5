"""Consent on every request: who is asking, what they agreed to, what their browser refuses.

``request.consent`` answers ``allows(purpose)`` for templates and views; the server, not
the browser, decides what markup and cookies a page may carry (K3, M9, S5). On the way
out, cookies of purposes the visitor has not agreed to are deleted from the browser.
"""

from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.core import signing

from privacy.services import consent

VISITOR_COOKIE_SALT = "privacy.visitor"
VISITOR_COOKIE_AGE = 60 * 60 * 24 * 365  # a year; the choice is asked again after that


def browser_signals(request) -> list[str]:
    """Return the opt-out signals the request carries: "gpc" and/or "dnt".

    A header sent several times arrives joined by commas; any copy that is exactly "1"
    counts.
    """
    signals = []
    for name, header in (("gpc", "HTTP_SEC_GPC"), ("dnt", "HTTP_DNT")):
        values = [v.strip() for v in request.META.get(header, "").split(",")]
        if "1" in values:
            signals.append(name)
    return signals


class RequestConsent:
    """What the person behind one request has agreed to."""

    def __init__(self, request):
        self._request = request
        self.signals = browser_signals(request)
        self.visitor_id = self._read_visitor_id()
        self.set_visitor_cookie = False
        self.signal_applied: list[str] = []

    def _read_visitor_id(self) -> uuid.UUID | None:
        raw = self._request.COOKIES.get(consent.VISITOR_COOKIE)
        if not raw:
            return None
        try:
            value = signing.get_cookie_signer(salt=VISITOR_COOKIE_SALT).unsign(raw)
            return uuid.UUID(value)
        except (signing.BadSignature, ValueError):
            return None

    @property
    def user(self):
        user = getattr(self._request, "user", None)
        return user if user is not None and user.is_authenticated else None

    @property
    def subject(self) -> consent.Subject | None:
        if self.user is not None:
            return consent.Subject.of(self.user)
        if self.visitor_id is not None:
            return consent.Subject(visitor_id=self.visitor_id)
        return None

    def ensure_subject(self) -> consent.Subject:
        """Return the subject, giving an anonymous visitor an id (and its cookie) if new."""
        if self.subject is None:
            self.visitor_id = consent.new_visitor_id()
            self.set_visitor_cookie = True
            self.__dict__.pop("states", None)
        return self.subject

    @cached_property
    def states(self) -> dict:
        subject = self.subject
        return consent.current_states(subject) if subject is not None else {}

    def refresh(self) -> None:
        self.__dict__.pop("states", None)

    def allows(self, purpose: str) -> bool:
        if purpose == consent.ESSENTIAL:
            return True
        state = self.states.get(purpose)
        for signal in self.signals:
            if consent.SIGNAL_PURPOSES.get(signal) == purpose and not (
                state is not None and state.granted and state.overrides_signal
            ):
                return False
        return bool(state is not None and state.granted)

    @property
    def needs_choice(self) -> bool:
        """Whether the banner should ask: no answer yet for any banner purpose."""
        return not any(p in self.states for p in consent.BANNER_PURPOSES)

    def choices(self) -> dict[str, bool]:
        return {purpose: self.allows(purpose) for purpose in consent.PURPOSES}

    def signal_honoured(self, purpose: str) -> bool:
        """Whether a browser signal is what keeps ``purpose`` off on this request."""
        state = self.states.get(purpose)
        return any(consent.SIGNAL_PURPOSES.get(s) == purpose for s in self.signals) and not (
            state is not None and state.granted and state.overrides_signal
        )


class ConsentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.consent = context = RequestConsent(request)
        if context.signals and context.subject is not None:
            context.signal_applied = consent.apply_browser_signals(
                context.subject, context.signals, request=request
            )
            context.refresh()
        response = self.get_response(request)
        self._delete_declined_cookies(request, response, context)
        if context.set_visitor_cookie and context.visitor_id is not None:
            response.set_cookie(
                consent.VISITOR_COOKIE,
                signing.get_cookie_signer(salt=VISITOR_COOKIE_SALT).sign(str(context.visitor_id)),
                max_age=VISITOR_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _delete_declined_cookies(self, request, response, context) -> None:
        for purpose, names in consent.PURPOSE_COOKIES.items():
            if context.allows(purpose):
                continue
            for name in names:
                if name in request.COOKIES or name in response.cookies:
                    response.delete_cookie(name, samesite="Lax")
