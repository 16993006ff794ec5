"""``{% greeting member %}`` and ``{{ member|full_name }}``, per language (accounts/names.py)."""

from django import template
from django.utils.translation import gettext

from accounts import names

register = template.Library()


@register.simple_tag(takes_context=True)
def greeting(context, member):
    """ "Hello Aru," or, for a member who gave no name, "Hello,"."""
    name = names.greeting_name(member, context.get("language")) if member else ""
    if name:
        return gettext("Hello %(name)s,") % {"name": name}
    return gettext("Hello,")


@register.filter
def full_name(member):
    return names.full_name(member) if member else ""
