"""Marquee's project package and its cinema domain app."""

from cinema.celery import app as celery_app

__all__ = ("celery_app",)
