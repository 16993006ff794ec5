from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """A message waiting for delivery by a worker; deleted once delivered."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        FAILED = "failed", _("Failed")

    payload = models.JSONField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self):
        return f"OutboundEmail #{self.pk} ({self.status})"


def default_currency() -> str:
    from cinema.app_settings import app_settings

    return app_settings.CURRENCY


class TranslatedContent(models.Model):
    """Content staff enter per language (cinema/translation.py, django-modeltranslation).

    ``film.title`` reads and writes the current language's column (``title_ru``). The
    original column (``title``) is saved in the default language, English, whoever saves
    and in whatever language: reports and exports that read it through a relation
    (``showtime__film__title``) then always read English rather than the language of the
    last editor.
    """

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        from modeltranslation.translator import translator
        from modeltranslation.utils import build_localized_fieldname, get_language

        if update_fields is not None:
            # A translated name means the current language's column, as on assignment.
            translated = translator.get_options_for_model(type(self)).get_field_names()
            language = get_language()
            update_fields = {
                *update_fields,
                *(build_localized_fieldname(n, language) for n in update_fields if n in translated),
            }
        with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
            super().save(*args, update_fields=update_fields, **kwargs)


class Genre(TranslatedContent):
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("genre")
        verbose_name_plural = _("genres")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Cinema(TranslatedContent):
    """A cinema of the chain or of a partner; partners receive a booking's data to fulfil it."""

    name = models.CharField(_("name"), max_length=120)
    city = models.CharField(_("city"), max_length=80)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    partner_operator = models.CharField(
        _("partner operator"),
        max_length=120,
        blank=True,
        help_text=_("Company running this cinema when it is not the chain itself."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cinema")
        verbose_name_plural = _("cinemas")
        ordering = ["city", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="cinema_cinema_city_name_unique")
        ]

    def __str__(self):
        return f"{self.name} ({self.city})"


class Film(TranslatedContent):
    class AgeRating(models.TextChoices):
        ALL = "0+", _("0+ (all ages)")
        SIX = "6+", _("6+")
        TWELVE = "12+", _("12+")
        FOURTEEN = "14+", _("14+")
        SIXTEEN = "16+", _("16+")
        EIGHTEEN = "18+", _("18+ (adults only)")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    synopsis = models.TextField(_("synopsis"), blank=True)
    genres = models.ManyToManyField(Genre, verbose_name=_("genres"), related_name="films")
    runtime_minutes = models.PositiveSmallIntegerField(_("runtime (minutes)"))
    age_rating = models.CharField(
        _("age rating"), max_length=3, choices=AgeRating.choices, default=AgeRating.ALL
    )
    release_date = models.DateField(_("release date"), null=True, blank=True)

    class Meta:
        verbose_name = _("film")
        verbose_name_plural = _("films")
        ordering = ["title"]

    def __str__(self):
        return self.title

    @property
    def minimum_age(self) -> int:
        """Youngest age, in whole years, admitted to this film ("16+" -> 16)."""
        return int(self.age_rating.rstrip("+"))


class Showtime(models.Model):
    film = models.ForeignKey(
        Film, verbose_name=_("film"), on_delete=models.PROTECT, related_name="showtimes"
    )
    cinema = models.ForeignKey(
        Cinema, verbose_name=_("cinema"), on_delete=models.PROTECT, related_name="showtimes"
    )
    starts_at = models.DateTimeField(_("starts at"))
    auditorium = models.CharField(_("auditorium"), max_length=40)
    capacity = models.PositiveIntegerField(_("capacity"))
    price = models.DecimalField(_("price per seat"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)

    class Meta:
        verbose_name = _("showtime")
        verbose_name_plural = _("showtimes")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"], name="cinema_show_starts_idx"),
            models.Index(fields=["cinema", "starts_at"], name="cinema_show_cinema_starts_idx"),
            models.Index(fields=["film", "starts_at"], name="cinema_show_film_starts_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cinema", "auditorium", "starts_at"], name="cinema_showtime_unique_slot"
            )
        ]

    def __str__(self):
        return f"Showtime #{self.pk}"


class Booking(models.Model):
    """Seats of one showtime for one member.

    Bookings outlive the member's account: erasure sets ``user`` to NULL and stamps a
    ``tombstone`` so that the box office and the tax records still add up.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    ACTIVE_STATUSES = (Status.RESERVED, Status.PAID)

    showtime = models.ForeignKey(
        Showtime, verbose_name=_("showtime"), on_delete=models.PROTECT, related_name="bookings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    tombstone = models.UUIDField(
        _("tombstone"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the member's account was erased; links their pseudonymized rows."),
    )
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    seat_count = models.PositiveSmallIntegerField(_("number of seats"))
    seats = models.JSONField(_("seats"), default=list)
    unit_price = models.DecimalField(_("price per seat"), max_digits=10, decimal_places=2)
    total_price = models.DecimalField(_("total price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RESERVED
    )
    payment_provider = models.CharField(_("payment provider"), max_length=40, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=80, blank=True)
    card_last4 = models.CharField(_("card last four digits"), max_length=4, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at"]
        indexes = [
            # Seats still taken on a showtime (capacity check, seat allocation, box office).
            models.Index(fields=["showtime", "status"], name="cinema_booking_show_status_idx"),
            # Reminders still to send.
            models.Index(
                fields=["showtime"],
                name="cinema_booking_remind_idx",
                condition=models.Q(reminder_sent_at__isnull=True),
            ),
        ]
        permissions = [("view_boxoffice", _("Can view the box-office report"))]

    def __str__(self):
        return f"Booking {self.code}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class MemberPreferences(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="cinema_preferences",
    )
    favourite_cinema = models.ForeignKey(
        Cinema,
        verbose_name=_("favourite cinema"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    favourite_genres = models.ManyToManyField(
        Genre, verbose_name=_("favourite genres"), blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member preferences")
        verbose_name_plural = _("member preferences")

    def __str__(self):
        return f"MemberPreferences #{self.pk}"
