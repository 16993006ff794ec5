"""Admin form widgets that name themselves for people who cannot see the page."""

from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils.text import capfirst
from django.utils.translation import gettext as _


class NamedDateTimeInputs:
    """ModelAdmin mixin: each half of a date-time field is named after its field.

    The admin labels the two inputs of every date-time field "Date:" and "Time:", so on a
    page with two such fields (a breach's discovery and the authority's notification) a
    screen-reader user hears two inputs called "Time:". Each input is named "<field>:
    date" / "<field>: time" instead, in the reader's language.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, AdminSplitDateTime):
            field = capfirst(str(db_field.verbose_name))
            date_input, time_input = widget.widgets
            date_input.attrs["aria-label"] = _("%(field)s: date") % {"field": field}
            time_input.attrs["aria-label"] = _("%(field)s: time") % {"field": field}
        return formfield
