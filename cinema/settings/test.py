"""Settings for the test suite.

The database follows ``DATABASE_URL`` (PostgreSQL in CI, SQLite otherwise). Tasks run
eagerly unless a test starts a real worker (tests/integration), and mail stays in memory.
"""

from cinema.settings.base import *  # noqa: F403
from cinema.settings.base import DATA_DIR

DEBUG = False
# Hashing cost is not what the tests measure; argon2 stays configured in base.py.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = str(DATA_DIR / "test-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
