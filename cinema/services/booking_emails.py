"""Service emails about a booking: confirmation, cancellation, reminder.

Each kind is three templates in ``templates/emails/``: ``<kind>_subject.txt``,
``<kind>_message.txt`` and ``<kind>_message.html``, rendered in the member's preferred
language. They go through Django's mail API, i.e. the project's outbox backend, so a
message sent inside a transaction leaves only if that transaction commits. These are
service messages: a marketing opt-out does not stop them.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from cinema.mail import render_templated_email
from cinema.models import Booking

CONFIRMATION = "booking_confirmation"
CANCELLATION = "booking_cancelled"
REMINDER = "showtime_reminder"
KINDS = (CONFIRMATION, CANCELLATION, REMINDER)


def language_for(user) -> str:
    return getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE


def render_booking_email(booking: Booking, *, kind: str, because: str = "") -> tuple[str, str, str]:
    """Return (subject, text, html) of ``kind`` for ``booking``, in the member's language.

    ``because`` says why a booking was cancelled when the member did not cancel it
    themselves (``"account_deletion"``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown booking email {kind!r}")
    user = booking.user
    showtime = booking.showtime
    context = {
        "booking": booking,
        "member": user,
        "film": showtime.film,
        "cinema": showtime.cinema,
        "starts_at": timezone.localtime(showtime.starts_at),
        "seats": ", ".join(booking.seats),
        "because": because,
    }
    return render_templated_email(kind, context, language=language_for(user))


def send_booking_email(booking: Booking, *, kind: str, because: str = "") -> None:
    """Queue one email of ``kind`` about ``booking`` to its member (none if erased)."""
    user = booking.user
    if user is None or not user.email:
        return
    subject, text, html = render_booking_email(booking, kind=kind, because=because)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()
