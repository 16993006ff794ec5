from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacy.models import Disclosure
from privacy.registry import Category


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
class DisclosureAdmin(admin.ModelAdmin):
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
