"""Names are written and asked for the way each language does (accounts/names.py)."""

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts import names
from accounts.forms import ProfileForm
from accounts.models import User


def person(first="", last="", patronymic=""):
    return User(first_name=first, last_name=last, patronymic=patronymic)


@pytest.mark.parametrize(
    ("language", "member", "full", "greeted"),
    [
        ("en", person("Ada", "Lovelace"), "Ada Lovelace", "Ada"),
        ("ru", person("Айгерим", "Нурланова", "Саматовна"), "Айгерим Саматовна Нурланова",
         "Айгерим Саматовна"),
        ("kk", person("Айгерим", "Нурланова"), "Айгерим Нурланова", "Айгерим"),
        ("zh-hans", person("小明", "王"), "王小明", "王小明"),
        # Latin-script names keep the Western order in a Chinese page.
        ("zh-hans", person("John", "Smith"), "John Smith", "John"),
        ("en", person(), "", ""),
    ],
)  # fmt: skip
def test_full_and_greeting_names_follow_the_language(language, member, full, greeted):
    assert names.full_name(member, language) == full
    assert names.greeting_name(member, language) == greeted


def test_greeting_tag_says_hello_with_or_without_a_name():
    template = Template("{% load names %}{% greeting member %}")

    assert template.render(Context({"member": person("Ada")})) == "Hello Ada,"
    assert template.render(Context({"member": person()})) == "Hello,"


@pytest.mark.parametrize(
    ("language", "order"),
    [
        ("en", ["first_name", "last_name", "patronymic"]),
        ("ru", ["last_name", "first_name", "patronymic"]),
        ("zh-hans", ["last_name", "first_name", "patronymic"]),
    ],
)
def test_profile_form_asks_for_names_in_the_languages_order(language, order):
    with translation.override(language):
        fields = list(ProfileForm().fields)

    assert [f for f in fields if f in order] == order
    assert not ProfileForm().fields["patronymic"].required
