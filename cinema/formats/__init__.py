"""How dates, times and numbers read in each language (``FORMAT_MODULE_PATH``).

Django looks up every format here first and falls back to its own locale module, then to
the settings. Each module sets the display formats explicitly, so a page reads the same
whatever Django's defaults; input formats are left to Django. All use the 24-hour clock.

Two names are ours, used through ``|date:"NAME"`` (every module defines both):

* ``SHOWTIME_FORMAT``: weekday, date and time of a showtime ("Sun 22 Nov 2026, 11:00");
* ``DAY_FORMAT``: weekday and date without the year ("Sunday 22 November"), for a
  programme day.

Day-first formats name the month with ``E``, Django's month "as it reads after a day"
(genitive in Russian: "22 ноября"). Its translations come from the catalogues under the
context "alt. month"; the msgids are repeated below so that ``makemessages`` keeps them in
ours, where a translator can correct a language whose Django catalogue has them wrong.
"""

from django.utils.translation import pgettext_lazy

MONTHS_AFTER_DAY = (
    # Translators: a month name as it reads after a day number, in a date such as
    # "22 November 2026": the genitive, lower case where the language writes it so
    # (Russian "ноября", Kazakh "қараша").
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
