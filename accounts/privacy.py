"""Personal-data declarations of the accounts app."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import KnownDevice, User
from privacy import registry as pd

pd.register(
    User,
    subject="self",
    purpose=pd.Purpose.ACCOUNT,
    description=_("Your account and profile: who you are and how we reach you."),
    verbose_name_plural=_("Account and profile"),
    fields={
        "email": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.REDACT),
        "username": pd.personal(pd.Category.IDENTITY),
        "first_name": pd.personal(pd.Category.IDENTITY, anonymize=pd.Method.REDACT),
        "last_name": pd.personal(pd.Category.IDENTITY, anonymize=pd.Method.REDACT),
        "patronymic": pd.personal(pd.Category.IDENTITY, anonymize=pd.Method.REDACT),
        "phone": pd.personal(pd.Category.CONTACT),
        "avatar": pd.personal(pd.Category.IDENTITY),
        "date_of_birth": pd.personal(pd.Category.IDENTITY, anonymize=pd.Method.BIRTH_YEAR),
        "preferred_language": pd.personal(pd.Category.PREFERENCES),
        "password": pd.personal(pd.Category.SECURITY),
        "last_login": pd.personal(pd.Category.USAGE),
        "date_joined": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "is_active": pd.not_personal(),
        "is_staff": pd.not_personal(),
        "is_superuser": pd.not_personal(),
        "groups": pd.not_personal(),
        "user_permissions": pd.not_personal(),
    },
    erasure=pd.Delete(),
    export=pd.Export("profile"),
    recipients=["hosting"],
)

pd.register(
    KnownDevice,
    subject="user",
    purpose=pd.Purpose.SECURITY,
    description=_("Browsers and networks you signed in from, kept as a hash to spot new ones."),
    fields={
        "user": pd.link(),
        "fingerprint_hash": pd.personal(
            pd.Category.DEVICE, verbose_name=_("Browser and network, as a hash")
        ),
        "first_seen": pd.personal(pd.Category.SECURITY, verbose_name=_("First seen")),
        "last_seen": pd.personal(pd.Category.SECURITY, verbose_name=_("Last seen")),
    },
    erasure=pd.Delete(),
    retention=pd.Retention(period=settings.ACCOUNTS_KNOWN_DEVICE_RETENTION, after="last_seen"),
    export=pd.Export("devices", tabular=True),
    recipients=["hosting"],
)
