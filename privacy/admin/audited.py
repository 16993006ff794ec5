"""Staff access log: which staff member opened or changed whose data in the admin (L3).

``AuditedAdmin`` goes first in a ModelAdmin's bases. Showing a list of objects writes
one ``staff.listed`` per row shown; showing an object's page (its change
or read-only view, or its history) writes ``staff.viewed``; saving it ``staff.changed``;
deleting it ``staff.deleted``; always with the staff member as actor, the member whose
data it is as subject (from the model's registry declaration) and the object's type and
id. Ids only: the log never holds what the page showed.
"""

from __future__ import annotations

from privacy.services import audit


class AuditedAdmin:
    """Mixin for ModelAdmins that show a member's data: their opening is audited."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Rendered only after the permission checks passed, for GET and for a form shown
        # again with errors: both showed the object's data.
        if obj is not None and not add:
            self.audit_access(request, audit.Action.STAFF_VIEWED, obj, view="change")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        # A list shows members' data too (names, addresses, what they booked): every row
        # on the page a staff member saw, searched or not, is one ``staff.listed`` entry
        # naming its member, so "who saw this member's data" finds list views as well.
        # The search words are not logged: they are often the very name or address.
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and response.status_code == 200:
            shown = list(changelist.result_list)  # the page's rows, fetched once for both
            audit.record_many(
                audit.Pending(
                    audit.Action.STAFF_LISTED,
                    actor=request.user,
                    subject=audit.subject_id_of(obj),
                    target=obj,
                    details={"searched": bool(changelist.query), "page": changelist.page_num},
                )
                for obj in shown
            )
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("object")
        if obj is not None and response.status_code == 200:
            self.audit_access(request, audit.Action.STAFF_VIEWED, obj, view="history")
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = sorted(form.changed_data) if form is not None else []
        self.audit_access(request, audit.Action.STAFF_CHANGED, obj, fields=fields)

    def delete_model(self, request, obj):
        subject, pk = audit.subject_id_of(obj), obj.pk
        super().delete_model(request, obj)
        audit.record(
            audit.Action.STAFF_DELETED,
            actor=request.user,
            subject=subject,
            object_type=obj._meta.label_lower,
            object_id=pk,
        )

    def delete_queryset(self, request, queryset):
        gone = [(obj._meta.label_lower, obj.pk, audit.subject_id_of(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for label, pk, subject in gone:
            audit.record(
                audit.Action.STAFF_DELETED,
                actor=request.user,
                subject=subject,
                object_type=label,
                object_id=pk,
            )

    def audit_access(self, request, action: str, obj, **details) -> None:
        audit.record(
            action,
            actor=request.user,
            subject=audit.subject_id_of(obj),
            target=obj,
            **details,
        )


# Admins of other packages (allauth's) that show a member's data: their classes are
# registered by those packages after ours, so they get the mixin once every admin module
# was imported (cinema/urls.py calls this).
THIRD_PARTY_MEMBER_ADMINS = [
    "account.EmailAddress",
    "socialaccount.SocialAccount",
    "socialaccount.SocialToken",
    "mfa.Authenticator",
    "usersessions.UserSession",
]


def audit_third_party_admins(site) -> None:
    """Re-register the admins in ``THIRD_PARTY_MEMBER_ADMINS`` with ``AuditedAdmin`` mixed in.

    Idempotent; models that are not installed or not registered are skipped.
    """
    from django.apps import apps

    for label in THIRD_PARTY_MEMBER_ADMINS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        model_admin = site._registry.get(model)
        if model_admin is None or isinstance(model_admin, AuditedAdmin):
            continue
        audited = type(
            f"Audited{type(model_admin).__name__}", (AuditedAdmin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, audited)
