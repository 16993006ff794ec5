from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from privacy.admin import audit, breaches, policies, requests, retention  # noqa: F401
from privacy.admin import erasure as erasure_admin  # noqa: F401  (jobs, journal)
from privacy.admin.audited import AuditedAdmin
from privacy.models import ConsentPurpose, ConsentRecord, Disclosure
from privacy.models import marketing as marketing_models
from privacy.registry import Category
from privacy.services import campaigns as campaign_service


class DisclosureForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Data categories"),
        choices=[(c.value, c.label) for c in Category],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Disclosure
        fields = [
            "disclosed_on",
            "authority",
            "legal_ground",
            "request_reference",
            "categories",
            "member",
        ]


@admin.register(Disclosure)
class DisclosureAdmin(AuditedAdmin, admin.ModelAdmin):
    form = DisclosureForm
    list_display = ["disclosed_on", "authority", "legal_ground", "member_id", "recorded_by_id"]
    list_filter = ["disclosed_on", "authority"]
    search_fields = ["authority", "legal_ground", "request_reference"]
    raw_id_fields = ["member"]
    date_hierarchy = "disclosed_on"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(admin.ModelAdmin):
    """Staff edit how a purpose is described; its key and nature are fixed in code."""

    list_display = ["key", "name", "legal_basis", "essential", "position"]
    fields = ["key", "legal_basis", "essential", "name", "description", "position"]
    readonly_fields = ["key", "legal_basis", "essential"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(AuditedAdmin, admin.ModelAdmin):
    """The consent ledger, read-only: rows are appended by the software, never edited."""

    list_display = [
        "created_at",
        "user_id",
        "visitor_id",
        "purpose",
        "granted",
        "source",
        "overrides_signal",
        "policy_version",
    ]
    list_filter = ["purpose", "source", "granted", "overrides_signal"]
    search_fields = ["=user__id"]
    search_help_text = _("Search by member id.")
    date_hierarchy = "created_at"
    list_select_related = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Marketing ----------------------------------------------------------------------------


@admin.register(marketing_models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Staff write campaigns and send them with the "Send" action (to consenting members)."""

    list_display = ["__str__", "channel", "status", "sent_count", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    fields = ["channel", "subject", "body", "status", "sent_count", "created_at", "sent_at"]
    readonly_fields = ["status", "sent_count", "created_at", "sent_at"]
    actions = ["send_campaigns"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != marketing_models.Campaign.Status.DRAFT:
            return [*self.fields]  # what was sent is not rewritten afterwards
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Send the selected draft campaigns"))
    def send_campaigns(self, request, queryset):
        started = sum(
            campaign_service.start_campaign(pk, actor=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        skipped = queryset.count() - started
        if started:
            self.message_user(
                request,
                _("%(n)s campaign(s) are being sent to members who agreed to them.")
                % {"n": started},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("%(n)s campaign(s) were skipped: only drafts can be sent.") % {"n": skipped},
                messages.WARNING,
            )


@admin.register(marketing_models.SuppressionEntry)
class SuppressionEntryAdmin(admin.ModelAdmin):
    """The suppression list, read-only: salted hashes, never plain addresses."""

    list_display = ["channel", "reason", "created_at"]
    list_filter = ["channel", "reason"]
    readonly_fields = ["channel", "value_hash", "reason", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
