"""The audit log in the admin: read-only for everyone, and a button to verify the chain."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from privacy.models import AuditEntry
from privacy.services import audit


class ActionFilter(admin.SimpleListFilter):
    """Filter by the known actions (no DISTINCT over a table of millions of rows).

    Without a choice the log leaves out ``staff.listed`` (one entry per row of every admin
    list staff open: the bulk of the log, and it would bury everything else), unless the
    search names a member: then every entry about them counts, list views included.
    """

    title = _("action")
    parameter_name = "action"
    EVERYTHING = "all"

    def lookups(self, request, model_admin):
        names = sorted(
            value
            for key, value in vars(audit.Action).items()
            if key.isupper() and isinstance(value, str)
        )
        labelled = [(name, f"{audit.ACTION_LABELS.get(name, name)} ({name})") for name in names]
        return [(self.EVERYTHING, _("All, with list views")), *labelled]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All but list views"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.EVERYTHING:
            return queryset
        if value:
            return queryset.filter(action=value)
        if request.GET.get("q", "").strip():
            return queryset
        return queryset.exclude(action=audit.Action.STAFF_LISTED)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes entries here, superusers included."""

    list_display = ["id", "at", "action", "actor_id", "subject_id", "object_type", "object_id"]
    list_filter = [ActionFilter]
    search_fields = ["=subject_id"]  # enables the box; get_search_results does the work
    search_help_text = _("Search by member id: entries about them or by them.")
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # one COUNT per action over the whole log: no
    list_per_page = 100
    change_list_template = "admin/privacy/auditentry/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        member_id = int(term)
        return queryset.filter(Q(subject_id=member_id) | Q(actor_id=member_id)), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "verify/",
                self.admin_site.admin_view(self.verify_view),
                name="privacy_auditentry_verify",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_verify": request.user.has_perm("privacy.verify_auditentry"),
        }
        return super().changelist_view(request, extra_context)

    def verify_view(self, request):
        """Walk the whole chain now and show what is wrong with it, if anything."""
        if not request.user.has_perm("privacy.verify_auditentry"):
            raise PermissionDenied
        checked, problems = audit.verify()
        last_id, last_hash = audit.head_hash()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Audit log verification"),
            "checked": checked,
            "problems": problems,
            "last_id": last_id,
            "last_hash": last_hash,
            "changelist_url": reverse("admin:privacy_auditentry_changelist"),
        }
        return TemplateResponse(request, "admin/privacy/auditentry/verify.html", context)
