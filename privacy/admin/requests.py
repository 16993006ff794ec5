"""The privacy officer's queue: data-subject requests and members' exports in the admin.

Requests are never edited as rows: every change is a step of the workflow service
(``privacy.services.requests``) that writes the request's trail, the audit log and the
email to the requester. Staff take steps from the queue (actions on the selected
requests) or from a request's page (buttons), both through the same forms. Only staff
with ``privacy.handle_privacyrequest`` take steps or see what the requester wrote and
their name and address; a dashboard (counts, overdue, requests per week and time to
close) sits beside the queue.

Those staff also enter requests that came by post, phone, in person or email ("Add":
:mod:`privacy.admin.request_entry`), and carry out approved ones on the member's account
(restriction, objection, export: :mod:`privacy.services.fulfilment`).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, Value, When
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cinema import charts
from privacy.admin.audited import AuditedAdmin
from privacy.admin.request_entry import ManualRequestForm, member_label
from privacy.forms.requests import GuardianReportForm, RectificationForm
from privacy.models import DataExport, ErasureJob, PrivacyRequest, RequestEvent
from privacy.services import fulfilment, objection, transparency
from privacy.services import requests as workflow

HANDLE_PERMISSION = "privacy.handle_privacyrequest"
# What the requester wrote and who they are: shown only to those who handle requests.
PERSONAL_FIELDS = ("email", "name", "description", "details", "resolution", "extension_reason")
DUE_SOON = timedelta(days=3)


def can_handle(request) -> bool:
    return request.user.has_perm(HANDLE_PERMISSION)


# --- Filters ------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("soon", _("Due within 3 days")),
            ("on_time", _("Open, on time")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_requests = queryset.filter(status__in=PrivacyRequest.OPEN_STATUSES)
        if self.value() == "overdue":
            return open_requests.filter(due_at__lt=now)
        if self.value() == "soon":
            return open_requests.filter(due_at__gte=now, due_at__lt=now + DUE_SOON)
        if self.value() == "on_time":
            return open_requests.filter(due_at__gte=now)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        staff = (
            get_user_model()
            .objects.filter(assigned_privacy_requests__isnull=False)
            .exclude(pk=request.user.pk)
            .distinct()
            .order_by("pk")
        )
        return [
            ("mine", _("Me")),
            ("nobody", _("Nobody")),
            *[(str(user.pk), _staff_name(user)) for user in staff],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(assignee=request.user)
        if value == "nobody":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


def _staff_name(user) -> str:
    return user.get_full_name() or str(user)


def language_name(code: str) -> str:
    """The name of a language code from settings.LANGUAGES ("English"), or "—"."""
    if not code:
        return "—"
    names = dict(settings.LANGUAGES)
    return str(names.get(code) or names.get(code.split("-")[0]) or code)


# The emails the workflow sends (privacy.services.requests.notify), by the kind in the trail.
EMAIL_KINDS = {
    "received": _("Acknowledgement of receipt"),
    "verify": _("Verification code"),
    "completed": _("Answer: request completed"),
    "rejected": _("Answer: request rejected"),
    "extended": _("Deadline extension"),
}

# How the keys and values of a request's details read to staff.
DETAIL_LABELS = {
    "relationship": _("The requester is the child's"),
    "child": _("The child's account"),
    "data": _("Data to correct"),
    "restricted": _("Restriction"),
    "objection": _("Objects to"),
    "objections": _("Objects to"),
    "purposes": _("Purposes"),
    "source": _("Started by"),
}
DETAIL_VALUES = {
    "relationship": dict(GuardianReportForm.RELATIONSHIPS),
    "data": {
        **dict(RectificationForm.DATA),
        # A choice offered before bookings were known to hold no name.
        "booking_name": _("The name on a booking"),
    },
    "restricted": {True: _("Switched on"), False: _("Lifted")},
    "objection": objection.LABELS,
    "objections": objection.LABELS,
    "source": dict(ErasureJob.Source.choices),
}


def detail_lines(details: dict) -> list[tuple[str, str]]:
    """A request's details as (label, value) lines, in the words staff read elsewhere."""
    lines = []
    for key, value in (details or {}).items():
        values = DETAIL_VALUES.get(key, {})
        items = value if isinstance(value, list) else [value]
        shown = ", ".join(
            str(values.get(item, item)) if isinstance(item, str | bool) else str(item)
            for item in items
        )
        lines.append((str(DETAIL_LABELS.get(key, key)), shown))
    return lines


