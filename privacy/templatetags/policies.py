"""Template access to the current policy versions: ``{% current_policy "privacy" as p %}``."""

from django import template

from privacy.services import policies

register = template.Library()


@register.simple_tag
def current_policy(document: str = policies.PRIVACY) -> dict | None:
    """Return the version in force (reader's language, else English) with its URL and date."""
    version = policies.current_version(document)
    if version is None:
        return None
    return {
        "version": version,
        "label": version.version,
        "url": policies.version_path(version),
        "document_url": policies.document_path(document),
        "last_updated": policies.last_updated(version),
    }
