"""Admin for retention: period overrides (tighten only), legal holds, runs and their chart.

Every change goes through ``privacy.services.retention`` so that it is validated and
audited the same way as from code: an override can only shorten a rule and never below
its legal minimum; placing and lifting a hold are audited; runs are read-only records.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncDate
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cinema import charts
from privacy.admin.audited import AuditedAdmin
from privacy.admin.widgets import NamedDateTimeInputs
from privacy.models import DormantNotice, RetentionHold, RetentionOverride, RetentionRun
from privacy.services import breaches, retention

CHART_DAYS = 30
CHART_RUNS = 30


# --- Overrides ----------------------------------------------------------------------------


class RetentionOverrideForm(forms.ModelForm):
    """Choose a rule and a shorter period in days; the service says what is allowed."""

    rule = forms.ChoiceField(label=_("Rule"))
    days = forms.IntegerField(
        label=_("Period in days"),
        min_value=1,
        help_text=_("Only shorter than the default, and never below the legal minimum."),
    )

    class Meta:
        model = RetentionOverride
        fields = ["rule", "days", "reason"]
        help_texts = {"reason": _("Why this deployment keeps the data for a shorter time.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [
            (rule.name, f"{rule.name} — {rule.description}")
            for rule in retention.rules()
            if rule.overridable
        ]
        if self.instance.pk:
            self.fields["rule"].disabled = True
            self.fields["days"].initial = round(self.instance.period / timedelta(days=1))

    def clean(self):
        cleaned = super().clean()
        name, days = cleaned.get("rule"), cleaned.get("days")
        if name and days:
            try:
                retention.validate_period(retention.get_rule(name), timedelta(days=days))
            except ValidationError as error:
                self.add_error("days", error)
            except retention.UnknownRule:
                self.add_error("rule", retention.ERRORS["unknown_rule"])
        return cleaned


@admin.register(RetentionOverride)
class RetentionOverrideAdmin(admin.ModelAdmin):
    form = RetentionOverrideForm
    list_display = ["rule", "period_display", "default_display", "minimum_display", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]
    fields = ["rule", "days", "reason", "changed_by", "changed_at"]

    @admin.display(description=_("period"))
    def period_display(self, obj):
        return retention.describe_period(obj.period)

    @admin.display(description=_("default"))
    def default_display(self, obj):
        return retention.describe_period(_rule_or_none(obj.rule, "default_period"))

    @admin.display(description=_("legal minimum"))
    def minimum_display(self, obj):
        minimum = _rule_or_none(obj.rule, "legal_minimum")
        return retention.describe_period(minimum) if minimum else "—"

    def save_model(self, request, obj, form, change):
        saved = retention.set_override(
            form.cleaned_data["rule"],
            period=timedelta(days=form.cleaned_data["days"]),
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        obj.pk, obj.period = saved.pk, saved.period

    def delete_model(self, request, obj):
        retention.clear_override(obj.rule, actor=request.user)

    def delete_queryset(self, request, queryset):
        for rule in queryset.values_list("rule", flat=True):
            retention.clear_override(rule, actor=request.user)


def _rule_or_none(name: str, attribute: str):
    try:
        return getattr(retention.get_rule(name), attribute)
    except retention.UnknownRule:
        return None


# --- Legal holds --------------------------------------------------------------------------


class ActiveHoldFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("In force")), ("no", _("Lifted or ended"))]

    def queryset(self, request, queryset):
        active = RetentionHold.objects.active().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=active)
        if self.value() == "no":
            return queryset.exclude(pk__in=active)
        return queryset


class PlaceHoldForm(forms.ModelForm):
    """A new hold: the member by id or sign-in address, as staff have it from the case."""

    member = forms.CharField(
        label=_("Member"),
        help_text=_("The member's id (42 or #42) or sign-in email address."),
    )

    class Meta:
        model = RetentionHold
        fields = ["reason", "reference", "until"]

    def clean_member(self):
        text = self.cleaned_data["member"].strip()
        found = breaches.find_members(text)
        if found.unknown or len(found.members) != 1:
            raise ValidationError(
                _("No member has this id or address: %(value)s."), params={"value": text}
            )
        return found.members[0]


@admin.register(RetentionHold)
class RetentionHoldAdmin(AuditedAdmin, NamedDateTimeInputs, admin.ModelAdmin):
    """Staff place a member's data on hold (a dispute) and lift it; holds are not edited."""

    list_display = ["__str__", "user_id", "reference", "placed_at", "until", "in_force"]
    list_filter = [ActiveHoldFilter, "placed_at"]
    search_fields = ["=user__id", "reference"]
    search_help_text = _("Search by member id or case reference.")
    fields = [
        "user",
        "reason",
        "reference",
        "until",
        "placed_by",
        "placed_at",
        "lifted_by",
        "lifted_at",
    ]
    actions = ["lift_holds"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PlaceHoldForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["member", "reason", "reference", "until"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields  # a placed hold is history: lift it, place a new one
        return []

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A placed hold is only read here; the list's action lifts it.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(boolean=True, description=_("in force"))
    def in_force(self, obj):
        return obj.is_active()

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        hold = retention.place_hold(
            form.cleaned_data["member"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            reference=form.cleaned_data.get("reference", ""),
            until=form.cleaned_data.get("until"),
        )
        obj.pk = hold.pk

    @admin.action(description=_("Lift the selected holds"), permissions=["change"])
    def lift_holds(self, request, queryset):
        lifted = sum(retention.lift_hold(hold, actor=request.user) for hold in queryset)
        self.message_user(
            request,
            ngettext(
                "%(n)s hold lifted: retention applies to that member again.",
                "%(n)s holds lifted: retention applies to those members again.",
                lifted,
            )
            % {"n": lifted},
            messages.SUCCESS,
        )


# --- Runs ---------------------------------------------------------------------------------


class RuleFilter(admin.SimpleListFilter):
    title = _("rule")
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return [(rule.name, f"{rule.label} ({rule.name})") for rule in retention.rules()]

    def queryset(self, request, queryset):
        return queryset.filter(rule=self.value()) if self.value() else queryset


class TriggerFilter(admin.SimpleListFilter):
    """What started the runs; a run that recorded nothing gets a named choice, not an empty
    link (which a screen reader announces as nothing at all)."""

    title = _("started by")
    parameter_name = "trigger"

    def lookups(self, request, model_admin):
        values = RetentionRun.objects.order_by("trigger").values_list("trigger", flat=True)
        return [(value or "-", value or _("not recorded")) for value in values.distinct()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(trigger="" if value == "-" else value)


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """Every run of every rule, read-only, with a chart over time and the rule list."""

    change_list_template = "admin/privacy/retention_run_change_list.html"
    list_display = [
        "started_at",
        "rule",
        "action",
        "status",
        "rows",
        "batches",
        "duration_display",
        "longest_batch_ms",
        "cutoff",
        "trigger",
        "error",
    ]
    list_filter = [RuleFilter, "status", "action", TriggerFilter, "started_at"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in RetentionRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("duration"))
    def duration_display(self, obj):
        duration = obj.duration
        return f"{duration.total_seconds():.1f} s" if duration else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("chart/", wrap(self.chart_view), name="privacy_retentionrun_chart"),
            path("rules/", wrap(self.rules_view), name="privacy_retentionrun_rules"),
            *super().get_urls(),
        ]

    def chart_view(self, request):
        """Rows per day over the last 30 days (all rules), or the last runs of one rule."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        names = retention.rule_names()
        rule = request.GET.get("rule", "")
        if rule and rule not in names:
            rule = ""
        since = timezone.now() - timedelta(days=CHART_DAYS)
        runs = RetentionRun.objects.filter(started_at__gte=since)
        if rule:
            recent = list(
                RetentionRun.objects.filter(rule=rule).order_by("-started_at")[:CHART_RUNS]
            )
            recent.reverse()
            rows_chart = charts.horizontal_bars(
                [(f"{r.started_at:%Y-%m-%d %H:%M}", r.rows) for r in recent]
            )
            time_chart = charts.horizontal_bars(
                [
                    (f"{r.started_at:%Y-%m-%d %H:%M}", round(r.duration.total_seconds(), 1))
                    for r in recent
                    if r.duration is not None
                ]
            )
            longest_chart = charts.horizontal_bars(
                [(f"{r.started_at:%Y-%m-%d %H:%M}", r.longest_batch_ms) for r in recent]
            )
        else:
            per_day = (
                runs.annotate(day=TruncDate("started_at"))
                .values("day")
                .annotate(rows=Sum("rows"), count=Count("pk"), longest=Max("longest_batch_ms"))
                .order_by("day")
            )
            rows_chart = charts.horizontal_bars(
                [(f"{d['day']:%Y-%m-%d}", d["rows"]) for d in per_day]
            )
            time_chart = charts.horizontal_bars(
                [(f"{d['day']:%Y-%m-%d}", d["count"]) for d in per_day]
            )
            longest_chart = charts.horizontal_bars(
                [(f"{d['day']:%Y-%m-%d}", d["longest"]) for d in per_day]
            )
        failures = runs.filter(
            status__in=[RetentionRun.Status.FAILED, RetentionRun.Status.INTERRUPTED]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Retention runs over time"),
            "rule": rule,
            "rule_label": retention.get_rule(rule).label if rule else "",
            "rule_choices": [(r.name, f"{r.label} ({r.name})") for r in retention.rules()],
            "rows_chart": rows_chart,
            "time_chart": time_chart,
            "longest_chart": longest_chart,
            "failures": failures.count(),
            "days": CHART_DAYS,
            "runs_shown": CHART_RUNS,
        }
        return TemplateResponse(request, "admin/privacy/retention_chart.html", context)

    def rules_view(self, request):
        """Every rule: default, override, effective period, cut-off, rows due, last run."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        found = retention.overrides()
        last = retention.last_runs()
        items = []
        for item in retention.preview(now=now):
            rule = item.rule
            override = found.get(rule.name)
            items.append(
                {
                    "rule": rule,
                    "action": retention.Action(rule.action).label,
                    "default": retention.describe_period(rule.default_period),
                    "override": retention.describe_period(override.period) if override else "",
                    "effective": retention.describe_period(item.period),
                    "minimum": retention.describe_period(rule.legal_minimum)
                    if rule.legal_minimum
                    else "",
                    "preview": item,
                    "last_run": last.get(rule.name),
                    "runs_url": reverse("admin:privacy_retentionrun_changelist")
                    + f"?rule={rule.name}",
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Retention rules"),
            "items": items,
            "now": now,
            "can_override": request.user.has_perm("privacy.add_retentionoverride"),
        }
        return TemplateResponse(request, "admin/privacy/retention_rules.html", context)


# --- Dormant-account notices --------------------------------------------------------------


@admin.register(DormantNotice)
class DormantNoticeAdmin(AuditedAdmin, admin.ModelAdmin):
    """Notices sent to dormant members, read-only: signing in deletes a notice."""

    list_display = ["user_id", "inactive_since", "sent_at", "erase_after", "erasure_requested_at"]
    list_filter = [("erasure_requested_at", admin.EmptyFieldListFilter), "erase_after"]
    search_fields = ["=user__id"]
    search_help_text = _("Search by member id.")
    readonly_fields = ["user", "inactive_since", "sent_at", "erase_after", "erasure_requested_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
