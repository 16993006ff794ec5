"""Shared arrangements of the marketing tests."""

from django.core.mail.backends.base import BaseEmailBackend

from cinema.mail import TaskEmailBackend
from privacy.models import Campaign
from privacy.services import consent
from tests.factories import make_member


def make_subscriber(*, email_marketing=True, sms_marketing=False, **fields):
    """A member who agreed to marketing on the given channels (in the consent ledger)."""
    member = make_member(**fields)
    choices = {}
    if email_marketing:
        choices[consent.MARKETING_EMAIL] = True
    if sms_marketing:
        choices[consent.MARKETING_SMS] = True
    if choices:
        consent.record_choices(consent.Subject.of(member), choices, source=consent.Source.SETTINGS)
    return member


def make_campaign(*, channel="email", subject="Autumn premieres", body="Three new films.", **f):
    return Campaign.objects.create(channel=channel, subject=subject, body=body, **f)


class BrokenForBoomBackend(BaseEmailBackend):
    """The outbox, except that queuing a message to a "boom" address fails (a crash)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if any("boom" in address for address in message.to):
                raise ConnectionError("disk full while queuing")
        return TaskEmailBackend().send_messages(email_messages)
