"""Models of the privacy app, one module per capability."""

from privacy.models.audit import AuditChainHead, AuditEntry
from privacy.models.breaches import BreachAffectedMember, DataBreach
from privacy.models.consent import ConsentPurpose, ConsentRecord, ConsentState
from privacy.models.disclosure import Disclosure
from privacy.models.erasure import ErasureJob, ErasureJournal
from privacy.models.exports import DataExport
from privacy.models.marketing import (
    Campaign,
    CampaignDelivery,
    Channel,
    EmailOptInRequest,
    SuppressionEntry,
)
from privacy.models.policies import PolicyAcceptance, PolicyNotification, PolicyVersion
from privacy.models.requests import (
    PrivacyRequest,
    ProcessingRestriction,
    RequestEvent,
    VerificationCode,
)
from privacy.models.retention import (
    DormantNotice,
    RetentionHold,
    RetentionOverride,
    RetentionRun,
)
from privacy.models.tracking import TrackingEvent

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "BreachAffectedMember",
    "Campaign",
    "CampaignDelivery",
    "Channel",
    "ConsentPurpose",
    "ConsentRecord",
    "ConsentState",
    "DataBreach",
    "DataExport",
    "Disclosure",
    "DormantNotice",
    "EmailOptInRequest",
    "ErasureJob",
    "ErasureJournal",
    "PolicyAcceptance",
    "PolicyNotification",
    "PolicyVersion",
    "PrivacyRequest",
    "ProcessingRestriction",
    "RequestEvent",
    "RetentionHold",
    "RetentionOverride",
    "RetentionRun",
    "SuppressionEntry",
    "TrackingEvent",
    "VerificationCode",
]
