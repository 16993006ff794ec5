"""The browser's language cookie, as Django's LocaleMiddleware reads it."""

from django.conf import settings


def set_language_cookie(response, language: str, *, max_age: int | None = None):
    """Store ``language`` in the language cookie of ``response``.

    ``max_age`` None keeps it for the browser session only; the settings' LANGUAGE_COOKIE_*
    give its path, domain and flags.
    """
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=max_age,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
