"""Middleware of the privacy app: consent, policy review, usage tracking (in that order)."""
