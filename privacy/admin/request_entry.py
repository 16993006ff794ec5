"""Entering a request by hand: one that came by post, phone, in person or by email.

The form checks what staff typed and shows every problem as a form error; the request
itself is recorded by :func:`privacy.services.requests.enter_request`, like every other
request (trail, audit entry, deadline, acknowledgement email).
"""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.models import PrivacyRequest
from privacy.services import objection
from privacy.services import requests as workflow

Type = PrivacyRequest.Type
Channel = PrivacyRequest.Channel


def member_label(user) -> str:
    """How a member is named to staff choosing one: id, name and account address."""
    name = user.get_full_name()
    return " · ".join(part for part in (f"#{user.pk}", name, user.email) if part)


class MemberAutocomplete(AutocompleteSelect):
    """Django's autocomplete widget, asking the queue's own member search (see the admin)."""

    def get_url(self):
        return reverse("admin:privacy_privacyrequest_member_search")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return member_label(obj)


class ManualRequestForm(forms.Form):
    type = forms.ChoiceField(label=_("Request type"), choices=Type.choices)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[(c.value, c.label) for c in PrivacyRequest.STAFF_CHANNELS],
        widget=forms.RadioSelect,
    )
    received_on = forms.DateField(
        label=_("Date received"),
        help_text=_(
            "The day the letter, call, visit or email reached us: the deadline counts from it."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    user = MemberChoiceField(
        label=_("Member account"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text=_(
            "Search by name or address. Leave empty for someone without an account: then "
            "give their name and email address."
        ),
    )
    name = forms.CharField(label=_("Requester's name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Requester's email"),
        required=False,
        help_text=_("Where we answer. For a member, only one of their own addresses."),
    )
    language = forms.ChoiceField(
        label=_("Language of our emails"),
        choices=[("", _("The member's language, or the site's")), *settings.LANGUAGES],
        required=False,
    )
    description = forms.CharField(
        label=_("What they asked"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70}),
        max_length=5000,
        required=False,
    )
    objections = forms.MultipleChoiceField(
        label=_("They object to"),
        choices=list(objection.LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("For an objection: the processing to stop."),
    )
    identity_verified = forms.BooleanField(
        label=_("Identity already verified"),
        required=False,
        help_text=_("Only if you checked who they are, e.g. with an ID shown at the desk."),
    )
    verification_note = forms.CharField(
        label=_("How was the identity checked?"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        required=False,
    )
    acknowledge = forms.BooleanField(
        label=_("Email the acknowledgement now"),
        required=False,
        initial=True,
        help_text=_("The requester is told the reference and the date we answer by."),
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        member = self.fields["user"]
        member.widget = MemberAutocomplete(PrivacyRequest._meta.get_field("user"), admin_site)
        member.widget.choices = member.choices
        self.fields["received_on"].initial = timezone.localdate()

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        member = data.get("user")
        email = data.get("email", "")
        if member is None:
            if not email and "email" not in self.errors:
                self.add_error(
                    "email",
                    _("Give the requester's email address, or choose their member account."),
                )
            if not (data.get("name") or "").strip():
                self.add_error(
                    "name", _("Give the requester's name, or choose their member account.")
                )
        elif email and not workflow.address_of_member(email, member):
            self.add_error(
                "email",
                _(
                    "This address is not one of the chosen member's addresses. Leave it "
                    "empty to answer at the member's address, or check the member."
                ),
            )
        if data.get("type") == Type.OBJECTION:
            if not data.get("objections"):
                self.add_error("objections", _("Choose what they object to."))
        elif data.get("objections"):
            self.add_error("objections", _("Only objection requests name what they object to."))
        if data.get("identity_verified") and not (data.get("verification_note") or "").strip():
            self.add_error(
                "verification_note", _("Say how the identity was checked, for the trail.")
            )
        return data

    def received_at(self) -> datetime:
        """When the request came: now if today, else the start of that day (the safe side)."""
        day = self.cleaned_data["received_on"]
        if day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(datetime.combine(day, time.min))

    def save(self, *, actor) -> PrivacyRequest:
        """Record the request (may raise RequestError, shown as a form error)."""
        data = self.cleaned_data
        details = {"objections": data["objections"]} if data.get("objections") else {}
        return workflow.enter_request(
            data["type"],
            actor=actor,
            channel=data["channel"],
            received_at=self.received_at(),
            user=data.get("user"),
            email=data.get("email", ""),
            name=data.get("name", "").strip(),
            description=data.get("description", ""),
            details=details,
            language=data.get("language", ""),
            verified_note=data["verification_note"].strip()
            if data.get("identity_verified")
            else None,
            acknowledge=data.get("acknowledge", False),
        )
