"""Settings shared by every deployment, with development defaults.

Values an operator may change are read through :mod:`cinema.settings.env`. Without any
environment this runs the embedded mode: SQLite, a local-memory cache and a Celery
transport that keeps its queue in files, so a fresh machine needs no server.
"""

from datetime import timedelta

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from cinema.settings.env import BASE_DIR, DATA_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only for development; production.py insists on DJANGO_SECRET_KEY.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="dev-only-not-secret-0f6c1d6b7e4a4c8e9b2f3a5d7c9e1f3b"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A form sent without a valid token gets our page, translated (cinema/views.py).
CSRF_FAILURE_VIEW = "cinema.views.csrf_failure"

INSTALLED_APPS = [
    # Translated content (film titles, genres, cinemas): registers its fields before any
    # app's ready() reads the models, and must come before django.contrib.admin.
    "modeltranslation",
    "accounts",
    "privacy",
    "cinema",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.socialaccount.providers.apple",
    "allauth.mfa",
    "allauth.usersessions",
    "phonenumber_field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PreferredLanguageMiddleware",
    "privacy.middleware.consent.ConsentMiddleware",
    "privacy.middleware.policies.PolicyReviewMiddleware",
    "privacy.middleware.tracking.TrackingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.StaffMFAMiddleware",
    "accounts.middleware.UnconfiguredProviderMiddleware",
]

ROOT_URLCONF = "cinema.urls"
WSGI_APPLICATION = "cinema.wsgi.application"
ASGI_APPLICATION = "cinema.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cinema.context_processors.site",
            ],
        },
    },
]
# Widgets render through TEMPLATES too, so templates/ can override a widget's template
# (templates/admin/widgets/split_datetime.html labels the admin's date and time inputs).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Data stores -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="marquee"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, verified before first sign-in.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_DISPLAY = "accounts.models.display_name"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Marquee] "
# allauth's defaults already limit sign-in, sign-up, reset and confirmation; these make the
# limits explicit and auditable in one place.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
# Our own endpoints, limited by cinema/ratelimit.py with the same machinery; each view's
# decorator holds its default, this dict overrides per action ("" switches a limit off).
MARQUEE_RATE_LIMITS: dict[str, str] = {
    "unsubscribe": "20/m/ip",
    "sms_inbound": "300/m/ip",  # one gateway IP relays every reply: keep it generous
    "marketing_preferences": "10/m/user",
    "marketing_confirm": "10/m/ip",
    "consent_banner": "30/m/ip",
    "nearest_cinemas": "30/m/ip",
    "tracking_beacon": "120/m/ip",
    "booking": "10/m/user",
    # The privacy center (privacy/views/center.py). Forms anyone can send, and the code
    # check and resend of requests from people without an account, are limited per IP;
    # a resent code is an email to someone, so it is the strictest.
    "privacy_contact": "5/m/ip,20/h/ip",
    "privacy_guardian_report": "5/m/ip,20/h/ip",
    "privacy_request_code": "10/m/ip",
    "privacy_request_resend": "3/10m/ip",
    # The member's own privacy switches and requests.
    "privacy_restriction": "10/m/user",
    "privacy_objection": "10/m/user",
    "privacy_rectification": "5/m/user",
    "privacy_request_withdraw": "10/m/user",
    "delete_account": "5/m/user",
    "cancel_deletion": "10/m/ip",
    # Asking for a copy of one's data starts a build of every row we hold: a few per hour.
    "data_export": "5/h/user",
}
# Social sign-in (accounts/social_adapter.py): only name, email and photo are imported (M2),
# sign-up always shows our form (date of birth, policy), provider tokens are never stored.
SOCIALACCOUNT_ADAPTER = "accounts.social_adapter.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "accounts.forms.SocialSignupForm"}
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Smallest scopes that give name, email and picture. A provider gets a button once it has
# an app: from MARQUEE_<PROVIDER>_CLIENT_ID/_SECRET here, or a SocialApp added in the admin.
SOCIALACCOUNT_PROVIDERS: dict = {
    "google": {"SCOPE": ["openid", "email", "profile"]},
    "facebook": {
        "METHOD": "oauth2",
        "SCOPE": ["email", "public_profile"],
        "FIELDS": ["id", "email", "name", "first_name", "last_name", "picture"],
    },
    "twitter_oauth2": {"SCOPE": ["users.read", "tweet.read"]},
    "apple": {"SCOPE": ["name", "email"]},
}
for _provider, _prefix in [
    ("google", "GOOGLE"),
    ("facebook", "FACEBOOK"),
    ("twitter_oauth2", "X"),
    ("apple", "APPLE"),
]:
    _client_id = env.str(f"MARQUEE_{_prefix}_CLIENT_ID", default="")
    _secret = env.str(f"MARQUEE_{_prefix}_SECRET", default="")
    if _client_id and _secret:
        _app: dict = {"client_id": _client_id, "secret": _secret}
        if _provider == "apple":
            # Apple: the secret is the key id; the team id and the .p8 key sign the request.
            _app["key"] = env.str("MARQUEE_APPLE_TEAM_ID", default="")
            _app["settings"] = {
                "certificate_key": env.str("MARQUEE_APPLE_CERTIFICATE_KEY", default="")
            }
        SOCIALACCOUNT_PROVIDERS[_provider]["APPS"] = [_app]
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Passkeys (security keys, WebAuthn) serve as a second factor. Password-less "Sign in with
# a passkey" stays off for now: it adds a second sign-in button that the journeys and the
# sign-in page copy do not yet account for; switch on with MARQUEE_PASSKEY_LOGIN=1.
MFA_PASSKEY_LOGIN_ENABLED = env.bool("MARQUEE_PASSKEY_LOGIN", default=False)
MFA_TOTP_ISSUER = env.str("MARQUEE_SITE_NAME", default="Marquee")
# Browsers allow WebAuthn on http://localhost only; allauth must agree when developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Encrypts TOTP secrets and recovery-code seeds at rest (accounts/mfa_adapter.py).
MFA_ADAPTER = "accounts.mfa_adapter.MFAAdapter"
# Key material for that encryption; empty derives one from SECRET_KEY (development only,
# production.py requires it). Changing it makes every stored authenticator unusable.
ACCOUNTS_MFA_ENCRYPTION_KEY = env.str("MARQUEE_MFA_ENCRYPTION_KEY", default="")
# Staff must have an authenticator before any admin page opens (accounts/middleware.py).
ACCOUNTS_STAFF_REQUIRE_MFA = env.bool("MARQUEE_STAFF_REQUIRE_MFA", default=True)
# How long a remembered sign-in device (accounts.KnownDevice) is kept after last use.
ACCOUNTS_KNOWN_DEVICE_RETENTION = timedelta(
    days=env.int("MARQUEE_KNOWN_DEVICE_RETENTION_DAYS", default=365)
)
# One row per signed-in session and user: the per-member index of sessions, so that
# signing a member out everywhere never scans the whole session table.
USERSESSIONS_TRACK_ACTIVITY = True