# --- Steps of the workflow ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    button: str
    tool: str  # the short label of its button on a request's page
    text_label: str = ""
    text_help: str = ""
    text_required: bool = False
    chooses_assignee: bool = False
    explanation: str = ""  # what the step does, shown above its form
    fulfils: str = ""  # the fulfilment action it carries out (privacy.services.fulfilment)


STEPS = {
    step.name: step
    for step in [
        Step(
            "verify",
            _("Verify the requester's identity"),
            _("Identity verified"),
            _("Verify identity"),
            text_label=_("How was the identity checked?"),
            text_help=_("For the request's trail, e.g. 'called back on the number we hold'."),
        ),
        Step("start", _("Approve and start work"), _("Start work"), _("Approve")),
        Step(
            "assign",
            _("Assign the request"),
            _("Assign"),
            _("Assign"),
            chooses_assignee=True,
        ),
        Step(
            "complete",
            _("Complete the request"),
            _("Complete and email the requester"),
            _("Complete"),
            text_label=_("Answer to the requester"),
            text_help=_("Emailed to the requester: what was done."),
            text_required=True,
        ),
        Step(
            "reject",
            _("Reject the request"),
            _("Reject and email the reason"),
            _("Reject"),
            text_label=_("Reason"),
            text_help=_("Emailed to the requester, with their right to complain."),
            text_required=True,
        ),
        Step(
            "extend",
            _("Extend the deadline (once)"),
            _("Extend and email the reason"),
            _("Extend"),
            text_label=_("Reason for the extension"),
            text_help=_("Emailed to the requester with the new date."),
            text_required=True,
        ),
        Step(
            "link",
            _("Attach to the member's account"),
            _("Attach"),
            _("Attach to member"),
            explanation=_(
                "The request came from a verified address of this member and the "
                "requester's identity is confirmed: it becomes a request of their account."
            ),
        ),
        Step(
            "restrict",
            _("Apply the restriction"),
            _("Restrict processing and complete"),
            _("Apply restriction"),
            explanation=_(
                "Stops all non-essential processing of the member's data, completes the "
                "request and emails the member."
            ),
            fulfils=fulfilment.RESTRICT,
        ),
        Step(
            "object",
            _("Apply the objection"),
            _("Stop this processing and complete"),
            _("Apply objection"),
            explanation=_(
                "Stops the processing the request objects to (profiling, marketing), "
                "completes the request and emails the member."
            ),
            fulfils=fulfilment.OBJECT,
        ),
        Step(
            "export",
            _("Build the export"),
            _("Build the export"),
            _("Build the export"),
            explanation=_(
                "Builds the copy of the member's data. When it is ready the request is "
                "completed and the member emailed a link to download it in the privacy "
                "center."
            ),
            fulfils=fulfilment.EXPORT,
        ),
        Step(
            "note",
            _("Add an internal note"),
            _("Add the note"),
            _("Note"),
            text_label=_("Note"),
            text_help=_("Staff only: never emailed."),
            text_required=True,
        ),
    ]
}


class StepForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 70}))
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    attach = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, step: Step, members=(), **kwargs):
        """``members``: for the verify step, the accounts the requests could be attached to."""
        super().__init__(*args, **kwargs)
        self.step = step
        if step.name == "verify" and members:
            field = self.fields["attach"]
            if len(members) == 1:
                field.label = _("Attach the request to member %(member)s") % {
                    "member": member_label(members[0])
                }
            else:
                field.label = _("Attach each request to the member whose address it came from")
            field.help_text = _(
                "It came from this member's verified address: once attached, what it asks "
                "can be carried out on their account."
            )
        else:
            del self.fields["attach"]
        if step.text_label:
            self.fields["text"].label = step.text_label
            self.fields["text"].help_text = step.text_help
            self.fields["text"].required = step.text_required
        else:
            del self.fields["text"]
        if step.chooses_assignee:
            field = self.fields["assignee"]
            field.queryset = (
                get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk")
            )
            field.label = _("Staff member")
            field.label_from_instance = _staff_name
            field.empty_label = _("Nobody")
        else:
            del self.fields["assignee"]


