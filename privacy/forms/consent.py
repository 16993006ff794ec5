from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.services import consent, cookie_choices

NOT_A_PURPOSE = _("“%(value)s” is not one of the cookie purposes on this form.")


class BannerChoiceForm(forms.Form):
    """The cookie banner: one of its buttons, and the boxes ticked under "Customise"."""

    choice = forms.ChoiceField(
        label=_("Choice"),
        choices=[
            (cookie_choices.ACCEPT_ALL, _("Accept all")),
            (cookie_choices.REJECT_ALL, _("Reject all")),
            (cookie_choices.CUSTOMISE, _("Customise")),
            (cookie_choices.CUSTOM, _("Save my choices")),
        ],
        error_messages={
            "required": _("Choose one of the banner's buttons."),
            "invalid_choice": _("“%(value)s” is not one of the banner's buttons."),
        },
    )
    purposes = forms.MultipleChoiceField(
        label=_("Cookies you allow"),
        choices=[(p, p) for p in consent.BANNER_PURPOSES],
        required=False,
        error_messages={"invalid_choice": NOT_A_PURPOSE},
    )
    next = forms.CharField(required=False, max_length=2000)


class CookieSettingsForm(forms.Form):
    """The cookie settings page: a box per purpose on offer, and explicit confirmations
    for purposes the browser's opt-out signal keeps off."""

    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, offered, locked, allow_override, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purposes"] = forms.MultipleChoiceField(
            label=_("Purposes you allow"),
            choices=[(p, p) for p in offered],
            required=False,
            error_messages={"invalid_choice": NOT_A_PURPOSE},
        )
        self.fields["overrides"] = forms.MultipleChoiceField(
            label=_("I want this although my browser sends an opt-out signal"),
            choices=[(p, p) for p in locked] if allow_override else [],
            required=False,
            error_messages={
                "invalid_choice": _(
                    "“%(value)s” cannot be confirmed against your browser's signal here."
                )
            },
        )
