"""Who receives personal data: processors and third parties (M7, K5, G1, G5, L10).

Registry entries name the recipients of their data by key; the system check refuses an
unknown key, and the public "Who we share with" page lists this register. Countries of
deployment-specific processors (hosting, email) come from settings.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Recipient:
    key: str
    name: Promise | str
    category: Promise | str
    purpose: Promise | str
    country_setting: str  # settings name holding the ISO country code(s)
    default_country: str
    safeguard: Promise | str = ""  # for transfers abroad
    processor: bool = True  # acts on our instructions (vs. an independent third party)

    @property
    def countries(self) -> list[str]:
        value = getattr(settings, self.country_setting, self.default_country)
        return [c.strip() for c in value.split(",") if c.strip()]


RECIPIENTS: dict[str, Recipient] = {
    r.key: r
    for r in [
        Recipient(
            key="hosting",
            name=_("Hosting provider"),
            category=_("Hosting and infrastructure"),
            purpose=_("Stores and runs the service on our instructions."),
            country_setting="PRIVACY_HOSTING_COUNTRY",
            default_country="KZ",
        ),
        Recipient(
            key="email-gateway",
            name=_("Email delivery service"),
            category=_("Email and SMS gateways"),
            purpose=_("Delivers the emails we send you."),
            country_setting="PRIVACY_EMAIL_GATEWAY_COUNTRY",
            default_country="KZ",
            safeguard=_("Standard contractual clauses where the country differs from ours."),
        ),
        Recipient(
            key="sms-gateway",
            name=_("SMS gateway"),
            category=_("Email and SMS gateways"),
            purpose=_("Delivers text messages you asked for, and your STOP replies."),
            country_setting="PRIVACY_SMS_GATEWAY_COUNTRY",
            default_country="KZ",
        ),
        Recipient(
            key="payment-provider",
            name=_("Payment provider"),
            category=_("Payment processors"),
            purpose=_(
                "Takes card payments and refunds. Card numbers go to the provider only; we "
                "keep its reference and, when given, the last four digits."
            ),
            country_setting="PRIVACY_PAYMENT_PROVIDER_COUNTRY",
            default_country="KZ",
        ),
        Recipient(
            key="partner-cinemas",
            name=_("Partner cinemas"),
            category=_("Partner cinemas"),
            purpose=_(
                "The cinema that shows your film receives the booking (code, seats, name on "
                "the booking) only to admit you to that showing. Nothing is sold."
            ),
            country_setting="PRIVACY_PARTNER_CINEMAS_COUNTRY",
            default_country="KZ",
            processor=False,
        ),
        Recipient(
            key="authorities",
            name=_("Public authorities"),
            category=_("Authorities, when the law requires it"),
            purpose=_(
                "Only on a legal demand; every disclosure is recorded with its date, authority "
                "and legal ground."
            ),
            country_setting="PRIVACY_AUTHORITIES_COUNTRY",
            default_country="KZ",
            processor=False,
        ),
    ]
}


def embedded_sdks() -> list[dict]:
    """Third-party scripts and SDKs embedded in our pages (none unless configured)."""
    return list(getattr(settings, "PRIVACY_EMBEDDED_SDKS", []))