def steps_for(req: PrivacyRequest) -> list[Step]:
    """The steps worth offering on ``req``'s page in its current state (none once closed).

    The service still checks every step: this only leaves out buttons that would fail.
    """
    if not req.is_open:
        return []
    pending = req.verification == PrivacyRequest.Verification.PENDING
    offered = []
    for step in STEPS.values():
        if step.name == "verify" and not pending:
            continue
        if step.name == "link" and (pending or workflow.member_for_request(req) is None):
            continue
        if step.fulfils and fulfilment.refusal(req, step.fulfils):
            continue
        if step.name in ("start", "complete") and pending:
            continue
        if step.name == "start" and req.status == PrivacyRequest.Status.IN_PROGRESS:
            continue
        if step.name == "extend" and req.extended_at is not None:
            continue
        offered.append(step)
    return offered


def steps_waiting(req: PrivacyRequest) -> list[tuple[Step, str]]:
    """The steps that carry out ``req`` but are not possible yet, with what comes first.

    Shown as hints on the request's page instead of buttons, so staff see that e.g. the
    export is built once the request is approved. Steps of other request types are left out.
    """
    if not req.is_open:
        return []
    waiting = []
    for step in STEPS.values():
        if not step.fulfils or req.type not in fulfilment.TYPES[step.fulfils]:
            continue
        reason = fulfilment.refusal(req, step.fulfils)
        if reason:
            waiting.append((step, reason))
    return waiting


def take_step(req: PrivacyRequest, step: Step, *, actor, data: dict) -> str:
    """Apply ``step`` to ``req`` through the workflow service (may raise RequestError).

    Returns what to tell staff when it is more than "done" (an export on its way).
    """
    text = data.get("text", "")
    if step.name == "verify":
        workflow.verify_identity(
            req, actor=actor, note=text, attach_member=bool(data.get("attach"))
        )
    elif step.name == "link":
        member = workflow.member_for_request(req)
        if member is None:
            raise workflow.RequestError(
                _("No member has the address this request came from as a verified address.")
            )
        workflow.link_member(req, member, actor=actor)
    elif step.name == "restrict":
        fulfilment.apply_restriction(req, actor=actor)
    elif step.name == "object":
        fulfilment.apply_objection(req, actor=actor)
    elif step.name == "export":
        _export, started = fulfilment.build_export(req, actor=actor)
        if started:
            return _(
                "the export is being built; the request is completed and the member "
                "emailed when it is ready."
            )
        return _("the export is already being built; nothing was started twice.")
    elif step.name == "start":
        workflow.start(req, actor=actor)
    elif step.name == "assign":
        workflow.assign(req, assignee=data.get("assignee"), actor=actor)
    elif step.name == "complete":
        workflow.complete(req, actor=actor, resolution=text)
    elif step.name == "reject":
        workflow.reject(req, actor=actor, reason=text)
    elif step.name == "extend":
        workflow.extend(req, actor=actor, reason=text)
    elif step.name == "note":
        workflow.add_note(req, actor=actor, note=text)
    else:  # pragma: no cover - STEPS and this function list the same names
        raise ValueError(step.name)
    return ""


# --- The trail ----------------------------------------------------------------------------


