"""Personal-data declarations of the cinema app."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cinema.models import Booking, Cinema, Film, Genre, MemberPreferences, OutboundEmail, Showtime
from privacy import registry as pd

BOOKING_RECORDS_PERIOD = timedelta(days=5 * 365)


def _outbound_of(user):
    # Delivered messages are deleted at once; only queued or failed ones remain. The
    # database narrows them to payloads mentioning the address (a text match that works on
    # PostgreSQL and SQLite alike); the recipients are then compared exactly.
    if not user.email:
        return OutboundEmail.objects.none()
    address = user.email.lower()
    ids = [
        pk
        for pk, payload in OutboundEmail.objects.filter(payload__icontains=address).values_list(
            "pk", "payload"
        )
        if address in [a.lower() for a in payload.get("to", [])]
    ]
    return OutboundEmail.objects.filter(pk__in=ids)


pd.register(
    OutboundEmail,
    subject=None,
    locate=_outbound_of,
    purpose=pd.Purpose.SERVICE_MESSAGES,
    description=_("Email waiting to be delivered."),
    fields={
        "payload": pd.personal(pd.Category.CONTACT),
        "status": pd.not_personal(),
        "attempts": pd.not_personal(),
        "created_at": pd.not_personal(),
        "updated_at": pd.not_personal(),
    },
    retention=pd.Retention(period=timedelta(days=30), after="created_at"),
    recipients=["email-gateway"],
)

pd.register(
    Booking,
    subject="user",
    purpose=pd.Purpose.BOOKING,
    description=_("Your tickets: showing, seats, price and payment reference."),
    fields={
        "user": pd.link(),
        "tombstone": pd.not_personal(
            reason="Random id given at erasure; it links kept records to no person."
        ),
        "showtime": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "code": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "seat_count": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "seats": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "unit_price": pd.personal(pd.Category.FINANCIAL, anonymize=pd.Method.KEEP),
        "total_price": pd.personal(pd.Category.FINANCIAL, anonymize=pd.Method.KEEP),
        "currency": pd.not_personal(),
        "status": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "payment_provider": pd.not_personal(),
        "payment_reference": pd.personal(pd.Category.FINANCIAL, anonymize=pd.Method.KEEP),
        "card_last4": pd.personal(pd.Category.FINANCIAL),
        "created_at": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "updated_at": pd.not_personal(),
        "cancelled_at": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
        "reminder_sent_at": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
    },
    erasure=pd.LegalHold(
        law=getattr(settings, "PRIVACY_TAX_RECORDS_LAW", _("accounting and tax law")),
        period=BOOKING_RECORDS_PERIOD,
    ),
    retention=pd.Retention(
        period=BOOKING_RECORDS_PERIOD,
        after="created_at",
        action=pd.Action.ANONYMIZE,
        legal_minimum=BOOKING_RECORDS_PERIOD,
    ),
    export=pd.Export("bookings", tabular=True),
    recipients=["partner-cinemas", "payment-provider", "hosting"],
)

pd.register(
    MemberPreferences,
    subject="user",
    purpose=pd.Purpose.PREFERENCES,
    description=_("Your favourite cinema and genres."),
    fields={
        "user": pd.link(),
        "favourite_cinema": pd.personal(pd.Category.PREFERENCES),
        "favourite_genres": pd.personal(pd.Category.PREFERENCES),
        "updated_at": pd.personal(pd.Category.PREFERENCES),
    },
    export=pd.Export("preferences"),
)

pd.register_not_personal(
    Cinema, reason="A cinema's public business name, address and position; no person's."
)
pd.register_not_personal(Genre, reason="Names of film genres.")
pd.register_not_personal(Film, reason="The public film catalogue.")
pd.register_not_personal(Showtime, reason="The public programme.")
