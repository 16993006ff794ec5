"""Production settings: everything secret or site-specific comes from the environment.

``manage.py check --deploy --settings=cinema.settings.production`` must report nothing.
"""

from cinema.settings.base import *  # noqa: F403
from cinema.settings.env import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SITE_URL = env.str("MARQUEE_SITE_URL")
# Hashes on the suppression list must match for ever: set once, never rotate.
PRIVACY_SUPPRESSION_SALT = env.str("MARQUEE_SUPPRESSION_SALT")
# Encrypts TOTP secrets at rest; set once: changing it disables every authenticator.
ACCOUNTS_MFA_ENCRYPTION_KEY = env.str("MARQUEE_MFA_ENCRYPTION_KEY")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Set when a TLS-terminating proxy sits in front, e.g. "HTTP_X_FORWARDED_PROTO,https".
_proxy_header = env.tuple("DJANGO_SECURE_PROXY_SSL_HEADER", default=())
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if _proxy_header else None
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=63072000)  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
EMAIL_DELIVERY_BACKEND = env.str(
    "EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
