from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname

from cinema.models import Booking, Cinema, Film, Genre, Showtime
from privacy.admin.audited import AuditedAdmin


def in_every_language(*fields: str) -> list[str]:
    """Search translated fields in every language: staff find a film by any of its titles."""
    codes = [code for code, _name in settings.LANGUAGES]
    return [build_localized_fieldname(field, code) for field in fields for code in codes]


# Film, genre and cinema texts are entered per language (cinema/translation.py): the
# change form shows one box per language ("title [ru]"), English required, the others
# falling back to English while empty.
@admin.register(Genre)
class GenreAdmin(TranslationAdmin):
    list_display = ["name", "slug"]
    search_fields = [*in_every_language("name"), "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Cinema)
class CinemaAdmin(TranslationAdmin):
    list_display = ["name", "city", "partner_operator", "is_active"]
    list_filter = ["is_active", "city"]
    search_fields = in_every_language("name", "city", "address")


@admin.register(Film)
class FilmAdmin(TranslationAdmin):
    list_display = ["title", "age_rating", "runtime_minutes", "release_date"]
    list_filter = ["age_rating", "genres"]
    search_fields = in_every_language("title")
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["genres"]


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    list_display = ["id", "film", "cinema", "starts_at", "auditorium", "capacity", "price"]
    list_filter = ["cinema", ("starts_at", admin.DateFieldListFilter)]
    search_fields = in_every_language("film__title", "cinema__name")
    list_select_related = ["film", "cinema"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["film", "cinema"]


@admin.register(Booking)
class BookingAdmin(AuditedAdmin, admin.ModelAdmin):
    """Bookings for support staff: the member appears as an id, never an email or name."""

    list_display = [
        "code",
        "member",
        "film",
        "cinema",
        "starts_at",
        "seat_count",
        "total_price",
        "status",
        "created_at",
    ]
    list_filter = [
        "status",
        ("showtime__cinema", admin.RelatedOnlyFieldListFilter),
        ("showtime__starts_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=code"]
    list_select_related = ["showtime__film", "showtime__cinema"]
    raw_id_fields = ["showtime", "user"]
    readonly_fields = [
        "code",
        "tombstone",
        "seats",
        "unit_price",
        "total_price",
        "currency",
        "payment_provider",
        "payment_reference",
        "card_last4",
        "created_at",
        "updated_at",
        "cancelled_at",
        "reminder_sent_at",
    ]
    ordering = ["-created_at"]

    @admin.display(description=_("member"), ordering="user_id")
    def member(self, booking):
        if booking.user_id is None:
            return _("erased")
        url = reverse("admin:accounts_user_change", args=[booking.user_id])
        return format_html('<a href="{}">#{}</a>', url, booking.user_id)

    @admin.display(description=_("film"), ordering="showtime__film__title_en")
    def film(self, booking):
        return booking.showtime.film.title

    @admin.display(description=_("cinema"), ordering="showtime__cinema__name_en")
    def cinema(self, booking):
        return booking.showtime.cinema.name

    @admin.display(description=_("starts at"), ordering="showtime__starts_at")
    def starts_at(self, booking):
        return booking.showtime.starts_at
