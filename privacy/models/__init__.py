"""Models of the privacy app, one module per capability."""

from privacy.models.consent import ConsentPurpose, ConsentRecord, ConsentState
from privacy.models.disclosure import Disclosure
from privacy.models.marketing import (
    Campaign,
    CampaignDelivery,
    Channel,
    EmailOptInRequest,
    SuppressionEntry,
)
from privacy.models.policies import PolicyAcceptance, PolicyNotification, PolicyVersion
from privacy.models.tracking import TrackingEvent

__all__ = [
    "Campaign",
    "CampaignDelivery",
    "Channel",
    "ConsentPurpose",
    "ConsentRecord",
    "ConsentState",
    "Disclosure",
    "EmailOptInRequest",
    "PolicyAcceptance",
    "PolicyNotification",
    "PolicyVersion",
    "SuppressionEntry",
    "TrackingEvent",
]
