"""The data-breach register in the admin: record, count down, list who was hit, tell them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy.admin.widgets import NamedDateTimeInputs
from privacy.models import BreachAffectedMember, DataBreach, PrivacyRequest
from privacy.registry import Category
from privacy.services import breaches


class DataBreachForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Data categories affected"),
        choices=[(c.value, c.label) for c in Category],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    add_members = forms.CharField(
        label=_("Add affected members"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_(
            "Paste member ids (42 or #42) or sign-in email addresses, separated by spaces, "
            "commas or new lines. If any cannot be found, nothing is saved and they are listed."
        ),
    )

    class Meta:
        model = DataBreach
        fields = [
            "title",
            "description",
            "categories",
            "risk",
            "status",
            "discovered_at",
            "authority_notified_at",
            "reports",
        ]

    def clean_add_members(self):
        text = self.cleaned_data.get("add_members", "")
        found = breaches.find_members(text)
        if found.unknown:
            raise forms.ValidationError(
                _("No member has these ids or addresses: %(unknown)s. Correct or remove them.")
                % {"unknown": ", ".join(found.unknown)}
            )
        self.new_members = found.members
        return text


class AffectedMemberInline(admin.TabularInline):
    model = BreachAffectedMember
    extra = 0
    fields = ["member", "notified_at"]
    readonly_fields = ["member", "notified_at"]
    verbose_name_plural = _("affected members and when they were told")

    @admin.display(description=_("member"))
    def member(self, affected):
        url = reverse("admin:accounts_user_change", args=[affected.user_id])
        return format_html('<a href="{}">#{}</a>', url, affected.user_id)

    def has_add_permission(self, request, obj=None):
        return False  # added by pasting ids or addresses in the form above

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A member listed by mistake may be removed until they were told.
        return request.user.has_perm("privacy.change_databreach")


@admin.register(DataBreach)
class DataBreachAdmin(NamedDateTimeInputs, admin.ModelAdmin):
    form = DataBreachForm
    list_display = [
        "__str__",
        "status",
        "risk",
        "discovered_at",
        "notification_deadline",
        "affected",
        "members_notified_at",
    ]
    list_filter = ["status", "risk"]
    search_fields = ["title"]
    readonly_fields = [
        "notification_due_at",
        "notification_deadline",
        "recorded_at",
        "recorded_by_staff",
        "members_notified_at",
        "affected",
    ]
    filter_horizontal = ["reports"]
    inlines = [AffectedMemberInline]
    actions = ["notify_members"]
    fieldsets = [
        (None, {"fields": ["title", "description", "categories", "risk", "status"]}),
        (
            _("Deadline"),
            {
                "fields": [
                    "discovered_at",
                    "notification_due_at",
                    "notification_deadline",
                    "authority_notified_at",
                ]
            },
        ),
        (
            _("Affected members"),
            {
                "fields": ["affected", "add_members", "members_notified_at"],
                "description": _(
                    "The title, the description and the categories are emailed to the "
                    "affected members when you notify them: write them for the public."
                ),
            },
        ),
        (_("Leak reports"), {"fields": ["reports"]}),
        (_("Record"), {"fields": ["recorded_at", "recorded_by_staff"]}),
    ]

    class Media:
        css = {"all": ["admin/privacy.css"]}

    # Shown only once the breach is saved: the deadline is computed, the record and the
    # members' notification state exist, from then on.
    AFTER_SAVING = {
        "notification_due_at",
        "notification_deadline",
        "affected",
        "members_notified_at",
        "recorded_at",
        "recorded_by_staff",
    }

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        recording = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in self.AFTER_SAVING]
            if fields:
                recording.append((name, {**options, "fields": fields}))
        return recording

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # no members listed before saving

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(affected_count=Count("breachaffectedmember"))

    def has_delete_permission(self, request, obj=None):
        # The register is the record the law asks for (GDPR Art. 33(5)): entries stay.
        return False

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "reports":
            kwargs["queryset"] = PrivacyRequest.objects.filter(
                type=PrivacyRequest.Type.LEAK_REPORT
            ).order_by("-received_at")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("notify the authority"), ordering="notification_due_at")
    def notification_deadline(self, breach):
        if breach.pk is None:
            return "—"
        text = breaches.countdown(breach)
        if breaches.is_overdue(breach):
            return format_html('<span class="privacy-overdue">{}</span>', text)
        return text

    @admin.display(description=_("affected members"))
    def affected(self, breach):
        if breach.pk is None:
            return 0
        count = getattr(breach, "affected_count", None)
        return count if count is not None else breach.breachaffectedmember_set.count()

    @admin.display(description=_("recorded by"))
    def recorded_by_staff(self, breach):
        # A staff member, not member data: name them (User.__str__ is "User #2", for logs).
        staff = breach.recorded_by
        if staff is None:
            return self.get_empty_value_display()
        name = staff.get_full_name()
        return f"{name} <{staff.email}>" if name else staff.email

    # --- Notifying from the breach's own page: the same action, for this one breach ---

    def get_urls(self):
        notify = path(
            "<path:object_id>/notify/",
            self.admin_site.admin_view(self.notify_view),
            name="privacy_databreach_notify",
        )
        return [notify, *super().get_urls()]

    def can_notify(self, request) -> bool:
        """Whether ``request.user`` may run the notify action (its own permission check)."""
        return "notify_members" in self.get_actions(request)

    def notify_view(self, request, object_id):
        """Run ``notify_members`` on one breach: confirm (GET), send (POST), come back."""
        if not self.can_notify(request):
            raise PermissionDenied
        breach = self.get_object(request, object_id)
        if breach is None:
            raise Http404
        change_url = reverse("admin:privacy_databreach_change", args=[breach.pk])
        queryset = self.get_queryset(request).filter(pk=breach.pk)
        response = self.notify_members(request, queryset)
        if response is None:
            return redirect(change_url)
        response.context_data["return_url"] = change_url
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk and self.can_notify(request):
            pending = obj.breachaffectedmember_set.filter(notified_at__isnull=True).count()
            if pending:
                context["notify_url"] = reverse("admin:privacy_databreach_notify", args=[obj.pk])
                context["notify_pending"] = pending
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        breaches.save_breach(obj, actor=request.user, changed_fields=form.changed_data)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        members = getattr(form, "new_members", [])
        if members:
            added = breaches.add_affected_members(form.instance, members, actor=request.user)
            self.message_user(
                request,
                ngettext(
                    "%(count)d affected member added.", "%(count)d affected members added.", added
                )
                % {"count": added},
                messages.SUCCESS,
            )

    @admin.action(description=_("Notify the affected members by email"), permissions=["change"])
    def notify_members(self, request, queryset):
        """Ask for confirmation, then enqueue one task per breach that emails its members."""
        breaches_list = list(queryset.order_by("pk"))
        if "apply" not in request.POST:
            pending = {
                breach.pk: breach.breachaffectedmember_set.filter(notified_at__isnull=True).count()
                for breach in breaches_list
            }
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Notify the affected members"),
                "breaches": [(breach, pending[breach.pk]) for breach in breaches_list],
                "action": request.POST.get("action", ""),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "changelist_url": reverse("admin:privacy_databreach_changelist"),
            }
            return TemplateResponse(request, "admin/privacy/databreach/notify.html", context)
        for breach in breaches_list:
            pending = breaches.start_member_notification(breach, actor=request.user)
            if pending:
                self.message_user(
                    request,
                    ngettext(
                        "%(breach)s: %(count)d member is being emailed.",
                        "%(breach)s: %(count)d members are being emailed.",
                        pending,
                    )
                    % {"breach": breach, "count": pending},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(breach)s: every affected member was already told.") % {"breach": breach},
                    messages.WARNING,
                )
        return None
