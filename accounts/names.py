"""How people's names are written, per language (issue: four languages).

- English: "Ada Lovelace"; greeted by first name.
- Russian and Kazakh: a patronymic is optional (never forced on anyone); the full name
  reads "Айгерим Саматовна Нурланова", and people are greeted by first name and
  patronymic when they gave one ("Айгерим Саматовна").
- Chinese: family name first, without a space ("王小明"), and greeted by the full name.
  Names written in Latin letters keep the Western order in every language.

Forms follow the same order: Chinese asks for the family name first, Russian and Kazakh
ask family name, first name, patronymic, as official forms there do.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import get_language

LATIN = re.compile(r"^[\sA-Za-z\u00C0-\u024F'\u2019.\-]*$")

FIELD_ORDER = {
    "en": ["first_name", "last_name", "patronymic"],
    "ru": ["last_name", "first_name", "patronymic"],
    "kk": ["last_name", "first_name", "patronymic"],
    "zh-hans": ["last_name", "first_name", "patronymic"],
}


def _language(language: str | None) -> str:
    code = (language or get_language() or settings.LANGUAGE_CODE).lower()
    return code if code in FIELD_ORDER else code.split("-")[0]


def _parts(user) -> tuple[str, str, str]:
    return (
        (getattr(user, "first_name", "") or "").strip(),
        (getattr(user, "last_name", "") or "").strip(),
        (getattr(user, "patronymic", "") or "").strip(),
    )


def _family_first(language: str, first: str, last: str) -> bool:
    return language.startswith("zh") and not LATIN.match(first + last)


def full_name(user, language: str | None = None) -> str:
    """The member's whole name, written as ``language`` writes names."""
    language = _language(language)
    first, last, patronymic = _parts(user)
    if _family_first(language, first, last):
        return f"{last}{first}"
    return " ".join(part for part in (first, patronymic, last) if part)


def greeting_name(user, language: str | None = None) -> str:
    """What to call the member in "Hello …," ("" when they gave no name)."""
    language = _language(language)
    first, last, patronymic = _parts(user)
    if _family_first(language, first, last):
        return f"{last}{first}"
    if language in ("ru", "kk") and first and patronymic:
        return f"{first} {patronymic}"
    return first


def name_field_order(language: str | None = None) -> list[str]:
    """The order of the name fields on forms in ``language``."""
    return FIELD_ORDER.get(_language(language), FIELD_ORDER["en"])
