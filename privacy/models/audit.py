"""The audit log: append-only, hash-chained, ids only.

Each entry's hash covers its own fields and the previous entry's hash, so editing or
deleting any row breaks the chain from there on (``manage.py audit_verify``). The log
holds ids, never names or addresses: it can be kept as long as needed without itself
becoming personal data to erase.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(
        _("actor id"), null=True, blank=True, help_text=_("Staff member or member who acted.")
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    subject_id = models.BigIntegerField(
        _("member id"), null=True, blank=True, db_index=True, help_text=_("Whose data.")
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["id"]
        permissions = [("verify_auditentry", _("Can verify the audit log"))]

    def __str__(self):
        return f"#{self.pk} {self.action}"


class AuditChainHead(models.Model):
    """One row, locked while appending, so concurrent writers extend the chain in turn."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Where the chain starts: entry 1 after GENESIS, or, once old entries were pruned by
    # retention, the first kept entry and the hash it links to.
    first_id = models.BigIntegerField(default=1)
    first_prev_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self):
        return f"Audit chain at #{self.last_id}"
