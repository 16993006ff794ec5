"""Celery tasks of the accounts app."""

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(name="accounts.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete expired sessions, as ``manage.py clearsessions`` does."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
