from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import Category


class Disclosure(models.Model):
    """A disclosure of personal data to an authority, recorded as the law requires (G5)."""

    disclosed_on = models.DateField(_("date of disclosure"), default=timezone.localdate)
    authority = models.CharField(_("authority"), max_length=200)
    legal_ground = models.CharField(
        _("legal ground"),
        max_length=300,
        help_text=_("The law, court order or request that required the disclosure."),
    )
    request_reference = models.CharField(_("request reference"), max_length=120, blank=True)
    categories = models.JSONField(
        _("data categories"),
        default=list,
        help_text=_("Which kinds of personal data were disclosed."),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member concerned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disclosure to an authority")
        verbose_name_plural = _("disclosures to authorities")
        ordering = ["-disclosed_on", "-pk"]

    def __str__(self):
        return f"Disclosure #{self.pk}"

    def category_labels(self) -> list[str]:
        return [str(Category(c).label) for c in self.categories if c in Category._value2member_map_]
