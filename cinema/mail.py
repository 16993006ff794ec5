"""Outgoing email goes through a database outbox and a Celery task.

``TaskEmailBackend`` is Django's ``EMAIL_BACKEND``: it stores each message as an
``OutboundEmail`` row and enqueues its delivery once the surrounding transaction commits,
so no request waits on an SMTP server and a message about a change that rolled back is
never sent. The worker delivers with ``EMAIL_DELIVERY_BACKEND`` and deletes the row; a
sweeper re-enqueues rows whose task message was lost.
"""

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction


def serialize_message(message: EmailMessage) -> dict:
    """Return a JSON-safe dict from which :func:`deserialize_message` rebuilds ``message``."""
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {k: str(v) for k, v in message.extra_headers.items()},
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }


def deserialize_message(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


def delivery_connection():
    return get_connection(settings.EMAIL_DELIVERY_BACKEND)


class TaskEmailBackend(BaseEmailBackend):
    """Queue messages in the outbox; a worker delivers them after commit."""

    def send_messages(self, email_messages):
        from cinema.models import OutboundEmail
        from cinema.tasks import deliver_email

        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            outbound = OutboundEmail.objects.create(payload=serialize_message(message))
            transaction.on_commit(lambda pk=outbound.pk: deliver_email.delay(pk))
            count += 1
        return count


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template (a subject, a text body, a README) without HTML escaping.

    ``render_to_string`` escapes for HTML: "child's" would read "child&#x27;s" in a text
    email. Values are inserted as they are here; HTML bodies stay escaped.
    """
    from django.template import Context
    from django.template.loader import get_template

    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_templated_email(name: str, context: dict, *, language: str = "") -> tuple[str, str, str]:
    """Return (subject, text, html) of ``templates/emails/<name>_*`` in ``language``.

    ``context`` gets ``site_name``, ``site_url`` and ``language``; the subject is one line.
    """
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
            "language": translation.get_language(),
            **context,
        }
        subject = render_text(f"emails/{name}_subject.txt", context)
        text = render_text(f"emails/{name}_message.txt", context)
        html = render_to_string(f"emails/{name}_message.html", context)
    return f"[{settings.SITE_NAME}] " + " ".join(subject.split()), text, html


def send_templated_email(
    name: str, *, to: str, context: dict, language: str = "", headers: dict | None = None
) -> None:
    """Queue one service email rendered from ``templates/emails/<name>_*`` to ``to``."""
    if not to:
        return
    subject, text, html = render_templated_email(name, context, language=language)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()
