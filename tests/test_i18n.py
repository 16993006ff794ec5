"""Four languages, complete: every string marked, every catalogue translated and compiled.

The catalogues live in locale/<language>/LC_MESSAGES/django.po; Kazakh also has
locale/vendor/kk (django-allauth ships no Kazakh, and Django's Kazakh leaves messages
members see untranslated). The compiled .mo files are committed, so that the product runs
on a machine without gettext tools; a test proves they match their .po files.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.functional import Promise

from tests.i18n_lint import lint_packages, lint_python, lint_template, lint_templates

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ["ru", "kk", "zh_Hans"]
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[a-z_]+\}")


def catalogue(language: str, vendor: bool = False) -> Path:
    base = ROOT / "locale" / ("vendor" if vendor else "") / language
    return base / "LC_MESSAGES" / "django.po"


CATALOGUES = [catalogue(lang) for lang in LANGUAGES] + [catalogue("kk", vendor=True)]


def test_templates_have_no_text_outside_translation_tags():
    findings = lint_templates(ROOT / "templates")
    assert not findings, "Unmarked template text:\n" + "\n".join(map(str, findings))


def test_python_strings_shown_to_people_are_marked():
    findings = lint_packages(ROOT, ["accounts", "cinema", "privacy"])
    assert not findings, "Unmarked strings:\n" + "\n".join(map(str, findings))


# Names makemessages extracts (xgettext keywords); a translation function imported under
# any other name marks nothing: its strings never reach the catalogues.
EXTRACTED_NAMES = {
    "_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
    "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy",
}  # fmt: skip
ALIASED_IMPORT = re.compile(r"from django\.utils\.translation import .*?\b(\w*gettext\w*) as (\w+)")


def test_translation_functions_keep_names_makemessages_knows():
    unknown = []
    for package in ("accounts", "cinema", "privacy"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for function, alias in ALIASED_IMPORT.findall(path.read_text(encoding="utf-8")):
                if alias not in EXTRACTED_NAMES:
                    unknown.append(f"{path.relative_to(ROOT)}: {function} as {alias}")
    assert not unknown, "makemessages would not extract these:\n" + "\n".join(unknown)


def _marked(text) -> bool:
    return isinstance(text, Promise)


def test_registry_names_shown_to_members_are_translatable():
    """Every name the privacy center, deletion page and export take from the registry.

    A model or field named only by its attribute (allauth's UserSession and Authenticator,
    fields without a verbose_name) would read "User sessions", "Created at" in every
    language: its declaration must then name it with a gettext_lazy string.
    """
    from privacy.registry import LegalHold, registry

    unmarked = []
    for policy in registry.personal():
        model = policy.model
        if policy.description and not _marked(policy.description):
            unmarked.append(f"{policy.label}: description")
        if isinstance(policy.erasure, LegalHold) and not _marked(policy.erasure.law):
            unmarked.append(f"{policy.label}: law")
        plural = policy.verbose_name_plural or model._meta.original_attrs.get("verbose_name_plural")
        if not _marked(plural):
            unmarked.append(f"{policy.label}: its plural name")
        shown = [
            name for name, declared in policy.personal_fields().items() if not declared.is_link
        ]
        if policy.retention and policy.retention.after in policy.fields:
            shown.append(policy.retention.after)
        for name in shown:
            declared = policy.fields[name]
            model_field = model._meta.get_field(name)
            if not _marked(declared.verbose_name or getattr(model_field, "verbose_name", name)):
                unmarked.append(f"{policy.label}.{name}")
    assert not unmarked, "Name these in the registry with gettext_lazy:\n" + "\n".join(unmarked)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_keeps_placeholders(path):
    po = polib.pofile(str(path))
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    broken = []
    for entry in po.translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            # Every form keeps the singular's placeholders; a form may add the count.
            allowed = wanted | set(PLACEHOLDER.findall(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                got = set(PLACEHOLDER.findall(form))
                if not got <= allowed or not (wanted - {"%(count)s", "%(count)d"}) <= got:
                    broken.append(entry.msgid)
        elif sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
            broken.append(entry.msgid)
    assert not broken, f"placeholders changed in: {broken[:10]}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_its_source(path):
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    source = polib.pofile(str(path))

    def messages(catalogue_file):
        return {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in catalogue_file
            if e.msgid and not e.obsolete and "fuzzy" not in e.flags
        }

    assert messages(compiled) == messages(source), "run: python3 manage.py compilemessages"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs gettext's xgettext")
def test_catalogues_hold_every_marked_string(tmp_path):
    """Extract the messages afresh (as makemessages does) and look each one up."""
    copy = tmp_path / "src"
    for name in ["accounts", "cinema", "privacy", "templates", "static"]:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "extract_settings.py").write_text(
        f"from cinema.settings.test import *  # noqa\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n"
    )
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "extract_settings", "PYTHONPATH": str(copy)}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ru", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = {
        (e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))
    }
    for language in LANGUAGES:
        have = {(e.msgctxt, e.msgid) for e in polib.pofile(str(catalogue(language)))}
        missing = sorted(m for _, m in extracted - have)
        assert not missing, f"{language}: run makemessages; missing {missing[:10]}"


def test_every_target_language_is_offered():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "ru", "kk", "zh-hans"]


def test_the_template_check_finds_unmarked_text_and_attributes():
    source = (
        "{% load i18n %}<h1>{% translate 'Bookings' %}</h1>\n"
        "<p>Your tickets</p>\n"
        '<img src="{{ url }}" alt="Poster">\n'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %} &rarr; {{ count }}\n"
        '<input placeholder="{% translate "Search" %}"><code>index.html</code>\n'
    )

    found = [(f.line, f.text) for f in lint_template(source, "t.html")]

    assert found == [(3, 'alt="Poster"'), (2, "Your tickets")]


def test_the_python_check_finds_plain_text_in_registry_declarations():
    source = (
        "from django.utils.translation import gettext_lazy as _\n"
        "pd.register(Booking, subject='user', description='Your tickets.', fields={})\n"
        "pd.register(Device, subject='user', description=_('Your devices.'), fields={})\n"
        "pd.LegalHold(law='tax law', period=timedelta(days=1))\n"
        "pd.personal(pd.Category.DEVICE, verbose_name='IP address')\n"
    )

    found = [(f.line, f.text) for f in lint_python(source, "privacy.py")]

    assert found == [(2, "'Your tickets.'"), (4, "'tax law'"), (5, "'IP address'")]


def test_the_python_check_finds_literals_shown_to_people():
    source = (
        "from django.utils.translation import gettext_lazy as _\n"
        "messages.success(request, 'Saved.')\n"
        "messages.info(request, _('Marked.'))\n"
        "raise ValidationError('Too short.')\n"
        "name = forms.CharField(label='Name', help_text=_('As on your card.'))\n"
    )

    found = [(f.line, f.text) for f in lint_python(source, "x.py")]

    assert found == [(2, "'Saved.'"), (4, "'Too short.'"), (5, "'Name'")]
