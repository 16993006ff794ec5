"""Personal-data declarations of Django's and django-allauth's models.

Third-party models hold personal data too (sessions, email addresses, social accounts,
second factors, staff action logs); the privacy machinery must know them like our own.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session

from privacy import registry as pd
from privacy.models import ConsentPurpose, ConsentRecord, ConsentState, Disclosure

# --- Sign-in and sessions -----------------------------------------------------------------

pd.register(
    EmailAddress,
    subject="user",
    purpose=pd.Purpose.ACCOUNT,
    fields={
        "user": pd.link(),
        "email": pd.personal(pd.Category.CONTACT),
        "verified": pd.not_personal(),
        "primary": pd.not_personal(),
    },
    export=pd.Export("email_addresses", tabular=True),
    recipients=["hosting", "email-gateway"],
)
pd.register(
    EmailConfirmation,
    subject="email_address__user",
    purpose=pd.Purpose.SECURITY,
    fields={
        "email_address": pd.link(),
        "created": pd.personal(pd.Category.SECURITY),
        "sent": pd.personal(pd.Category.SECURITY),
        "key": pd.personal(pd.Category.SECURITY),
    },
    retention=pd.Retention(period=timedelta(days=3), after="created"),
)


def _sessions_of(user):
    # allauth's UserSession is the per-member index of sessions: no scan of the table.
    keys = UserSession.objects.filter(user=user).values("session_key")
    return Session.objects.filter(session_key__in=keys)


pd.register(
    Session,
    subject=None,
    locate=_sessions_of,
    purpose=pd.Purpose.SECURITY,
    fields={
        "session_key": pd.personal(pd.Category.SECURITY),
        "session_data": pd.personal(pd.Category.SECURITY),
        "expire_date": pd.not_personal(),
    },
    retention=pd.Retention(period=timedelta(0), after="expire_date"),
)
pd.register(
    UserSession,
    subject="user",
    purpose=pd.Purpose.SECURITY,
    fields={
        "user": pd.link(),
        "created_at": pd.personal(pd.Category.DEVICE),
        "ip": pd.personal(pd.Category.DEVICE, anonymize=pd.Method.IP_PREFIX),
        "last_seen_at": pd.personal(pd.Category.DEVICE),
        "session_key": pd.personal(pd.Category.SECURITY),
        "user_agent": pd.personal(pd.Category.DEVICE),
        "data": pd.personal(pd.Category.DEVICE),
    },
    export=pd.Export("devices", tabular=True),
)
pd.register(
    Authenticator,
    subject="user",
    purpose=pd.Purpose.SECURITY,
    fields={
        "user": pd.link(),
        "type": pd.personal(pd.Category.SECURITY),
        "data": pd.personal(pd.Category.SECURITY),
        "created_at": pd.personal(pd.Category.SECURITY),
        "last_used_at": pd.personal(pd.Category.SECURITY),
    },
    export=pd.Export("second_factors"),
)

# --- Social accounts ----------------------------------------------------------------------

pd.register(
    SocialAccount,
    subject="user",
    purpose=pd.Purpose.ACCOUNT,
    fields={
        "user": pd.link(),
        "provider": pd.personal(pd.Category.SOCIAL),
        "uid": pd.personal(pd.Category.SOCIAL),
        "last_login": pd.personal(pd.Category.SOCIAL),
        "date_joined": pd.personal(pd.Category.SOCIAL),
        "extra_data": pd.personal(pd.Category.SOCIAL),
    },
    export=pd.Export("social_accounts"),
)
pd.register(
    SocialToken,
    subject="account__user",
    purpose=pd.Purpose.ACCOUNT,
    fields={
        "app": pd.not_personal(),
        "account": pd.link(),
        "token": pd.personal(pd.Category.SECURITY),
        "token_secret": pd.personal(pd.Category.SECURITY),
        "expires_at": pd.personal(pd.Category.SECURITY),
    },
)
pd.register_not_personal(
    SocialApp,
    reason="Configuration of a sign-in provider (its name, client id and our secret).",
)

# --- Staff --------------------------------------------------------------------------------

pd.register(
    LogEntry,
    subject="user",
    purpose=pd.Purpose.STAFF_AUDIT,
    description="Changes a staff member made in the admin.",
    fields={
        "user": pd.link(),
        "action_time": pd.personal(pd.Category.USAGE),
        "content_type": pd.not_personal(),
        "object_id": pd.not_personal(reason="Id of the changed object, not of a person."),
        "object_repr": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
        "action_flag": pd.not_personal(),
        "change_message": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
    },
)
pd.register_not_personal(Permission, reason="Names of permissions, not of people.")
pd.register_not_personal(Group, reason="Names of staff roles, not of people.")
pd.register_not_personal(ContentType, reason="Names of data models.")

# --- Our own ------------------------------------------------------------------------------

pd.register(
    Disclosure,
    subject="member",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description="Disclosures of a member's data to authorities.",
    fields={
        "member": pd.link(),
        "recorded_by": pd.personal(pd.Category.IDENTITY),
        "disclosed_on": pd.not_personal(),
        "authority": pd.not_personal(),
        "legal_ground": pd.not_personal(),
        "request_reference": pd.not_personal(),
        "categories": pd.not_personal(),
        "recorded_at": pd.not_personal(),
    },
    # The register itself must survive: erasure only unlinks the member.
    erasure=pd.Anonymize(),
    retention=pd.Retention(period=timedelta(days=5 * 365), after="recorded_at"),
    export=pd.Export("disclosures", tabular=True),
    recipients=["authorities"],
)

pd.register(
    ConsentRecord,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description="The consent ledger: what you agreed to or refused, when and how.",
    fields={
        "user": pd.link(),
        "visitor_id": pd.personal(pd.Category.DEVICE),
        "purpose": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "granted": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "policy_version": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "source": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "overrides_signal": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "created_at": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "ip_prefix": pd.personal(pd.Category.DEVICE),
        "user_agent_family": pd.personal(pd.Category.DEVICE),
    },
    export=pd.Export("consents", tabular=True),
)
pd.register(
    ConsentState,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description="Your current consent choices.",
    fields={
        "user": pd.link(),
        "visitor_id": pd.personal(pd.Category.DEVICE),
        "purpose": pd.personal(pd.Category.PREFERENCES),
        "granted": pd.personal(pd.Category.PREFERENCES),
        "source": pd.personal(pd.Category.PREFERENCES),
        "overrides_signal": pd.personal(pd.Category.PREFERENCES),
        "updated_at": pd.personal(pd.Category.PREFERENCES),
    },
)
pd.register_not_personal(ConsentPurpose, reason="Descriptions of purposes, edited by staff.")
