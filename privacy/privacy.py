"""Personal-data declarations of Django's and django-allauth's models.

Third-party models hold personal data too (sessions, email addresses, social accounts,
second factors, staff action logs); the privacy machinery must know them like our own.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils.translation import gettext_lazy as _

from privacy import registry as pd
from privacy.models import ConsentPurpose, ConsentRecord, ConsentState, Disclosure
from privacy.models import audit as audit_models
from privacy.models import breaches as breach_models
from privacy.models import exports as export_models
from privacy.models import marketing as marketing_models
from privacy.models import policies as policy_models
from privacy.models import requests as request_models
from privacy.models import tracking as tracking_models
from privacy.services import suppression as suppression_service

# --- Sign-in and sessions -----------------------------------------------------------------

pd.register(
    EmailAddress,
    subject="user",
    purpose=pd.Purpose.ACCOUNT,
    description=_(
        "The addresses you sign in with and we write to, and whether you confirmed them."
    ),
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
    description=_("Confirmation links we sent to check that an address is yours."),
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
    description=_(
        "The key that keeps you signed in on a browser until you sign out or it expires."
    ),
    fields={
        "session_key": pd.personal(pd.Category.SECURITY),
        "session_data": pd.personal(pd.Category.SECURITY),
        "expire_date": pd.not_personal(),
    },
    retention=pd.Retention(period=timedelta(0), after="expire_date"),
)
# allauth leaves UserSession and Authenticator (and most of their fields) without
# translatable names: the declarations name them for members instead.
pd.register(
    UserSession,
    subject="user",
    purpose=pd.Purpose.SECURITY,
    description=_("The browsers and devices signed in to your account, and from where."),
    verbose_name_plural=_("Signed-in sessions"),
    fields={
        "user": pd.link(),
        "created_at": pd.personal(pd.Category.DEVICE, verbose_name=_("Signed in")),
        "ip": pd.personal(
            pd.Category.DEVICE, anonymize=pd.Method.IP_PREFIX, verbose_name=_("IP address")
        ),
        "last_seen_at": pd.personal(pd.Category.DEVICE, verbose_name=_("Last seen")),
        "session_key": pd.personal(pd.Category.SECURITY),
        "user_agent": pd.personal(pd.Category.DEVICE, verbose_name=_("Browser")),
        "data": pd.personal(pd.Category.DEVICE, verbose_name=_("Session details")),
    },
    # A security log of sign-ins: a year after the device was last seen it proves nothing
    # more (docs/retention.md). Its address is cut to the network after 30 days
    # (retention rule "session-ip").
    retention=pd.Retention(period=timedelta(days=365), after="last_seen_at"),
    export=pd.Export("devices", tabular=True),
)
pd.register(
    Authenticator,
    subject="user",
    purpose=pd.Purpose.SECURITY,
    description=_("Second factors you set up: authenticator apps, security keys, recovery codes."),
    verbose_name_plural=_("Second factors"),
    fields={
        "user": pd.link(),
        "type": pd.personal(pd.Category.SECURITY, verbose_name=_("Kind")),
        "data": pd.personal(pd.Category.SECURITY, verbose_name=_("Secret and settings")),
        "created_at": pd.personal(pd.Category.SECURITY, verbose_name=_("Added")),
        "last_used_at": pd.personal(pd.Category.SECURITY, verbose_name=_("Last used")),
    },
    export=pd.Export("second_factors"),
)

# --- Social accounts ----------------------------------------------------------------------

pd.register(
    SocialAccount,
    subject="user",
    purpose=pd.Purpose.ACCOUNT,
    description=_(
        "Accounts at Google, Facebook, X or Apple that you sign in with, and what they told us."
    ),
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
    description=_("Keys those providers gave us to sign you in; we never post on your behalf."),
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
    description=_("Changes a staff member made in the admin."),
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
    description=_("Disclosures of a member's data to authorities."),
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
    description=_("The consent ledger: what you agreed to or refused, when and how."),
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
    description=_("Your current consent choices."),
    fields={
        "user": pd.link(),
        "visitor_id": pd.personal(pd.Category.DEVICE, verbose_name=_("Browser identifier")),
        "purpose": pd.personal(pd.Category.PREFERENCES, verbose_name=_("Purpose")),
        "granted": pd.personal(pd.Category.PREFERENCES, verbose_name=_("Your answer")),
        "source": pd.personal(pd.Category.PREFERENCES, verbose_name=_("Where you answered")),
        "overrides_signal": pd.personal(
            pd.Category.PREFERENCES, verbose_name=_("Overrides your browser's privacy signal")
        ),
        "updated_at": pd.personal(pd.Category.PREFERENCES, verbose_name=_("Last changed")),
    },
)
pd.register_not_personal(ConsentPurpose, reason="Descriptions of purposes, edited by staff.")

# --- Policies -----------------------------------------------------------------------------

pd.register(
    policy_models.PolicyVersion,
    subject="created_by",
    purpose=pd.Purpose.STAFF_AUDIT,
    description=_("Which staff member drafted a version of a published policy."),
    fields={
        "created_by": pd.link(),
        "document": pd.not_personal(),
        "language": pd.not_personal(),
        "version": pd.not_personal(),
        "title": pd.not_personal(reason="Policy text written for the public."),
        "body": pd.not_personal(reason="Policy text written for the public."),
        "summary_of_changes": pd.not_personal(reason="Policy text written for the public."),
        "is_material": pd.not_personal(),
        "effective_from": pd.not_personal(),
        "published_at": pd.not_personal(),
        "created_at": pd.not_personal(),
    },
    # The policy texts must survive the author's erasure: only the link to them goes.
    erasure=pd.Anonymize(),
)
pd.register(
    policy_models.PolicyAcceptance,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("Which policy versions you accepted, when and where."),
    fields={
        "user": pd.link(),
        "policy_version": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "accepted_at": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "source": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
    },
    export=pd.Export("policy_acceptances", tabular=True),
)
pd.register_not_personal(
    policy_models.PolicyNotification,
    reason="Progress of a bulk email: a policy version and a member-id checkpoint.",
)

# --- Marketing ----------------------------------------------------------------------------

MARKETING = pd.PurposeSpec(
    "marketing", _("Sending the marketing you asked for, and no more"), pd.LegalBasis.CONSENT
)

pd.register(
    marketing_models.SuppressionEntry,
    subject=None,
    # No link to the account (it must outlive it): a member's entries are found by hashing
    # their current email address and phone number.
    locate=suppression_service.entries_of,
    purpose=MARKETING,
    description=_("Addresses that asked never to receive marketing again, as salted hashes."),
    fields={
        "channel": pd.not_personal(),
        "value_hash": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.KEEP),
        "reason": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "created_at": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
    },
    # Suppression must survive erasure, or the erased person would be mailed again the
    # next time someone imports or types their address: erasure keeps every field (the hash
    # names nobody without the secret salt) and the erasure engine adds the member's email
    # and phone here (reason "erasure"). No LegalHold: it is not a law that keeps it, but
    # the person's own objection to marketing.
    erasure=pd.Anonymize(),
    export=pd.Export("marketing_suppression"),
)
pd.register(
    marketing_models.EmailOptInRequest,
    subject="user",
    purpose=MARKETING,
    description=_("A request for marketing email waiting for your confirmation link."),
    fields={
        "user": pd.link(),
        "email_hash": pd.personal(pd.Category.CONTACT),
        "requested_at": pd.personal(pd.Category.PREFERENCES),
    },
    retention=pd.Retention(period=timedelta(days=30), after="requested_at"),
    export=pd.Export("marketing_optin_pending"),
)
pd.register(
    marketing_models.Campaign,
    subject="created_by",
    purpose=pd.Purpose.STAFF_AUDIT,
    description=_("Which staff member wrote a marketing campaign."),
    fields={
        "created_by": pd.link(),
        "channel": pd.not_personal(),
        "subject": pd.not_personal(reason="Marketing text written for everyone."),
        "body": pd.not_personal(reason="Marketing text written for everyone."),
        "status": pd.not_personal(),
        "sent_count": pd.not_personal(),
        "last_member_id": pd.not_personal(reason="A position in the send loop."),
        "created_at": pd.not_personal(),
        "updated_at": pd.not_personal(),
        "sent_at": pd.not_personal(),
    },
    # The campaign must survive its author's erasure: only the link to them goes.
    erasure=pd.Anonymize(),
)
pd.register(
    marketing_models.CampaignDelivery,
    subject="user",
    purpose=MARKETING,
    description=_("Which marketing messages you received and when."),
    fields={
        "campaign": pd.not_personal(),
        "user": pd.link(),
        "sent_at": pd.personal(pd.Category.USAGE),
    },
    retention=pd.Retention(period=timedelta(days=2 * 365), after="sent_at"),
    export=pd.Export("marketing_messages", tabular=True),
    recipients=["email-gateway", "sms-gateway"],
)

# --- Usage tracking -----------------------------------------------------------------------

ANALYTICS = pd.PurposeSpec(
    "analytics", _("Counting how the service is used, to improve it"), pd.LegalBasis.CONSENT
)

pd.register(
    tracking_models.TrackingEvent,
    subject="user",
    purpose=ANALYTICS,
    description=_(
        "Pages and films you looked at, searches, time on page and links followed, recorded "
        "only while you allow analytics, with your IP address shortened to its network."
    ),
    fields={
        "event_id": pd.not_personal(reason="A random id that makes recording idempotent."),
        "kind": pd.personal(pd.Category.USAGE),
        "user": pd.link(),
        "visitor_id": pd.personal(pd.Category.DEVICE),
        "path": pd.personal(pd.Category.USAGE),
        "search_query": pd.personal(pd.Category.USAGE),
        "film": pd.personal(pd.Category.USAGE),
        "referrer": pd.personal(pd.Category.USAGE),
        "target_url": pd.personal(pd.Category.USAGE),
        "time_on_page_ms": pd.personal(pd.Category.USAGE),
        "device_class": pd.personal(pd.Category.DEVICE),
        "browser_family": pd.personal(pd.Category.DEVICE),
        "ip_prefix": pd.personal(pd.Category.DEVICE),
        "city": pd.personal(pd.Category.LOCATION),
        "created_at": pd.personal(pd.Category.USAGE),
    },
    erasure=pd.Delete(),
    retention=pd.Retention(period=settings.PRIVACY_TRACKING_RETENTION, after="created_at"),
    export=pd.Export("activity", tabular=True),
    recipients=["hosting"],
)

# --- Data-subject requests ----------------------------------------------------------------

REQUEST_RECORDS_PERIOD = timedelta(days=3 * 365)

pd.register(
    request_models.PrivacyRequest,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("Your privacy requests: what you asked for, when, and how we answered."),
    fields={
        "public_id": pd.not_personal(reason="A random id for the requester's status link."),
        "type": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.KEEP),
        "status": pd.not_personal(),
        "user": pd.link(),
        "email": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.REDACT),
        "name": pd.personal(pd.Category.IDENTITY, anonymize=pd.Method.REDACT),
        "description": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
        "details": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.NULL),
        "self_service": pd.not_personal(),
        "channel": pd.not_personal(),
        "language": pd.personal(pd.Category.PREFERENCES, anonymize=pd.Method.KEEP),
        "received_at": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.KEEP),
        "due_at": pd.not_personal(),
        "extended_at": pd.not_personal(),
        "extension_reason": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
        "verification": pd.not_personal(),
        "verified_at": pd.not_personal(),
        "assignee": pd.not_personal(reason="The staff member handling it, not the requester."),
        "closed_at": pd.not_personal(),
        "resolution": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
        "updated_at": pd.not_personal(),
    },
    # Proof that a right was answered in time, and the yearly transparency figures, need
    # the request's type and dates: erasure removes who asked and what they wrote.
    erasure=pd.LegalHold(
        law=_("data-protection law: proof that requests were answered"),
        period=REQUEST_RECORDS_PERIOD,
    ),
    retention=pd.Retention(
        period=REQUEST_RECORDS_PERIOD, after="received_at", action=pd.Action.ANONYMIZE
    ),
    export=pd.Export("privacy_requests", tabular=True),
)
pd.register(
    request_models.RequestEvent,
    subject="request__user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("The steps each of your privacy requests went through."),
    fields={
        "request": pd.link(anonymize=pd.Method.KEEP),
        "at": pd.not_personal(),
        "actor": pd.not_personal(reason="The staff member who acted, not the requester."),
        "action": pd.not_personal(),
        "note": pd.personal(
            pd.Category.CONTENT, anonymize=pd.Method.REDACT, verbose_name=_("Note")
        ),
    },
    erasure=pd.Anonymize(),
    export=pd.Export("privacy_request_steps", tabular=True),
)


def _codes_of(user):
    return request_models.VerificationCode.objects.filter(request__user=user)


pd.register(
    request_models.VerificationCode,
    subject=None,
    locate=_codes_of,
    purpose=pd.Purpose.SECURITY,
    description=_("One-time codes that confirm a requester owns an email address."),
    fields={
        "request": pd.not_personal(),
        "code_hash": pd.personal(pd.Category.SECURITY, verbose_name=_("Code, as a hash")),
        "created_at": pd.not_personal(),
        "expires_at": pd.not_personal(verbose_name=_("Expiry")),
        "attempts": pd.not_personal(),
        "used_at": pd.not_personal(),
    },
    retention=pd.Retention(period=timedelta(days=1), after="expires_at"),
)
pd.register(
    request_models.ProcessingRestriction,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("Whether you asked us to stop all non-essential processing, and since when."),
    fields={
        "user": pd.link(),
        "since": pd.personal(pd.Category.PREFERENCES, verbose_name=_("Since")),
        "request": pd.not_personal(),
    },
    export=pd.Export("processing_restriction"),
)
pd.register(
    export_models.DataExport,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("Copies of your data you asked for, and when you downloaded them."),
    fields={
        "public_id": pd.not_personal(reason="A random id in the download link."),
        "user": pd.link(),
        "request": pd.not_personal(),
        "status": pd.not_personal(),
        "progress": pd.not_personal(),
        "rows_written": pd.not_personal(),
        "file_name": pd.personal(pd.Category.CONTENT, verbose_name=_("File name")),
        "size_bytes": pd.not_personal(),
        "sha256": pd.personal(pd.Category.CONTENT, verbose_name=_("Checksum")),
        "attempts": pd.not_personal(),
        "error": pd.not_personal(reason="Names the failing step; holds no data."),
        "created_at": pd.personal(pd.Category.USAGE, verbose_name=_("Requested")),
        "started_at": pd.not_personal(),
        "finished_at": pd.not_personal(),
        "expires_at": pd.not_personal(),
        "downloaded_at": pd.personal(pd.Category.USAGE, verbose_name=_("Downloaded")),
    },
    retention=pd.Retention(period=timedelta(days=30), after="created_at"),
)

# --- Audit log and breach register --------------------------------------------------------


def _audit_entries_of(user):
    return audit_models.AuditEntry.objects.filter(subject_id=user.pk)


pd.register(
    audit_models.AuditEntry,
    subject=None,
    locate=_audit_entries_of,
    purpose=pd.Purpose.STAFF_AUDIT,
    description=_("Who did what with whose data, by account number only."),
    fields={
        "id": pd.not_personal(),
        "at": pd.not_personal(),
        "actor_id": pd.personal(pd.Category.SECURITY, anonymize=pd.Method.KEEP),
        "action": pd.not_personal(),
        "subject_id": pd.personal(pd.Category.SECURITY, anonymize=pd.Method.KEEP),
        "object_type": pd.not_personal(),
        "object_id": pd.not_personal(reason="Id of a record, never a name or an address."),
        "details": pd.not_personal(reason="Ids and counts only, by construction."),
        "prev_hash": pd.not_personal(),
        "hash": pd.not_personal(),
    },
    # Append-only and hash-chained: rows cannot change without breaking the proof. They
    # hold account numbers only, which name no one once the account is erased.
    erasure=pd.LegalHold(
        law=_("data-protection law: accountability for processing"),
        period=timedelta(days=6 * 365),
    ),
)
pd.register_not_personal(audit_models.AuditChainHead, reason="The last hash of the audit chain.")
pd.register(
    breach_models.DataBreach,
    subject="recorded_by",
    purpose=pd.Purpose.STAFF_AUDIT,
    description=_("Which staff member recorded a data breach."),
    fields={
        "title": pd.not_personal(reason="Written by staff about an incident, not a person."),
        "description": pd.not_personal(reason="Staff are told to write no personal data."),
        "categories": pd.not_personal(),
        "risk": pd.not_personal(),
        "status": pd.not_personal(),
        "discovered_at": pd.not_personal(),
        "recorded_at": pd.not_personal(),
        "recorded_by": pd.link(),
        "notification_due_at": pd.not_personal(),
        "authority_notified_at": pd.not_personal(),
        "members_notified_at": pd.not_personal(),
        "reports": pd.not_personal(),
        "affected_members": pd.not_personal(reason="Declared on BreachAffectedMember."),
    },
    # The register must outlive the staff member who wrote an entry.
    erasure=pd.Anonymize(),
)
pd.register(
    breach_models.BreachAffectedMember,
    subject="user",
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("Data breaches that affected you, and when we told you."),
    fields={
        "breach": pd.not_personal(),
        "user": pd.link(),
        "notified_at": pd.personal(pd.Category.CONTENT, verbose_name=_("When we told you")),
    },
    export=pd.Export("data_breaches", tabular=True),
)

# --- Account erasure ----------------------------------------------------------------------

from privacy.models import erasure as erasure_models  # noqa: E402


def _erasure_jobs_of(user):
    return erasure_models.ErasureJob.objects.filter(user_id=user.pk)


pd.register(
    erasure_models.ErasureJob,
    subject=None,
    # Not a foreign key: the account row is the last thing the job deletes.
    locate=_erasure_jobs_of,
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_("The erasure of your account: when it was asked for and what it did."),
    fields={
        "tombstone": pd.not_personal(reason="A random id; kept records point at it."),
        "user_id": pd.personal(pd.Category.IDENTITY, anonymize=pd.Method.KEEP),
        "source": pd.not_personal(),
        "status": pd.not_personal(),
        "reason": pd.not_personal(reason="Staff write why, without names or addresses."),
        "request": pd.not_personal(),
        "requested_at": pd.not_personal(),
        "due_at": pd.not_personal(),
        "deadline": pd.not_personal(),
        "started_at": pd.not_personal(),
        "heartbeat_at": pd.not_personal(),
        "finished_at": pd.not_personal(),
        "cancelled_at": pd.not_personal(),
        "attempts": pd.not_personal(),
        "phase": pd.not_personal(),
        "checkpoint_model": pd.not_personal(),
        "checkpoint_pk": pd.not_personal(reason="Primary key of a processed row."),
        "checkpoint_rows": pd.not_personal(),
        "email_hashes": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.KEEP),
        "phone_hash": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.KEEP),
        "state": pd.not_personal(reason="Random storage names of files to remove, and counts."),
        "report": pd.not_personal(reason="Model names, counts and laws only, by construction."),
        "error": pd.not_personal(reason="Names the failing step; holds no data."),
    },
    # The job is the proof that the erasure was done, and its record of what was kept.
    # It is the erasure's own record, so erasure leaves it as it is (every field KEEP).
    erasure=pd.LegalHold(
        law=_("data-protection law: proof that requests were answered"),
        period=REQUEST_RECORDS_PERIOD,
    ),
    retention=pd.Retention(period=REQUEST_RECORDS_PERIOD, after="requested_at"),
)


def _journal_entries_of(user):
    from privacy.services import erasure as erasure_service

    return erasure_service.journal_entries_of(user)


pd.register(
    erasure_models.ErasureJournal,
    subject=None,
    # No link to the account (it outlives it): entries are found by hashing the member's
    # current addresses, as on the suppression list.
    locate=_journal_entries_of,
    purpose=pd.Purpose.PRIVACY_RIGHTS,
    description=_(
        "Completed erasures, as salted hashes only, so that a restored backup cannot bring "
        "an erased account back."
    ),
    fields={
        "tombstone": pd.not_personal(reason="A random id, not derived from the account."),
        "email_hash": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.KEEP),
        "phone_hash": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.KEEP),
        "other_hashes": pd.personal(pd.Category.CONTACT, anonymize=pd.Method.KEEP),
        "erased_at": pd.not_personal(),
    },
    # Written by the erasure itself; kept exactly as long as a backup taken before the
    # erasure may still be restored (PRIVACY_BACKUP_RETENTION), then deleted.
    erasure=pd.Anonymize(),
    retention=pd.Retention(period=settings.PRIVACY_BACKUP_RETENTION, after="erased_at"),
)

# --- Retention ----------------------------------------------------------------------------

from privacy.models import retention as retention_models  # noqa: E402

LEGAL_CLAIMS = pd.PurposeSpec(
    "legal_claims",
    _("Keeping what a dispute or legal claim about your account needs"),
    pd.LegalBasis.LEGAL_OBLIGATION,
)

pd.register(
    retention_models.RetentionOverride,
    subject="changed_by",
    purpose=pd.Purpose.STAFF_AUDIT,
    description=_("Which staff member shortened a retention period, and why."),
    fields={
        "rule": pd.not_personal(),
        "period": pd.not_personal(),
        "reason": pd.not_personal(reason="Why a period was shortened: about a rule, not a person."),
        "changed_by": pd.link(),
        "changed_at": pd.not_personal(),
    },
    # The deployment's rule must survive its author's erasure: only the link goes.
    erasure=pd.Anonymize(),
)
pd.register(
    retention_models.RetentionHold,
    subject="user",
    purpose=LEGAL_CLAIMS,
    description=_("Holds that keep your data from automatic deletion during a dispute."),
    fields={
        "user": pd.link(),
        "reason": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
        "reference": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.REDACT),
        "placed_by": pd.not_personal(reason="The staff member who placed it, not the member."),
        "placed_at": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.KEEP),
        "until": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.KEEP),
        "lifted_by": pd.not_personal(reason="The staff member who lifted it, not the member."),
        "lifted_at": pd.personal(pd.Category.CONTENT, anonymize=pd.Method.KEEP),
    },
    # A lifted hold is history: kept a year to answer "why was my data kept?", then gone.
    # Active holds have no lifted_at and never expire.
    retention=pd.Retention(period=timedelta(days=365), after="lifted_at"),
    export=pd.Export("legal_holds", tabular=True),
)
pd.register_not_personal(
    retention_models.RetentionRun,
    reason="Counts, dates and primary-key positions of a purge; errors by their kind only.",
)
pd.register(
    retention_models.DormantNotice,
    subject="user",
    purpose=pd.Purpose.ACCOUNT,
    description=_("The notice we sent when you had not signed in for a long time."),
    fields={
        "user": pd.link(),
        "inactive_since": pd.personal(pd.Category.USAGE),
        "sent_at": pd.personal(pd.Category.USAGE),
        "erase_after": pd.personal(pd.Category.USAGE),
        "erasure_requested_at": pd.personal(pd.Category.USAGE),
    },
    export=pd.Export("dormant_account_notice"),
)
