"""Signed-in devices: a member ends one of their other sessions."""

import logging

from allauth.usersessions.internal.flows.sessions import end_sessions
from allauth.usersessions.models import UserSession
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def end_session(user, *, session_id: int, request: HttpRequest) -> bool:
    """Sign ``user`` out of their session ``session_id`` (its Django session is deleted).

    Return False when no such session of theirs exists. Ending the current session signs
    the member out here too.
    """
    session = UserSession.objects.filter(user_id=user.pk, pk=session_id).first()
    if session is None:
        return False
    end_sessions(request, [session])
    logger.info("accounts.session_ended", extra={"user_id": user.pk})
    return True
