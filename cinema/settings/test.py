"""Settings for the test suite.

The database follows ``DATABASE_URL`` (PostgreSQL in CI, SQLite otherwise). Tasks run
eagerly unless a test starts a real worker (tests/integration), and mail stays in memory.
"""

import os

from cinema.settings.base import *  # noqa: F403
from cinema.settings.base import DATA_DIR
from cinema.settings.env import env

DEBUG = False
# Hashing cost is not what the tests measure; argon2 stays configured in base.py.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker process started by tests/integration delivers to files instead.
EMAIL_DELIVERY_BACKEND = env.str(
    "EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.locmem.EmailBackend"
)
# Unit tests run tasks in-process; integration tests switch this off and use a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("MARQUEE_TASKS_EAGER", default=True)
# Per-process memory: parallel test processes never see each other's rate limits.
# Integration tests that need Redis override CACHES themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = str(DATA_DIR / "test-media")
PRIVACY_EXPORT_DIR = str(DATA_DIR / "test-exports")
PRIVACY_ERASURE_JOURNAL_FILE = str(DATA_DIR / "test-erasure-journal.jsonl")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests of other areas sign staff in with force_login and no authenticator; the staff-MFA
# rule is switched on by the tests that are about it (tests/accounts/test_mfa.py).
ACCOUNTS_STAFF_REQUIRE_MFA = False

# A test that starts its own worker processes gives them a queue of their own, so that
# the worker other integration tests share (same broker) never takes their tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("MARQUEE_CELERY_QUEUE", "celery")