# --- Marquee -----------------------------------------------------------------------------
SITE_NAME = env.str("MARQUEE_SITE_NAME", default="Marquee")
# Youngest age at which a person may hold an account (16 under GDPR-style policies, 13 in
# some deployments).
ACCOUNTS_MINIMUM_AGE = env.int("MARQUEE_MINIMUM_AGE", default=16)
# Cinema domain (defaults and meaning in cinema/app_settings.py).
CINEMA_PAYMENT_PROVIDER = env.str(
    "MARQUEE_PAYMENT_PROVIDER", default="cinema.payments.BoxOfficeProvider"
)
CINEMA_CURRENCY = env.str("MARQUEE_CURRENCY", default="KZT")
CINEMA_REMINDER_LEAD = timedelta(minutes=env.int("MARQUEE_REMINDER_LEAD_MINUTES", default=180))
# Largest avatar upload in bytes; the image is then re-encoded to at most 512x512 pixels.
ACCOUNTS_AVATAR_MAX_BYTES = env.int("MARQUEE_AVATAR_MAX_BYTES", default=2 * 1024 * 1024)
# Absolute base of links in emails and headers (unsubscribe, confirmations), no slash at the end.
SITE_URL = env.str("MARQUEE_SITE_URL", default="http://127.0.0.1:8000")
# Marketing (privacy/services/marketing.py, suppression.py, campaigns.py; privacy/sms.py).
# Shared secret of the SMS gateway's inbound webhook; unset, /privacy/sms/inbound/ answers 503.
PRIVACY_SMS_WEBHOOK_SECRET = env.str("MARQUEE_SMS_WEBHOOK_SECRET", default="")
# Key of the suppression list's address hashes. Never rotate it: old entries would stop
# matching and unsubscribed people would be mailed again.
PRIVACY_SUPPRESSION_SALT = env.str(
    "MARQUEE_SUPPRESSION_SALT", default="dev-only-suppression-salt-5b1e0c7d9a2f4e68"
)
# How long the double opt-in link for marketing email stays valid.
PRIVACY_MARKETING_CONFIRM_MAX_AGE = timedelta(
    hours=env.int("MARQUEE_MARKETING_CONFIRM_HOURS", default=72)
)
PRIVACY_CAMPAIGN_BATCH_SIZE = env.int("MARQUEE_CAMPAIGN_BATCH_SIZE", default=500)
# "privacy.sms.ConsoleGateway" (logs ids only) or "privacy.sms.HttpGateway" (POSTs to the URL).
PRIVACY_SMS_GATEWAY = env.str("MARQUEE_SMS_GATEWAY", default="privacy.sms.ConsoleGateway")
PRIVACY_SMS_GATEWAY_URL = env.str("MARQUEE_SMS_GATEWAY_URL", default="")
PRIVACY_SMS_GATEWAY_TOKEN = env.str("MARQUEE_SMS_GATEWAY_TOKEN", default="")
# Usage tracking (privacy/services/tracking.py): events wait in a buffer (a Redis list with
# REDIS_URL, else this spool folder) until the flush task writes them in batches.
PRIVACY_TRACKING_SPOOL_DIR = env.str(
    "MARQUEE_TRACKING_SPOOL_DIR", default=str(DATA_DIR / "tracking-spool")
)
PRIVACY_TRACKING_REDIS_KEY = env.str(
    "MARQUEE_TRACKING_REDIS_KEY", default="marquee:tracking:buffer"
)
PRIVACY_TRACKING_BATCH_SIZE = env.int("MARQUEE_TRACKING_BATCH_SIZE", default=5000)
# Days usage events are kept (declared in privacy/privacy.py; deleted by retention).
PRIVACY_TRACKING_RETENTION = timedelta(days=env.int("MARQUEE_TRACKING_RETENTION_DAYS", default=90))
# Retention (privacy/services/retention.py, docs/retention.md). Each batch is one short
# transaction with its checkpoint: the first has this many rows, the next ones adapt their
# size to take about the target time (0 ms: always the first size); an optional pause
# between batches (milliseconds) spares a busy database or its replicas.
PRIVACY_RETENTION_BATCH_SIZE = env.int("MARQUEE_RETENTION_BATCH_SIZE", default=5000)
PRIVACY_RETENTION_BATCH_TARGET = timedelta(
    milliseconds=env.int("MARQUEE_RETENTION_BATCH_TARGET_MS", default=100)
)
PRIVACY_RETENTION_BATCH_PAUSE = timedelta(
    milliseconds=env.int("MARQUEE_RETENTION_BATCH_PAUSE_MS", default=0)
)
# A "running" retention run with no progress for this long lost its worker; the sweeper
# continues it from its checkpoint.
PRIVACY_RETENTION_STALE_AFTER = timedelta(
    minutes=env.int("MARQUEE_RETENTION_STALE_MINUTES", default=10)
)
# The consent ledger and the audit log are kept ("") unless a period is set here; even
# then the latest consent record per member and purpose is never deleted, and the audit
# log never goes below its legal minimum.
PRIVACY_CONSENT_LEDGER_RETENTION = (
    timedelta(days=env.int("MARQUEE_CONSENT_LEDGER_RETENTION_DAYS"))
    if env.str("MARQUEE_CONSENT_LEDGER_RETENTION_DAYS", default="")
    else None
)
PRIVACY_AUDIT_LOG_RETENTION = (
    timedelta(days=env.int("MARQUEE_AUDIT_LOG_RETENTION_DAYS"))
    if env.str("MARQUEE_AUDIT_LOG_RETENTION_DAYS", default="")
    else None
)
# Dormant accounts: no sign-in for this many years -> a notice email -> erased when the
# notice period passes without a sign-in. 0 years switches the sweep off.
PRIVACY_DORMANT_AFTER = timedelta(days=365 * env.int("MARQUEE_DORMANT_AFTER_YEARS", default=3))
PRIVACY_DORMANT_NOTICE_PERIOD = timedelta(days=env.int("MARQUEE_DORMANT_NOTICE_DAYS", default=30))
# Dotted path to a callable "network (e.g. 203.0.113.0/24) -> city name" for the approximate
# city of usage events, used only for people who allow location. None: no city is recorded.
PRIVACY_COARSE_GEO_LOOKUP = env.str("MARQUEE_COARSE_GEO_LOOKUP", default="") or None
# Data-subject requests (privacy/services/requests.py, deadlines.py). Deadlines are written
# as the law words them: "1 month", "45 days", "7 working days", "72 hours", "1 business day".
PRIVACY_REQUEST_DEADLINES = {
    # GDPR Art. 12(3): one month from receipt; CCPA deployments set "45 days".
    "default": env.str("MARQUEE_REQUEST_DEADLINE", default="1 month"),
    # Account deletion completes within 7 working days (promise L5).
    "erasure": env.str("MARQUEE_ERASURE_DEADLINE", default="7 working days"),
}
# One extension per request, with the reason emailed (GDPR: 2 months more; CCPA: 45 days).
PRIVACY_REQUEST_EXTENSION = env.str("MARQUEE_REQUEST_EXTENSION", default="2 months")
# Working days skip weekends and this country's public holidays (ISO code, "" for none)...
PRIVACY_HOLIDAYS_COUNTRY = env.str("MARQUEE_HOLIDAYS_COUNTRY", default="KZ")
# ...and these extra dates (comma-separated ISO dates, e.g. company closing days).
PRIVACY_EXTRA_HOLIDAYS = env.list("MARQUEE_EXTRA_HOLIDAYS", default=[])
# Requests from people without an account close themselves if not verified in this time.
PRIVACY_UNVERIFIED_REQUEST_TTL = timedelta(
    days=env.int("MARQUEE_UNVERIFIED_REQUEST_DAYS", default=14)
)
# One-time codes emailed to requesters without an account.
PRIVACY_VERIFICATION_CODE_TTL = timedelta(
    minutes=env.int("MARQUEE_VERIFICATION_CODE_MINUTES", default=15)
)
PRIVACY_VERIFICATION_CODE_ATTEMPTS = env.int("MARQUEE_VERIFICATION_CODE_ATTEMPTS", default=5)
# Signed links to a request's public status page (requesters without an account) work this
# long after the email that carried them; each email about the request has a fresh link.
PRIVACY_REQUEST_STATUS_LINK_MAX_AGE = timedelta(
    days=env.int("MARQUEE_REQUEST_STATUS_LINK_DAYS", default=180)
)
# The supervisory authority a refused requester may complain to, named in the refusal
# email (GDPR Art. 12(4)): e.g. "the Information Commissioner's Office" and its address.
PRIVACY_AUTHORITY_NAME = env.str("MARQUEE_AUTHORITY_NAME", default="")
PRIVACY_AUTHORITY_URL = env.str("MARQUEE_AUTHORITY_URL", default="")
# Breach notification to the authority: "72 hours" (GDPR Art. 33), "1 business day" (KZ).
PRIVACY_BREACH_NOTIFICATION_DEADLINE = env.str(
    "MARQUEE_BREACH_NOTIFICATION_DEADLINE", default="72 hours"
)
# Affected members emailed per transaction when a breach is notified (one outbox batch each).
PRIVACY_BREACH_NOTIFY_BATCH_SIZE = env.int("MARQUEE_BREACH_NOTIFY_BATCH_SIZE", default=200)
# How long the public transparency figures are cached (seconds).
PRIVACY_TRANSPARENCY_CACHE_SECONDS = env.int("MARQUEE_TRANSPARENCY_CACHE_SECONDS", default=600)
# Exports (privacy/services/export.py): where the ZIPs are written (never under MEDIA_ROOT,
# which may be served publicly) and how long a finished export can be downloaded.
PRIVACY_EXPORT_DIR = env.str("MARQUEE_EXPORT_DIR", default=str(DATA_DIR / "exports"))
PRIVACY_EXPORT_TTL = timedelta(days=env.int("MARQUEE_EXPORT_DAYS", default=7))
# Account deletion and erasure (privacy/services/erasure.py, docs/erasure.md). A member's
# deletion waits this long (account deactivated, cancellable) before a worker erases it.
PRIVACY_DELETION_GRACE = timedelta(days=env.int("MARQUEE_DELETION_GRACE_DAYS", default=7))
# Rows per erasure batch: one transaction and one checkpoint each (at most 20,000 when the
# rows pass through the worker; docs/erasure.md).
PRIVACY_ERASURE_BATCH_SIZE = env.int("MARQUEE_ERASURE_BATCH_SIZE", default=500_000)
# Seconds to pause between batches, to spare a busy database (0: none).
PRIVACY_ERASURE_BATCH_PAUSE = env.float("MARQUEE_ERASURE_BATCH_PAUSE", default=0.0)
# A running erasure with no progress for this long is re-enqueued by the sweeper; a job
# that failed this many times waits for staff.
PRIVACY_ERASURE_STALL_AFTER = timedelta(
    seconds=env.int("MARQUEE_ERASURE_STALL_SECONDS", default=15 * 60)
)
PRIVACY_ERASURE_MAX_ATTEMPTS = env.int("MARQUEE_ERASURE_MAX_ATTEMPTS", default=5)
# Completed erasures are also appended here (no personal data): keep it OUTSIDE what a
# database restore rolls back, so `manage.py replay_erasures` can re-apply them.
PRIVACY_ERASURE_JOURNAL_FILE = env.str(
    "MARQUEE_ERASURE_JOURNAL", default=str(DATA_DIR / "erasure-journal.jsonl")
)
# How long database backups are kept: journal entries are needed that long, no longer.
PRIVACY_BACKUP_RETENTION = timedelta(days=env.int("MARQUEE_BACKUP_RETENTION_DAYS", default=35))
# The final "your account was erased" email may wait in the outbox this long; forget_check
# tolerates it meanwhile and the erasure sweeper deletes it afterwards, delivered or not.
PRIVACY_ERASURE_NOTICE_WINDOW = timedelta(hours=env.int("MARQUEE_ERASURE_NOTICE_HOURS", default=48))

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("kk", _("Kazakh")),
    ("zh-hans", _("Simplified Chinese")),
]
# Content staff enter per language (cinema/translation.py): a missing translation shows
# the English one. Slugs are prepopulated from the English title whatever the admin's
# language.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "en"
# Our catalogues first; locale/vendor fills what django-allauth (no Kazakh at all) and
# Django's own Kazakh catalogue leave untranslated.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
# Dates, times and numbers per language (24-hour clock, day before month, Kazakh formats
# Django lacks), and the named SHOWTIME_FORMAT and DAY_FORMAT: see cinema/formats/.
FORMAT_MODULE_PATH = ["cinema.formats"]
TIME_ZONE = env.str("MARQUEE_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env.str("MARQUEE_PHONE_REGION", default="KZ")

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(DATA_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email -------------------------------------------------------------------------------
# Messages are handed to a Celery task (never sent inside a request); the task delivers them
# with EMAIL_DELIVERY_BACKEND.
EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
EMAIL_DELIVERY_BACKEND = env.str(
    "EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(DATA_DIR / "outbox"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Marquee <noreply@marquee.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(DATA_DIR / "broker-control"),
        "store_processed": False,
    }
else:
    # Redis redelivers an unacknowledged task after this long; no task may run longer.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# No task results are stored: they may carry member ids past an erasure (system check
# privacy.E012 fails if a result backend is set while results are kept; docs/erasure.md).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="marquee")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# With the console email backend (development and the demo), each email is printed on the
# worker's standard output so that a developer can open its links. Celery would route that
# output through logging, whose filter (cinema/logging.py) blanks the links' tokens.
CELERY_WORKER_REDIRECT_STDOUTS = (
    EMAIL_DELIVERY_BACKEND != "django.core.mail.backends.console.EmailBackend"
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Write buffered usage events (page views, searches, clicks) to the database in batches;
    # at least once with unique event ids, so overlapping or repeated runs record nothing twice.
    "flush-tracking-buffer": {
        "task": "privacy.flush_tracking_buffer",
        "schedule": timedelta(seconds=10),
    },
    # Resume marketing campaigns whose sending stopped (lost task message, killed worker);
    # sending continues from the campaign's checkpoint, so nobody gets a message twice.
    "resume-stalled-campaigns": {
        "task": "privacy.resume_stalled_campaigns",
        "schedule": timedelta(minutes=10),
    },
    # Resume emails about a material policy change whose task stalled (lost message, killed
    # worker); sending continues from the checkpoint, so nobody is emailed twice.
    "resume-policy-notifications": {
        "task": "privacy.resume_policy_notifications",
        "schedule": timedelta(minutes=10),
    },
    # Re-queue outgoing email whose task message was lost (worker killed, broker restart).
    "requeue-stale-emails": {
        "task": "cinema.requeue_stale_emails",
        "schedule": timedelta(minutes=5),
    },
    # Email showtime reminders to members whose showtime starts within
    # CINEMA_REMINDER_LEAD; each booking is claimed atomically, so overlapping runs are safe.
    "send-showtime-reminders": {
        "task": "cinema.send_showtime_reminders",
        "schedule": timedelta(minutes=5),
    },
    # Delete expired session rows so signed-out sessions do not linger (daily, off-peak).
    "clear-expired-sessions": {
        "task": "accounts.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    # --- Privacy requests and exports ---
    # Close requests from people without an account who never entered their code within
    # PRIVACY_UNVERIFIED_REQUEST_TTL; each is re-read under a lock, so reruns are harmless.
    "expire-unverified-requests": {
        "task": "privacy.expire_unverified_requests",
        "schedule": timedelta(hours=1),
    },
    # Re-enqueue exports whose task message was lost (queued for over 2 minutes) or whose
    # worker died mid-build (building for over 30 minutes); a build claims its export with a
    # conditional update and starts from scratch, so a duplicate message is harmless.
    "requeue-stale-exports": {
        "task": "privacy.requeue_stale_exports",
        "schedule": timedelta(minutes=5),
    },
    # Delete export files past their expiry (PRIVACY_EXPORT_TTL) and half-written files no
    # build owns; each export is switched to expired before its file goes, so reruns are safe.
    "expire-exports": {
        "task": "privacy.expire_exports",
        "schedule": timedelta(hours=1),
    },
    # --- Retention ---
    # Purge and anonymize what outlived its retention rule (registry + named rules): one
    # task per rule, so workers share the rules; each walks its rows in short checkpointed
    # batches and skips members under a legal hold or with an export being built. Daily,
    # off-peak, after clear-expired-sessions' hour so the two never compete.
    "retention-daily": {
        "task": "privacy.schedule_retention",
        "schedule": crontab(hour=2, minute=40),
        "args": ("daily",),
    },
    # Dormant accounts: notice email to members without a sign-in for PRIVACY_DORMANT_AFTER,
    # then erasure (privacy.services.erasure) when the notice period passed without one.
    "retention-dormant-accounts": {
        "task": "privacy.schedule_retention",
        "schedule": crontab(hour=4, minute=10),
        "args": ("dormant",),
    },
    # Continue retention runs whose worker died (no progress for
    # PRIVACY_RETENTION_STALE_AFTER) from their checkpoint, instead of waiting a day.
    "resume-interrupted-retention": {
        "task": "privacy.resume_retention",
        "schedule": timedelta(minutes=30),
    },
    # --- Erasure ---
    # Start erasures whose grace period ended, re-enqueue running ones that stopped making
    # progress (killed worker, lost message), and delete final "account erased" emails the
    # outbox could not deliver within PRIVACY_ERASURE_NOTICE_WINDOW. Jobs are claimed
    # atomically and resume from their checkpoint, so overlapping runs are harmless.
    "sweep-erasures": {
        "task": "privacy.sweep_erasures",
        "schedule": timedelta(minutes=5),
    },
}

# --- Security headers (tightened further in production.py) -------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # "Continue with Google" and the like are form posts answered by a redirect to the
        # provider's authorize page; browsers check form-action on that redirect too.
        "form-action": [
            SELF,
            "https://accounts.google.com",
            "https://www.facebook.com",
            "https://x.com",
            "https://appleid.apple.com",
        ],
        "frame-ancestors": [NONE],
    },
}
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    # The nearest-cinema button may ask for the position, on our own pages only.
    "geolocation": ["self"],
}

# --- Logging: ids and event keys only, never personal data --------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        # Signed tokens in email links (unsubscribe, status pages, downloads) never reach
        # the log, though django.request logs the path of every 4xx answer.
        "redact_signed_tokens": {"()": "cinema.logging.RedactSignedTokens"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_signed_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
