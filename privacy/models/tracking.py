from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrackingEvent(models.Model):
    """One usage event, recorded only under analytics consent (K2, M3, M9, G2).

    Nothing here identifies a device or a person by itself: the IP address is cut to its
    network before it is buffered, paths and links lose their query strings, the browser
    is named only by family. Rows are written in batches by
    ``privacy.services.tracking.flush_buffer``, never on the request path.
    """

    class Kind(models.TextChoices):
        PAGE_VIEW = "page_view", _("Page view")
        FILM_VIEW = "film_view", _("Film viewed")
        SEARCH = "search", _("Film search")
        OUTBOUND_CLICK = "outbound_click", _("Link to another site followed")

    class DeviceClass(models.TextChoices):
        DESKTOP = "desktop", _("Desktop")
        MOBILE = "mobile", _("Mobile")
        TABLET = "tablet", _("Tablet")
        BOT = "bot", _("Automated client")
        OTHER = "other", _("Other")

    # Written by the collector; makes a re-delivered buffer entry a no-op when flushed again.
    event_id = models.UUIDField(_("event id"), unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Erasing a member deletes their events with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tracking_events",
    )
    visitor_id = models.UUIDField(_("visitor id"), null=True, blank=True)
    path = models.CharField(_("page"), max_length=500)
    search_query = models.CharField(_("search terms"), max_length=100, blank=True)
    film = models.ForeignKey(
        "cinema.Film",
        verbose_name=_("film"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    referrer = models.CharField(_("came from"), max_length=500, blank=True)
    target_url = models.CharField(_("link followed"), max_length=500, blank=True)
    time_on_page_ms = models.PositiveIntegerField(_("time on page (ms)"), null=True, blank=True)
    device_class = models.CharField(
        _("device class"), max_length=10, choices=DeviceClass.choices, blank=True
    )
    browser_family = models.CharField(_("browser family"), max_length=40, blank=True)
    ip_prefix = models.CharField(_("network (truncated IP)"), max_length=50, blank=True)
    city = models.CharField(_("approximate city"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A member's export and erasure; a visitor's events when they sign up or ask.
            models.Index(fields=["user", "created_at"], name="privacy_trk_user_time"),
            models.Index(fields=["visitor_id", "created_at"], name="privacy_trk_visitor_time"),
        ]

    def __str__(self):
        return f"TrackingEvent #{self.pk}"
