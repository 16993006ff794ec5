"""Admin for policy versions: drafts are edited, published versions are frozen.

Publishing is an action guarded by its own permission (``privacy.publish_policyversion``)
so that staff who draft texts cannot make them public or email every member.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from privacy.models import PolicyNotification, PolicyVersion
from privacy.services import policies


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = [
        "document",
        "language",
        "version",
        "title",
        "effective_from",
        "is_material",
        "published_at",
    ]
    list_filter = [
        "document",
        "language",
        "is_material",
        ("published_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["version", "title"]
    ordering = ["document", "language", "-effective_from"]
    actions = ["publish"]
    fields = [
        "document",
        "language",
        "version",
        "title",
        "body",
        "summary_of_changes",
        "is_material",
        "effective_from",
        "published_at",
        "created_by",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            # What members accepted must stay exactly as it was: change it in a new version.
            return self.fields
        return ["published_at", "created_by"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if obj.is_material:
            self._warn_languages_behind(request, [obj], include_drafts=True)

    def _warn_languages_behind(self, request, versions, *, include_drafts: bool) -> None:
        """Warn when a material change reaches only some languages' readers.

        Each language reads its own version of a policy, and only its readers are told
        about a change to it: a material change published in some languages leaves the
        readers of the others with the old text and no notice.
        """
        names = dict(settings.LANGUAGES)
        behind: dict[str, list[str]] = {}
        document_names = {}
        for version in versions:
            if not version.is_material:
                continue
            document_names[version.document] = version.get_document_display()
            found = behind.setdefault(version.document, [])
            for code in policies.languages_behind(version, include_drafts=include_drafts):
                if code not in found:
                    found.append(code)
        for document, codes in behind.items():
            if not codes:
                continue
            languages = ", ".join(str(names.get(code, code)) for code in codes)
            if include_drafts:
                text = gettext(
                    "%(document)s: %(languages)s have no version of this material change yet. "
                    "Members are told about a change only in the language they read: add and "
                    "publish a version in each of these languages too."
                )
            else:
                text = gettext(
                    "%(document)s: members reading %(languages)s still have the old version "
                    "and were not told about this material change. Publish a version in each "
                    "of these languages too."
                )
            messages.warning(
                request, text % {"document": document_names[document], "languages": languages}
            )

    def has_publish_permission(self, request):
        return request.user.has_perm("privacy.publish_policyversion")

    @admin.action(description=_("Publish the selected versions"), permissions=["publish"])
    def publish(self, request, queryset):
        published = 0
        done = []
        for version in queryset.order_by("effective_from", "pk"):
            if policies.publish_version(version, actor=request.user):
                published += 1
                done.append(version)
                self.log_change(request, version, [{"changed": {"fields": ["published_at"]}}])
        self._warn_languages_behind(request, done, include_drafts=False)
        skipped = queryset.count() - published
        if published:
            self.message_user(
                request,
                ngettext("%(count)d version published.", "%(count)d versions published.", published)
                % {"count": published},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d version was already published and was left as it was.",
                    "%(count)d versions were already published and were left as they were.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(PolicyNotification)
class PolicyNotificationAdmin(admin.ModelAdmin):
    """Progress of the emails about material changes (read-only: the worker writes it)."""

    list_display = ["policy_version", "sent_count", "last_user_id", "updated_at", "finished_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
