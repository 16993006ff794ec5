"""Prices as the member's language writes numbers (``format_money``; the ``money`` filter).

The active language's decimal and thousands separators and grouping (cinema/formats/),
whatever ``USE_THOUSAND_SEPARATOR`` says: that setting stays off, or booking ids and years
would be grouped too. Whole amounts drop their decimals ("3,600 KZT"); others keep two
("2,612.50 KZT"). A non-breaking space keeps the amount and currency on one line.
"""

from decimal import Decimal, InvalidOperation

from django.utils import formats, numberformat


def format_money(amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    number = numberformat.format(
        value,
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=0 if value == value.to_integral_value() else 2,
        grouping=formats.get_format("NUMBER_GROUPING"),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
        use_l10n=True,
    )
    return f"{number}\xa0{currency}" if currency else number
