"""Show what a connected sign-in provider gave us: name, email and picture, nothing else."""

from django import template
from django.utils.translation import gettext_lazy as _

from accounts.social_adapter import IMPORTED_FIELDS

register = template.Library()

LABELS = {"name": _("Name"), "email": _("Email address"), "picture": _("Picture (web address)")}


def _text(value) -> str:
    """Flatten a provider's value: Apple sends the name as parts, Facebook nests the URL."""
    if isinstance(value, dict):
        if "data" in value:  # Facebook: {"data": {"url": ...}}
            return _text(value["data"])
        if "url" in value:
            return _text(value["url"])
        return " ".join(_text(part) for part in value.values() if part).strip()
    return "" if value is None else str(value)


@register.filter
def imported_data(account) -> list[tuple[str, str]]:
    """Return ``(label, value)`` pairs of what ``account`` imported, in a fixed order."""
    kinds = IMPORTED_FIELDS.get(account.provider, {})
    values: dict[str, list[str]] = {"name": [], "email": [], "picture": []}
    for key, kind in kinds.items():
        text = _text((account.extra_data or {}).get(key))
        if text and text not in values[kind]:
            values[kind].append(text)
    # The full name when the provider gave one, else its parts (given and family name).
    full_name = _text((account.extra_data or {}).get("name"))
    if full_name:
        values["name"] = [full_name]
    separators = {"name": " ", "email": ", ", "picture": ", "}
    return [(LABELS[kind], separators[kind].join(found)) for kind, found in values.items() if found]