class RequestEventInline(admin.TabularInline):
    """The request's trail, read-only: written by the workflow, never by hand."""

    model = RequestEvent
    extra = 0
    can_delete = False
    verbose_name = _("step")
    verbose_name_plural = _("trail")
    ordering = ["at", "pk"]

    def get_fields(self, request, obj=None):
        fields = ["at", "action", "by"]
        return [*fields, "note_text"] if can_handle(request) else fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("by"))
    def by(self, event):
        if event.actor_id is None:
            return _("requester or system")
        return _staff_name(event.actor)

    @admin.display(description=RequestEvent._meta.get_field("note").verbose_name)
    def note_text(self, event):
        """The note, with the workflow's codes (an email's kind, "#2") put in words."""
        note = event.note
        if event.action == RequestEvent.Action.EMAILED and note in EMAIL_KINDS:
            return EMAIL_KINDS[note]
        if event.action in (RequestEvent.Action.ASSIGNED, RequestEvent.Action.LINKED):
            if note == "-":
                return _("Nobody")
            pk = note.removeprefix("#")
            user = get_user_model().objects.filter(pk=pk).first() if pk.isdigit() else None
            if user is not None:
                if event.action == RequestEvent.Action.ASSIGNED:
                    return _staff_name(user)
                return _member_link(user)
        return note or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("privacy.view_privacyrequest")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The queue ----------------------------------------------------------------------------


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = [
        "reference",
        "type",
        "status",
        "requester",
        "received",
        "due",
        "assigned_to",
        "verification",
    ]
    list_display_links = ["reference"]
    list_filter = [
        "type",
        "status",
        OverdueFilter,
        AssigneeFilter,
        "verification",
        "self_service",
        "channel",
    ]
    list_select_related = ["assignee", "user"]
    # Open requests first, the most urgent on top; closed ones after them.
    ordering = [
        Case(When(status__in=PrivacyRequest.OPEN_STATUSES, then=Value(0)), default=Value(1)).asc(),
        "due_at",
    ]
    search_help_text = _("Search by reference (PR-000042), public id, or the requester's email.")
    search_fields = ["=public_id"]  # enables the box; get_search_results does the work
    inlines = [RequestEventInline]
    actions = [
        "verify_selected",
        "start_selected",
        "assign_selected_to_me",
        "complete_selected",
        "reject_selected",
        "extend_selected",
        "apply_restriction_selected",
        "apply_objection_selected",
        "build_export_selected",
    ]
    change_list_template = "admin/privacy/privacyrequest/change_list.html"
    change_form_template = "admin/privacy/privacyrequest/change_form.html"
    show_full_result_count = False

    class Media:
        css = {"all": ["admin/privacy.css"]}

    # --- Columns -------------------------------------------------------------------------

    @admin.display(description=_("reference"), ordering="pk")
    def reference(self, req):
        return req.reference

    @admin.display(description=_("requester"), ordering="user_id")
    def requester(self, req):
        """The member by number only: for staff who may not see who the requester is."""
        if req.user_id is None:
            return _("no account")
        url = reverse("admin:accounts_user_change", args=[req.user_id])
        return format_html('<a href="{}">{} #{}</a>', url, _("member"), req.user_id)

    @admin.display(description=_("requester"), ordering="user_id")
    def requester_named(self, req):
        """Who the requester is (name and address), for staff who handle requests."""
        if req.user_id is None:
            named = " · ".join(part for part in (req.name, req.email) if part)
            if not named:
                return _("no account")
            return _("%(requester)s (no account)") % {"requester": named}
        return _member_link(req.user)

    @admin.display(description=PrivacyRequest._meta.get_field("language").verbose_name)
    def language_name(self, req):
        return language_name(req.language)

    @admin.display(description=PrivacyRequest._meta.get_field("details").verbose_name)
    def details_lines(self, req):
        lines = detail_lines(req.details)
        if not lines:
            return "—"
        return format_html_join(
            "", '<div class="privacy-detail">{}: {}</div>', ((k, v) for k, v in lines)
        )

    # Both dates of a row in the short formats, so they read alike ("22 Nov 2026, 08:01",
    # "22 Dec 2026"): a model field would show in the long DATETIME_FORMAT.
    @admin.display(
        description=PrivacyRequest._meta.get_field("received_at").verbose_name,
        ordering="received_at",
    )
    def received(self, req):
        return date_format(timezone.localtime(req.received_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, req):
        label = date_format(timezone.localtime(req.due_at), "SHORT_DATE_FORMAT")
        if req.extended_at:
            label = f"{label} ({_('extended')})"
        if not req.is_open:
            return label
        now = timezone.now()
        if req.due_at < now:
            return format_html('<span class="privacy-overdue">{} · {}</span>', label, _("overdue"))
        if req.due_at < now + DUE_SOON:
            return format_html('<span class="privacy-due-soon">{}</span>', label)
        return label

    @admin.display(description=_("assigned to"), ordering="assignee_id")
    def assigned_to(self, req):
        return _staff_name(req.assignee) if req.assignee_id else "—"

    # --- Page layout ---------------------------------------------------------------------

    def get_list_display(self, request):
        if not can_handle(request):
            return self.list_display
        return ["requester_named" if name == "requester" else name for name in self.list_display]

    def get_fieldsets(self, request, obj=None):
        personal = can_handle(request)
        request_fields = ["reference", "type", "status", "channel", "self_service"]
        request_fields.append("language_name")
        requester = ["requester_named" if personal else "requester", "verification"]
        requester.append("verified_at")
        if personal and (obj is None or obj.user_id is None or obj.name or obj.email):
            # What the requester gave; a member's own name and address are in the link.
            requester[1:1] = ["name", "email"]
        deadline = ["received_at", "due_at", "extended_at"]
        if personal:
            deadline.append("extension_reason")
        handling = ["assigned_to", "closed_at"]
        if personal:
            handling.append("resolution")
        fieldsets = [
            (None, {"fields": request_fields}),
            (_("Requester"), {"fields": requester}),
            (_("Deadline"), {"fields": deadline}),
        ]
        if personal:
            fieldsets.append((_("What they asked"), {"fields": ["description", "details_lines"]}))
        fieldsets.append((_("Handling"), {"fields": handling}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fieldsets = self.get_fieldsets(request, obj)
        return [name for _title, options in fieldsets for name in options["fields"]]

    # --- Permissions: every change is a workflow step -------------------------------------

    def has_add_permission(self, request):
        # Entering a request that came by post, phone or email (add_view): not a row form.
        return can_handle(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Proof that rights were answered: kept (and anonymized) by the registry's rules.
        return False

    def has_handle_permission(self, request):
        return can_handle(request)

    # --- Search --------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        query = Q(pk__in=[])
        digits = term.upper().removeprefix("PR-").lstrip("0") or "0"
        if digits.isdigit():
            query |= Q(pk=int(digits))
        with contextlib.suppress(ValueError):
            query |= Q(public_id=uuid.UUID(term))
        if "@" in term and can_handle(request):
            query |= Q(email__iexact=term) | Q(user__email__iexact=term)
        return queryset.filter(query), False

    # --- Extra pages ---------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name=f"{prefix}_dashboard",
            ),
            path(
                "member-search/",
                self.admin_site.admin_view(self.member_search_view),
                name=f"{prefix}_member_search",
            ),
            path(
                "<path:object_id>/step/<slug:step>/",
                self.admin_site.admin_view(self.step_view),
                name=f"{prefix}_step",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        handles = obj is not None and can_handle(request)
        context["steps"] = steps_for(obj) if handles else []
        context["steps_waiting"] = steps_waiting(obj) if handles else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def step_view(self, request, object_id, step):
        """One workflow step on one request: a form, then the service call."""
        if not can_handle(request):
            raise PermissionDenied
        chosen = STEPS.get(step)
        req = self.get_object(request, unquote(object_id))
        if chosen is None or req is None:
            raise Http404
        change_url = reverse("admin:privacy_privacyrequest_change", args=[req.pk])
        initial = {"assignee": req.assignee_id} if chosen.chooses_assignee else None
        data = request.POST if request.method == "POST" else None  # "start" posts no fields
        member = workflow.member_for_request(req)
        form = StepForm(data, step=chosen, initial=initial, members=[member] if member else [])
        if request.method == "POST" and form.is_valid():
            try:
                said = take_step(req, chosen, actor=request.user, data=form.cleaned_data)
            except workflow.RequestError as error:
                self.message_user(request, f"{req.reference}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{req.reference}: {chosen.title} — {said or str(_('done')) + '.'}",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": chosen.title,
            "step": chosen,
            "form": form,
            "requests": [req],
            "original": req,
            "change_url": change_url,
            "member": member_label(member) if member and chosen.name == "link" else "",
        }
        return TemplateResponse(request, "admin/privacy/privacyrequest/step.html", context)

    def add_view(self, request, form_url="", extra_context=None):
        """Enter a request received by post, phone, in person or email (not a row form)."""
        if not can_handle(request):
            raise PermissionDenied
        form = ManualRequestForm(
            request.POST if request.method == "POST" else None, admin_site=self.admin_site
        )
        if request.method == "POST" and form.is_valid():
            try:
                req = form.save(actor=request.user)
            except workflow.RequestError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _entered_message(req), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:privacy_privacyrequest_change", args=[req.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Enter a request received by post, phone, in person or email"),
            "form": form,
            "media": form.media,
            "changelist_url": reverse("admin:privacy_privacyrequest_changelist"),
        }
        return TemplateResponse(request, "admin/privacy/privacyrequest/add.html", context)

    def member_search_view(self, request):
        """Members matching a search term, for the "member account" box of the add form.

        Answers in the format of Django's autocomplete view (select2). Only for staff who
        handle requests; at most 20 members, matched on id, address or name.
        """
        if not can_handle(request):
            raise PermissionDenied
        term = request.GET.get("term", "").strip()
        members = get_user_model().objects.filter(is_active=True).order_by("pk")
        if not term:
            found = members.none()
        elif term.lstrip("#").isdigit():
            found = members.filter(pk=int(term.lstrip("#")))
        else:
            query = Q(email__icontains=term) | Q(emailaddress__email__icontains=term)
            for word in term.split():
                query |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
            found = members.filter(query).distinct()
        return JsonResponse(
            {
                "results": [{"id": str(m.pk), "text": member_label(m)} for m in found[:20]],
                "pagination": {"more": False},
            }
        )

    def dashboard_view(self, request):
        """Counts by status and type, overdue, requests per week and time to close."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        figures = transparency.dashboard()
        statuses = dict(PrivacyRequest.Status.choices)
        types = dict(PrivacyRequest.Type.choices)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Privacy requests: dashboard"),
            "figures": figures,
            "by_status": [(statuses[key], count) for key, count in figures.by_status],
            "by_type": [(types[key], count) for key, count in figures.by_type if count],
            "received_chart": charts.horizontal_bars(
                [(date_format(week.start, "j M"), week.received) for week in figures.weeks]
            ),
            "closing_chart": charts.horizontal_bars(
                # None: nothing closed that week ("—"); 0.0: closed the day they came.
                [(date_format(week.start, "j M"), week.mean_days) for week in figures.weeks]
            ),
            "changelist_url": reverse("admin:privacy_privacyrequest_changelist"),
        }
        return TemplateResponse(request, "admin/privacy/privacyrequest/dashboard.html", context)

    # --- Actions on the selected requests ------------------------------------------------

    @admin.action(description=_("Verify the requesters' identity"), permissions=["handle"])
    def verify_selected(self, request, queryset):
        return self._bulk_step(request, queryset, STEPS["verify"])

    @admin.action(description=_("Approve and start work"), permissions=["handle"])
    def start_selected(self, request, queryset):
        return self._bulk_step(request, queryset, STEPS["start"])

    @admin.action(description=_("Assign to me"), permissions=["handle"])
    def assign_selected_to_me(self, request, queryset):
        self._apply(request, queryset, STEPS["assign"], {"assignee": request.user})

    @admin.action(description=_("Complete (answer the requesters)"), permissions=["handle"])
    def complete_selected(self, request, queryset):
        return self._bulk_step(request, queryset, STEPS["complete"])

    @admin.action(description=_("Reject (with the reason)"), permissions=["handle"])
    def reject_selected(self, request, queryset):
        return self._bulk_step(request, queryset, STEPS["reject"])

    @admin.action(
        description=_("Extend the deadline (once, with the reason)"), permissions=["handle"]
    )
    def extend_selected(self, request, queryset):
        return self._bulk_step(request, queryset, STEPS["extend"])

    @admin.action(
        description=_("Apply the restriction (approved restriction requests)"),
        permissions=["handle"],
    )
    def apply_restriction_selected(self, request, queryset):
        self._apply(request, queryset, STEPS["restrict"], {})

    @admin.action(
        description=_("Apply the objection (approved objection requests)"), permissions=["handle"]
    )
    def apply_objection_selected(self, request, queryset):
        self._apply(request, queryset, STEPS["object"], {})

    @admin.action(
        description=_("Build the export (approved access and copy requests)"),
        permissions=["handle"],
    )
    def build_export_selected(self, request, queryset):
        self._apply(request, queryset, STEPS["export"], {})

    def _bulk_step(self, request, queryset, step: Step):
        """Ask for the step's text on an intermediate page, then apply it to each request."""
        if not step.text_label:
            self._apply(request, queryset, step, {})
            return None
        reqs = list(queryset)
        members = [m for m in map(workflow.member_for_request, reqs) if m is not None]
        form = StepForm(
            request.POST if "apply" in request.POST else None, step=step, members=members
        )
        if form.is_bound and form.is_valid():
            self._apply(request, queryset, step, form.cleaned_data)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": step.title,
            "step": step,
            "form": form,
            "requests": reqs,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "change_url": reverse("admin:privacy_privacyrequest_changelist"),
        }
        return TemplateResponse(request, "admin/privacy/privacyrequest/step.html", context)

    def _apply(self, request, queryset, step: Step, data: dict) -> None:
        """Take ``step`` on each request; say which were skipped and why, and how many done."""
        done = 0
        skipped = []
        for req in queryset.order_by("pk"):
            try:
                said = take_step(req, step, actor=request.user, data=data)
            except workflow.RequestError as error:
                skipped.append(req.reference)
                self.message_user(request, f"{req.reference}: {error}", messages.ERROR)
            else:
                done += 1
                if said:
                    self.message_user(request, f"{req.reference}: {said}", messages.INFO)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(step)s: %(count)d request skipped (%(references)s), for the reason given.",
                    "%(step)s: %(count)d requests skipped (%(references)s), for the reasons given.",
                    len(skipped),
                )
                % {"step": step.title, "count": len(skipped), "references": ", ".join(skipped)},
                messages.ERROR,
            )
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(step)s: %(count)d request done.",
                    "%(step)s: %(count)d requests done.",
                    done,
                )
                % {"step": step.title, "count": done},
                messages.SUCCESS,
            )


