"""Erasure in the admin: the jobs and journal (read-only) and "Erase this member" for staff.

``EraseMemberAdminMixin`` goes into the User admin's bases: it adds the action that erases
the selected members at once (no grace period: a guardian's report of a child's account,
a verified erasure request), after an intermediate page that asks for the reason and,
optionally, the privacy request it fulfils. Only staff with ``privacy.erase_member`` see
it; staff and superuser accounts are refused (remove their staff rights first).
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from privacy.models import ErasureJob, ErasureJournal, PrivacyRequest
from privacy.services import erasure


class EraseMembersForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_(
            "Why the account is erased, e.g. 'guardian report of a child's account'. "
            "No names or addresses: this is kept as proof of the erasure."
        ),
    )
    request_reference = forms.CharField(
        label=_("Privacy request"),
        required=False,
        max_length=20,
        help_text=_("The request this erasure fulfils, e.g. PR-000042 (optional)."),
    )

    def clean_request_reference(self) -> PrivacyRequest | None:
        reference = (self.cleaned_data.get("request_reference") or "").strip().upper()
        if not reference:
            return None
        digits = reference.removeprefix("PR-").lstrip("0")
        req = PrivacyRequest.objects.filter(pk=int(digits)).first() if digits.isdigit() else None
        if req is None:
            raise forms.ValidationError(
                _("There is no privacy request %(ref)s.") % {"ref": reference}
            )
        if not req.is_open:
            raise forms.ValidationError(_("That request is already closed."))
        return req


@admin.action(
    description=_("Erase the selected members now (no grace period)"),
    permissions=["erase_member"],
)
def erase_members(modeladmin, request, queryset):
    refused = [u for u in queryset if u.is_staff or u.is_superuser]
    if refused:
        modeladmin.message_user(
            request,
            _("Staff accounts cannot be erased here: remove their staff rights first."),
            messages.ERROR,
        )
        return None
    form = EraseMembersForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        req = form.cleaned_data["request_reference"]
        count = 0
        for user in queryset:
            erasure.schedule_deletion(
                user,
                source=ErasureJob.Source.STAFF,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                grace=timedelta(0),
                request=req if queryset.count() == 1 else None,
            )
            count += 1
        modeladmin.message_user(
            request,
            _("%(count)d erasures started; the Erasure jobs page shows their progress.")
            % {"count": count},
            messages.SUCCESS,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Erase members"),
        "members": queryset,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "grace_note": gettext(
            "Their accounts are closed at once and erased by a worker within minutes. "
            "This cannot be undone."
        ),
    }
    return TemplateResponse(request, "admin/privacy/erase_members.html", context)


class EraseMemberAdminMixin:
    """Adds "Erase the selected members" to a ModelAdmin of the user model."""

    actions = [erase_members]

    def has_erase_member_permission(self, request) -> bool:
        return request.user.has_perm("privacy.erase_member")


@admin.register(ErasureJob)
class ErasureJobAdmin(admin.ModelAdmin):
    list_display = [
        "tombstone",
        "user_id",
        "source",
        "status",
        "due_at",
        "deadline",
        "finished_at",
        "attempts",
        "overdue",
    ]
    list_filter = ["status", "source"]
    search_fields = ["tombstone", "user_id"]
    date_hierarchy = "requested_at"
    readonly_fields = [f.name for f in ErasureJob._meta.fields] + ["report_table"]
    exclude = ["report", "state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description=_("past its deadline"))
    def overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.status in ErasureJob.ACTIVE_STATUSES and obj.deadline < timezone.now()

    @admin.display(description=_("what was done"))
    def report_table(self, obj):
        models_report = obj.report.get("models", {})
        if not models_report:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    entry["model"],
                    entry["action"],
                    entry.get("rows", 0),
                    entry.get("law") or ", ".join(entry.get("fields", {})),
                )
                for entry in models_report.values()
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("model"),
            _("action"),
            _("rows"),
            _("law or fields"),
            rows,
        )


@admin.register(ErasureJournal)
class ErasureJournalAdmin(admin.ModelAdmin):
    list_display = ["tombstone", "erased_at"]
    search_fields = ["tombstone"]
    date_hierarchy = "erased_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
