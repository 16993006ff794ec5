"""``{{ amount|money:currency }}``: a price as the reader's language writes numbers
(cinema/money.py)."""

from django import template

from cinema.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=""):
    """``amount`` (a Decimal, number or numeric string) followed by ``currency``."""
    return format_money(amount, currency)