def _member_link(user) -> str:
    """The member's name and address, linked to their page in the admin."""
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, member_label(user))


def _entered_message(req: PrivacyRequest) -> str:
    message = _("%(reference)s entered: %(type)s, received by %(channel)s, due %(due)s.") % {
        "reference": req.reference,
        "type": req.get_type_display(),
        "channel": req.get_channel_display().lower(),
        "due": date_format(timezone.localtime(req.due_at), "SHORT_DATE_FORMAT"),
    }
    if req.user_id and req.events.filter(action=RequestEvent.Action.LINKED).exists():
        message += " " + str(_("It came from a member's verified address: attached to them."))
    return message


# --- Members' exports ---------------------------------------------------------------------


@admin.register(DataExport)
class DataExportAdmin(AuditedAdmin, admin.ModelAdmin):
    """Members' exports, read-only: built by the worker, never by hand."""

    list_display = [
        "public_id",
        "member",
        "status",
        "progress",
        "size_bytes",
        "created_at",
        "finished_at",
        "expires_at",
        "downloaded_at",
    ]
    list_filter = ["status"]
    search_fields = ["=user__id"]
    search_help_text = _("Search by member id.")
    exclude = ["file_name", "sha256"]

    @admin.display(description=_("member"), ordering="user_id")
    def member(self, export):
        url = reverse("admin:accounts_user_change", args=[export.user_id])
        return format_html('<a href="{}">#{}</a>', url, export.user_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
