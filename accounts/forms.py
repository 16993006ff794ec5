import copy

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from accounts import names
from accounts.app_settings import app_settings
from accounts.validators import validate_date_of_birth

User = get_user_model()

username_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]{3,40}$",
    _("Use 3 to 40 letters, digits, dots, dashes or underscores."),
)


class DateInput(forms.DateInput):
    input_type = "date"


NAME_FIELDS = ("first_name", "last_name", "patronymic")


class ProfileFieldsMixin(forms.Form):
    """Fields shared by sign-up and profile editing, validated the same way."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    patronymic = forms.CharField(
        label=_("Patronymic"),
        max_length=150,
        required=False,
        help_text=_("Optional."),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        required=False,
        validators=[username_validator],
        help_text=_("Optional public name; you always sign in with your email."),
    )
    phone = PhoneNumberField(
        label=_("Phone number"),
        required=False,
        help_text=_("Optional. International format, for example +7 701 234 5678."),
        # The library's own message gives a national example ("8 (71234) 5 67 89") that
        # contradicts the hint above.
        error_messages={
            "invalid": _(
                "Enter a valid phone number in international format, for example +7 701 234 5678."
            )
        },
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=DateInput(format="%Y-%m-%d"),
        validators=[validate_date_of_birth],
    )
    preferred_language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, required=False
    )

    def prepare_signup_fields(self):
        """Put back our optional username, preselect the page's language, order the fields.

        allauth's sign-up forms drop (or prefill) their own username field; ours is an
        optional public name the member chooses, or leaves empty.
        """
        self.fields["username"] = copy.deepcopy(ProfileFieldsMixin.base_fields["username"])
        current = (get_language() or settings.LANGUAGE_CODE).lower()
        codes = [code for code, _name in settings.LANGUAGES]
        self.fields["preferred_language"].initial = current if current in codes else "en"
        self.order_fields(self.field_order)
        self.order_name_fields()

    def order_name_fields(self):
        """Put the name fields in the order the page's language writes names."""
        order = list(self.fields)
        slots = sorted(order.index(name) for name in NAME_FIELDS if name in order)
        wanted = [name for name in names.name_field_order() if name in order]
        for slot, name in zip(slots, wanted, strict=True):
            order[slot] = name
        self.order_fields(order)

    def clean_username(self):
        username = self.cleaned_data.get("username") or None
        if username:
            others = User.objects.filter(username__iexact=username)
            instance = getattr(self, "instance", None)
            if instance is not None and instance.pk:
                others = others.exclude(pk=instance.pk)
            if others.exists():
                raise forms.ValidationError(_("This username is already taken."), code="taken")
        return username


class SignupForm(ProfileFieldsMixin, AllauthSignupForm):
    """allauth's sign-up form plus the profile fields the member sees, nothing more."""

    field_order = [
        "email",
        "first_name",
        "last_name",
        "patronymic",
        "date_of_birth",
        "phone",
        "username",
        "preferred_language",
        "password1",
        "password2",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepare_signup_fields()


class SocialSignupForm(ProfileFieldsMixin, AllauthSocialSignupForm):
    """Sign-up after Google, Facebook, X or Apple: the provider's name and email, prefilled,
    plus the fields no provider gives us, above all the date of birth (age gate)."""

    field_order = [
        "email",
        "first_name",
        "last_name",
        "patronymic",
        "date_of_birth",
        "phone",
        "username",
        "preferred_language",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The provider's handle is not our public name: the member chooses one, or none.
        self.initial.pop("username", None)
        self.prepare_signup_fields()


class ProfileForm(ProfileFieldsMixin, forms.ModelForm):
    """What a member may correct about themselves in place."""

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "patronymic",
            "date_of_birth",
            "phone",
            "username",
            "preferred_language",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_name_fields()


class AvatarForm(forms.Form):
    """Choose a photo; accounts.services.avatar decides whether it is acceptable."""

    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = app_settings.AVATAR_MAX_DIMENSION
        self.fields["photo"].help_text = format_lazy(
            _(
                "JPEG, PNG, WebP or GIF, up to {size} and at most {limit} pixels wide and "
                "high. We remove location, camera and other details from the file and shrink "
                "it to fit {stored} pixels."
            ),
            size=filesizeformat(app_settings.AVATAR_MAX_BYTES),
            limit=limit,
            stored=app_settings.AVATAR_SIZE,
        )
