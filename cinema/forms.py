from datetime import date, timedelta

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from cinema.app_settings import app_settings
from cinema.models import Cinema, Genre
from cinema.services import booking as booking_service
from cinema.services import preferences as preferences_service

PROGRAMME_DAYS = 10


class DateInput(forms.DateInput):
    input_type = "date"


def programme_days(today: date) -> list[date]:
    return [today + timedelta(days=n) for n in range(PROGRAMME_DAYS)]


class ProgrammeFilterForm(forms.Form):
    """Filters of the programme page (GET); built from an already fetched cinema list."""

    day = forms.TypedChoiceField(label=_("Date"), coerce=date.fromisoformat, required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    cinema = forms.TypedChoiceField(label=_("Cinema"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, cinemas: list[Cinema], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [
            (day.isoformat(), formats.date_format(day, "DAY_FORMAT"))
            for day in programme_days(today)
        ]
        cities = sorted({cinema.city for cinema in cinemas})
        self.fields["city"].choices = [("", _("All cities"))] + [(c, c) for c in cities]
        self.fields["cinema"].choices = [("", _("All cinemas"))] + [
            (cinema.pk, f"{cinema.name} · {cinema.city}") for cinema in cinemas
        ]


class FilmSearchForm(forms.Form):
    q = forms.CharField(label=_("Film title"), max_length=100, required=False)
    genre = forms.ChoiceField(label=_("Genre"), required=False)

    def __init__(self, *args, genres: list[Genre], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["genre"].choices = [("", _("All genres"))] + [(g.slug, g.name) for g in genres]


class SeatsField(forms.Field):
    """The seats ticked on the map: a list of labels, checked by the booking service
    (which knows the auditorium and what is taken, under the showtime's lock)."""

    widget = forms.CheckboxSelectMultiple  # reads every ticked box of the name

    def to_python(self, value) -> list[str]:
        return [str(label).strip().upper() for label in value or [] if str(label).strip()]


class BookingForm(forms.Form):
    seat_count = forms.IntegerField(
        label=_("Number of seats"), min_value=1, initial=2, required=False
    )
    seats = SeatsField(label=_("Choose your seats"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service enforces the limit; the widget's max only helps the member.
        self.fields["seat_count"].widget.attrs["max"] = app_settings.MAX_SEATS_PER_BOOKING
        self.fields["seat_count"].help_text = _(
            "Up to %(max)d seats per booking. Seats you tick on the map below count instead."
        ) % {"max": app_settings.MAX_SEATS_PER_BOOKING}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("seats") and not cleaned.get("seat_count") and not self.errors:
            self.add_error(
                "seat_count", _("Give a number of seats, or tick the seats you want on the map.")
            )
        return cleaned

    def chosen(self) -> set[str]:
        """The seats the member ticked (also on a form shown again with errors)."""
        if not self.is_bound:
            return set()
        return set(self.fields["seats"].to_python(self.data.getlist("seats")))

    def save(self, member, *, showtime_id: int, actor):
        """Book the seats; a refusal becomes an error on the form and returns None."""
        try:
            return booking_service.book_seats(
                member,
                showtime_id=showtime_id,
                seat_count=self.cleaned_data["seat_count"],
                seats=self.cleaned_data["seats"],
                actor=actor,
            )
        except booking_service.BookingError as error:
            self.add_error(error.field, error.message)
            return None


class NearestCinemaForm(forms.Form):
    """Coordinates posted by the nearest-cinema button; used once and never stored."""

    latitude = forms.FloatField(
        min_value=-90,
        max_value=90,
        error_messages={"invalid": _("The latitude must be a number between -90 and 90.")},
    )
    longitude = forms.FloatField(
        min_value=-180,
        max_value=180,
        error_messages={"invalid": _("The longitude must be a number between -180 and 180.")},
    )


class PreferencesForm(forms.Form):
    favourite_cinema = forms.ModelChoiceField(
        label=_("Favourite cinema"),
        queryset=Cinema.objects.filter(is_active=True).order_by("city", "name"),
        required=False,
        empty_label=_("No favourite"),
    )
    favourite_genres = forms.ModelMultipleChoiceField(
        label=_("Favourite genres"),
        queryset=Genre.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def save(self, member, *, actor):
        data = self.cleaned_data
        return preferences_service.update_preferences(
            member,
            favourite_cinema_id=data["favourite_cinema"].pk if data["favourite_cinema"] else None,
            favourite_genre_ids=[genre.pk for genre in data["favourite_genres"]],
            actor=actor,
        )


class BoxOfficeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput(format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=DateInput(format="%Y-%m-%d"))

    MAX_DAYS = 366

    @classmethod
    def default_range(cls) -> dict:
        today = timezone.localdate()
        return {"start": today - timedelta(days=30), "end": today + timedelta(days=14)}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date must not be before the start date."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("end", _("Choose a range of at most one year."))
        return data
