"""Forms of the privacy center: contact, guardian report, rectification, the switches, codes.

Each form validates what a person typed and hands over to one service in ``save()``
(:mod:`privacy.services.requests`, ``restriction``, ``objection``); none holds logic of
its own beyond the checks a person should see as a form error.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.models import PrivacyRequest
from privacy.services import objection, requests, restriction

Type = PrivacyRequest.Type

# A requester without an account may ask for a new code this often, this many times in all:
# every code is an email to the address they gave, which may not be theirs.
RESEND_INTERVAL = timedelta(seconds=60)
MAX_CODES_PER_REQUEST = 5

MESSAGE_MAX_LENGTH = 5000

ERRORS = {
    "name_required": _("Tell us your name so that we know whom we are answering."),
    "email_required": _("Give an email address: we send the code and our answer there."),
    "resend_too_soon": _("We have just sent a code. Wait a minute before asking for another."),
    "too_many_codes": _(
        "We have sent the most codes we send for one request. Send your request again from "
        "the contact form if you did not receive them."
    ),
    "wrong_code": _(
        "That code is not right or has expired. Check the latest email from us, or ask for "
        "a new code."
    ),
}


def _message_field(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ContactForm(forms.Form):
    """A question, a report of a suspected leak or a complaint, to the privacy team (L4, S2).

    Signed-in members are known; visitors give a name and an email address, and confirm the
    address with a code before the request counts as received.
    """

    KINDS = [
        (Type.INQUIRY, _("A question about my data or this policy")),
        (Type.LEAK_REPORT, _("A report that my data may have leaked or been misused")),
        (Type.COMPLAINT, _("A complaint about how my data was handled")),
    ]

    kind = forms.ChoiceField(label=_("What is it about?"), choices=KINDS, widget=forms.RadioSelect)
    message = _message_field(
        _("Your message"),
        _("Please do not include passwords or card numbers. We answer within the legal deadline."),
    )
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Your email address"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user if user is not None and user.is_authenticated else None
        super().__init__(*args, **kwargs)
        if self.user is not None:
            # A member is known: the request goes to their account and their address.
            del self.fields["name"]
            del self.fields["email"]
        else:
            self.fields["name"].required = True
            self.fields["name"].error_messages["required"] = ERRORS["name_required"]
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = ERRORS["email_required"]

    def save(self) -> PrivacyRequest:
        data = self.cleaned_data
        if self.user is not None:
            return requests.open_request(data["kind"], user=self.user, description=data["message"])
        return requests.open_request(
            data["kind"],
            email=data["email"],
            name=data["name"].strip(),
            description=data["message"],
        )


class GuardianReportForm(forms.Form):
    """A parent or guardian reports a child's account (K8). No account needed.

    The child's account is not looked up here: staff do that after the guardian's address
    is confirmed, so the answer is the same whether or not such an account exists.
    """

    RELATIONSHIPS = [
        ("parent", _("Parent")),
        ("guardian", _("Legal guardian")),
        ("other", _("Other person with parental responsibility")),
    ]

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send a code to confirm it, and our answer."),
    )
    relationship = forms.ChoiceField(label=_("You are the child's"), choices=RELATIONSHIPS)
    child = forms.CharField(
        label=_("The child's account: email address or name"),
        max_length=254,
        help_text=_("What you know of the account: the email address it uses, or the name."),
    )
    message = _message_field(
        _("What should we know?"),
        _("For example the child's age, and whether you want the account closed."),
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user if user is not None and user.is_authenticated else None
        super().__init__(*args, **kwargs)
        if self.user is not None:
            del self.fields["email"]
            self.fields["name"].initial = " ".join(
                part for part in (self.user.first_name, self.user.last_name) if part
            )

    def save(self) -> PrivacyRequest:
        data = self.cleaned_data
        details = {"relationship": data["relationship"], "child": data["child"].strip()}
        if self.user is not None:
            return requests.open_request(
                Type.GUARDIAN_REPORT,
                user=self.user,
                name=data["name"].strip(),
                description=data["message"],
                details=details,
            )
        return requests.open_request(
            Type.GUARDIAN_REPORT,
            email=data["email"],
            name=data["name"].strip(),
            description=data["message"],
            details=details,
        )


class RectificationForm(forms.Form):
    """Correction of data the member cannot edit themselves (K6, S7).

    Only data we hold and the member cannot change in place: the profile, the email
    addresses and the photo are edited in the account (``accounts.forms.ProfileForm``),
    and a booking holds no name, only its seats, prices and status.
    """

    DATA = [
        ("booking", _("The details of a booking or its payment")),
        ("requests", _("A privacy request or its answer")),
        ("consents", _("My consent history")),
        ("other", _("Something else")),
    ]

    data = forms.ChoiceField(label=_("Which data is wrong?"), choices=DATA)
    message = _message_field(
        _("What is wrong, and what should it say?"),
        _("For a booking, give its code (for example T00012)."),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def save(self) -> PrivacyRequest:
        return requests.open_request(
            Type.RECTIFICATION,
            user=self.user,
            description=self.cleaned_data["message"],
            details={"data": self.cleaned_data["data"]},
        )


class RestrictionForm(forms.Form):
    """The restriction switch: "on" restricts processing, "off" lifts the restriction."""

    restricted = forms.ChoiceField(
        choices=[("on", _("Restrict processing")), ("off", _("Lift the restriction"))]
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def save(self) -> bool:
        """Apply the switch; return whether processing is restricted now."""
        if self.cleaned_data["restricted"] == "on":
            restriction.restrict(self.user)
            return True
        restriction.lift(self.user)
        return False


class ObjectionForm(forms.Form):
    objection = forms.ChoiceField(choices=[(k, v) for k, v in objection.LABELS.items()])

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def save(self, *, request=None) -> PrivacyRequest:
        return objection.object_to(self.user, self.cleaned_data["objection"], request=request)


class VerificationCodeForm(forms.Form):
    """The code we emailed to a requester without an account."""

    code = forms.CharField(
        label=_("Code from the email"),
        max_length=requests.CODE_LENGTH + 4,  # room for spaces around it
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, privacy_request: PrivacyRequest, **kwargs):
        self.privacy_request = privacy_request
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not requests.check_code(self.privacy_request, code):
            raise ValidationError(ERRORS["wrong_code"], code="wrong_code")
        return code


class ResendCodeForm(forms.Form):
    """Ask for a new code: not sooner than a minute after the last, and a few times at most."""

    def __init__(self, *args, privacy_request: PrivacyRequest, **kwargs):
        self.privacy_request = privacy_request
        super().__init__(*args, **kwargs)

    def clean(self):
        codes = self.privacy_request.verification_codes
        if codes.count() >= MAX_CODES_PER_REQUEST:
            raise ValidationError(ERRORS["too_many_codes"], code="too_many_codes")
        latest = codes.order_by("-created_at").values_list("created_at", flat=True).first()
        if latest is not None and timezone.now() - latest < RESEND_INTERVAL:
            raise ValidationError(ERRORS["resend_too_soon"], code="resend_too_soon")
        return super().clean()

    def save(self) -> None:
        requests.send_code(self.privacy_request)
