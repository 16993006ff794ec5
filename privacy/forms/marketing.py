"""The marketing preferences form: validates, then hands over to the marketing service."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from privacy.services import marketing


class MarketingPreferencesForm(forms.Form):
    email = forms.BooleanField(
        label=_("Marketing email"),
        required=False,
        help_text=_(
            "News about films, offers and events. We send a confirmation link first; "
            "nothing arrives until you follow it."
        ),
    )
    sms = forms.BooleanField(
        label=_("Marketing SMS"),
        required=False,
        help_text=_(
            "Offers by text message to the phone number on your profile. Reply STOP "
            "to end them at any time."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        if "initial" not in kwargs and not args:
            current = marketing.get_preferences(user)
            kwargs["initial"] = {
                "email": current.email or current.email_pending,
                "sms": current.sms,
            }
        super().__init__(*args, **kwargs)

    def clean_sms(self):
        wanted = self.cleaned_data["sms"]
        if wanted and not self.user.phone:
            raise ValidationError(
                _(
                    "Add a phone number to your profile first: marketing SMS need a number "
                    "to go to."
                ),
                code="no_phone",
            )
        return wanted

    def save(self, *, request=None) -> list[str]:
        return marketing.update_preferences(
            self.user,
            email=self.cleaned_data["email"],
            sms=self.cleaned_data["sms"],
            request=request,
        )
