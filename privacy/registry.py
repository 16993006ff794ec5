"""The personal-data registry: one declaration per model of what it holds and its fate.

Every app declares its models in its own ``privacy.py`` (discovered at start-up like
``admin.py``)::

    from privacy import registry as pd

    pd.register(
        Booking,
        subject="user",
        purpose=pd.Purpose.CONTRACT_BOOKING,
        fields={
            "user": pd.link(),
            "seats": pd.personal(pd.Category.USAGE, anonymize=pd.Method.KEEP),
            "showtime": pd.not_personal(),
        },
        erasure=pd.LegalHold(law=..., period=timedelta(days=5 * 365)),
        retention=pd.Retention(period=..., after="created_at", action=pd.Action.ANONYMIZE),
        export=pd.Export("bookings", tabular=True),
        recipients=["partner-cinemas"],
    )

Export, erasure, retention, the inventory, the "What we collect" page and the checks read
this registry and nothing else, so a model the registry does not know is a model the
privacy machinery would forget: ``privacy.checks`` makes that a start-up error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# --- Vocabulary ---------------------------------------------------------------------------


class Category(StrEnum):
    """Kinds of personal data, as the policies name them."""

    IDENTITY = "identity"
    CONTACT = "contact"
    FINANCIAL = "financial"
    LOCATION = "location"
    USAGE = "usage"
    DEVICE = "device"
    PREFERENCES = "preferences"
    SOCIAL = "social"
    SECURITY = "security"
    CONTENT = "content"
    SPECIAL = "special"

    @property
    def label(self):
        return CATEGORY_LABELS[self]

    @property
    def description(self):
        return CATEGORY_DESCRIPTIONS[self]


CATEGORY_LABELS = {
    Category.IDENTITY: _("Identity"),
    Category.CONTACT: _("Contact details"),
    Category.FINANCIAL: _("Payments and purchases"),
    Category.LOCATION: _("Location"),
    Category.USAGE: _("Use of the service"),
    Category.DEVICE: _("Devices and browsers"),
    Category.PREFERENCES: _("Preferences"),
    Category.SOCIAL: _("Connected social accounts"),
    Category.SECURITY: _("Sign-in and security"),
    Category.CONTENT: _("Messages and content you send"),
    Category.SPECIAL: _("Special categories (health, beliefs and similar)"),
}
CATEGORY_DESCRIPTIONS = {
    Category.IDENTITY: _("Who you are: your name, date of birth, username and photo."),
    Category.CONTACT: _("How we reach you: email addresses and phone numbers."),
    Category.FINANCIAL: _(
        "What you booked and paid: amounts, payment references and the last digits of a card "
        "when the payment provider gives them. We never store card numbers."
    ),
    Category.LOCATION: _("Where you are, only when you allow it, and only as precise as needed."),
    Category.USAGE: _("What you do in the service: bookings, pages and films you looked at."),
    Category.DEVICE: _("The browser and device you use, and network addresses, shortened."),
    Category.PREFERENCES: _("Your choices: language, favourite cinema and genres, consents."),
    Category.SOCIAL: _("Accounts at other services you connected to sign in."),
    Category.SECURITY: _("What keeps your account safe: password hash, sessions, second factors."),
    Category.CONTENT: _("What you write to us: requests, questions and reports."),
    Category.SPECIAL: _("We collect none unless you give explicit, separate consent."),
}


class LegalBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"

    @property
    def label(self):
        return LEGAL_BASIS_LABELS[self]


LEGAL_BASIS_LABELS = {
    LegalBasis.CONSENT: _("your consent, which you can withdraw at any time"),
    LegalBasis.CONTRACT: _("the contract with you: your account and your bookings"),
    LegalBasis.LEGAL_OBLIGATION: _("a legal obligation"),
    LegalBasis.LEGITIMATE_INTEREST: _("our legitimate interest, which you can object to"),
}


@dataclass(frozen=True)
class PurposeSpec:
    key: str
    label: Promise | str
    legal_basis: LegalBasis


class Purpose:
    """Why personal data is processed; each purpose names its legal basis (M6)."""

    ACCOUNT = PurposeSpec("account", _("Running your account"), LegalBasis.CONTRACT)
    BOOKING = PurposeSpec("booking", _("Selling and managing your tickets"), LegalBasis.CONTRACT)
    SECURITY = PurposeSpec(
        "security", _("Keeping accounts and the service secure"), LegalBasis.LEGITIMATE_INTEREST
    )
    SERVICE_MESSAGES = PurposeSpec(
        "service_messages",
        _("Service messages: confirmations, reminders, security alerts"),
        LegalBasis.CONTRACT,
    )
    TAX_RECORDS = PurposeSpec(
        "tax_records", _("Keeping accounting records the law requires"), LegalBasis.LEGAL_OBLIGATION
    )
    PRIVACY_RIGHTS = PurposeSpec(
        "privacy_rights", _("Answering your privacy requests"), LegalBasis.LEGAL_OBLIGATION
    )
    PREFERENCES = PurposeSpec("preferences", _("Remembering your preferences"), LegalBasis.CONTRACT)
    STAFF_AUDIT = PurposeSpec(
        "staff_audit", _("Recording what staff do with personal data"), LegalBasis.LEGAL_OBLIGATION
    )


class Method(StrEnum):
    """What anonymization does to one field."""

    NULL = "null"  # set to NULL (or the empty value for text)
    REDACT = "redact"  # replace with a fixed placeholder
    HASH = "hash"  # replace with a salted hash (joins without revealing)
    IP_PREFIX = "ip_prefix"  # IPv4 -> /24, IPv6 -> /48
    BIRTH_YEAR = "birth_year"  # keep only the year
    COORDINATES_TO_CITY = "coordinates_to_city"  # replace with the nearest cinema city
    KEEP = "keep"  # keep as is: not identifying once the row is unlinked


class Action(StrEnum):
    DELETE = "delete"
    ANONYMIZE = "anonymize"


# --- Declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldPolicy:
    """How one field is classified, and what anonymization does to it."""

    category: Category | None  # None: not personal
    anonymize: Method = Method.NULL
    reason: str = ""  # why a personal-looking field is not personal
    consent_purpose: str = ""  # for special categories: the explicit-consent purpose
    is_link: bool = False  # the relation to the data subject
    # The field's name as members read it, when the model's own verbose_name is missing or
    # not translated (third-party models, fields named only by their attribute).
    verbose_name: Promise | str = ""

    @property
    def personal(self) -> bool:
        return self.category is not None


def personal(
    category: Category,
    *,
    anonymize: Method = Method.NULL,
    consent_purpose: str = "",
    verbose_name: Promise | str = "",
):
    """A field holding personal data of ``category``.

    ``verbose_name`` (a ``gettext_lazy`` string) names the field for members when the
    model's own name for it is missing or untranslated.
    """
    return FieldPolicy(
        category=category,
        anonymize=anonymize,
        consent_purpose=consent_purpose,
        verbose_name=verbose_name,
    )


def not_personal(reason: str = "", *, verbose_name: Promise | str = "") -> FieldPolicy:
    """A field holding no personal data (say why if its name suggests otherwise).

    ``verbose_name`` names it for members, as for :func:`personal` (a retention period
    counted from it is shown).
    """
    return FieldPolicy(
        category=None, anonymize=Method.KEEP, reason=reason, verbose_name=verbose_name
    )


def link(*, anonymize: Method = Method.NULL) -> FieldPolicy:
    """The relation that points at the data subject (erasure unlinks it)."""
    return FieldPolicy(category=Category.IDENTITY, anonymize=anonymize, is_link=True)


@dataclass(frozen=True)
class Delete:
    """Erasure deletes the subject's rows."""

    action: Action = Action.DELETE

    def describe(self):
        return _("deleted")


@dataclass(frozen=True)
class Anonymize:
    """Erasure keeps the rows but anonymizes each personal field with its method."""

    action: Action = Action.ANONYMIZE

    def describe(self):
        return _("anonymized")


@dataclass(frozen=True)
class LegalHold:
    """Rows a named law requires us to keep: pseudonymized, kept for ``period``."""

    law: Promise | str
    period: timedelta
    action: Action = Action.ANONYMIZE

    def describe(self):
        years = round(self.period.days / 365)
        return ngettext(
            "kept without your name or contact details for %(years)s year (%(law)s)",
            "kept without your name or contact details for %(years)s years (%(law)s)",
            years,
        ) % {
            "years": years,
            "law": self.law,
        }


Erasure = Delete | Anonymize | LegalHold


@dataclass(frozen=True)
class Retention:
    """How long rows are kept after an event, and what expiry does to them.

    ``after`` names a date/time field of the model (``created_at``), or one of the
    events ``"account_deletion"`` and ``"last_login"``. ``legal_minimum`` is the shortest
    period a deployment may set, when a law requires keeping the rows that long.
    """

    period: timedelta
    after: str
    action: Action = Action.DELETE
    legal_minimum: timedelta | None = None

    def describe(self):
        days = self.period.days
        if days and days % 365 == 0:
            amount = ngettext("%(n)s year", "%(n)s years", days // 365) % {"n": days // 365}
        else:
            amount = ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
        return amount


@dataclass(frozen=True)
class Export:
    """The model appears in the member's export under ``section``."""

    section: str
    tabular: bool = False  # also written as CSV


@dataclass
class ModelPolicy:
    model: type[models.Model]
    subject: str | None
    fields: dict[str, FieldPolicy]
    purpose: PurposeSpec | None
    erasure: Erasure
    retention: Retention | None
    export: Export | None
    recipients: tuple[str, ...]
    description: Promise | str = ""
    reason: str = ""  # for models declared as holding no personal data
    locate: Callable | None = None  # custom lookup of a subject's rows
    verbose_name_plural: Promise | str = ""  # the name members read, if not the model's

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def display_name(self) -> str:
        """The model's plural name as members read it, in the active language."""
        return capfirst(str(self.verbose_name_plural or self.model._meta.verbose_name_plural))

    def field_label(self, name: str) -> str:
        """A field's name as members read it, in the active language."""
        declared = self.fields.get(name)
        if declared is not None and declared.verbose_name:
            return capfirst(str(declared.verbose_name))
        model_field = self.model._meta.get_field(name)
        return capfirst(str(getattr(model_field, "verbose_name", name)))

    @property
    def holds_personal_data(self) -> bool:
        return any(f.personal for f in self.fields.values())

    def personal_fields(self) -> dict[str, FieldPolicy]:
        return {name: f for name, f in self.fields.items() if f.personal}

    def categories(self) -> list[Category]:
        seen: list[Category] = []
        for policy in self.fields.values():
            if policy.category and policy.category not in seen:
                seen.append(policy.category)
        return seen

    def rows_of(self, user) -> models.QuerySet:
        """Return this model's rows that belong to ``user``."""
        if self.locate is not None:
            return self.locate(user)
        if self.subject is None:
            return self.model._default_manager.none()
        if self.subject == "self":
            return self.model._default_manager.filter(pk=user.pk)
        return self.model._default_manager.filter(**{self.subject: user})


class Registry:
    def __init__(self):
        self._policies: dict[str, ModelPolicy] = {}

    def register(
        self,
        model: type[models.Model],
        *,
        subject: str | None,
        fields: dict[str, FieldPolicy],
        purpose: PurposeSpec | None = None,
        erasure: Erasure | None = None,
        retention: Retention | None = None,
        export: Export | None = None,
        recipients: Iterable[str] = (),
        description: Promise | str = "",
        locate: Callable | None = None,
        verbose_name_plural: Promise | str = "",
    ) -> ModelPolicy:
        """Declare ``model``: its data subject, each field's category and its fate.

        ``subject`` is the lookup from the model to the user (``"user"``,
        ``"account__user"``), ``"self"`` for the user model, or None with ``locate`` (a
        callable ``user -> QuerySet``) for rows reached another way.

        ``description`` and ``verbose_name_plural`` are shown to members (privacy center,
        deletion page, export): pass ``gettext_lazy`` strings, never plain text, and never
        ``str()`` them here: they are rendered in each reader's language.
        """
        label = model._meta.label
        if label in self._policies:
            raise ValueError(f"{label} is already declared in the personal-data registry.")
        policy = ModelPolicy(
            model=model,
            subject=subject,
            fields=dict(fields),
            purpose=purpose,
            erasure=erasure or Delete(),
            retention=retention,
            export=export,
            recipients=tuple(recipients),
            description=description,
            locate=locate,
            verbose_name_plural=verbose_name_plural,
        )
        self._policies[label] = policy
        return policy

    def register_not_personal(self, model: type[models.Model], *, reason: str) -> ModelPolicy:
        """Declare a model that holds no personal data at all, and say why."""
        policy = self.register(
            model,
            subject=None,
            fields={f.name: not_personal(reason) for f in concrete_fields(model)},
        )
        policy.reason = reason
        return policy

    def unregister(self, model: type[models.Model]) -> None:
        self._policies.pop(model._meta.label, None)

    def get(self, model: type[models.Model]) -> ModelPolicy | None:
        return self._policies.get(model._meta.label)

    def __contains__(self, model) -> bool:
        return model._meta.label in self._policies

    def __iter__(self):
        return iter(sorted(self._policies.values(), key=lambda p: p.label))

    def personal(self) -> list[ModelPolicy]:
        """Declarations of models that hold personal data, in a stable order."""
        return [p for p in self if p.holds_personal_data]


def concrete_fields(model: type[models.Model]) -> list[models.Field]:
    """Fields stored in the model's table, plus its many-to-many relations."""
    opts = model._meta
    found = {f.name: f for f in opts.get_fields() if f.concrete and not f.auto_created}
    found.update((f.name, f) for f in opts.many_to_many)
    return list(found.values())


PERSONAL_LOOKING = re.compile(
    r"(^|_)(e?mail|email\w*|phone\w*|\w*name|ip|ip_address|\w*address|birth\w*|dob|"
    r"location\w*|lat|latitude|lon|lng|longitude|coordinates?|token\w*|avatar\w*|"
    r"passport|iin|ssn|user_agent|secret\w*)($|_)"
)


def looks_personal(field_name: str) -> bool:
    """Return whether a field's name suggests personal data."""
    return bool(PERSONAL_LOOKING.search(field_name.lower()))


registry = Registry()
register = registry.register
register_not_personal = registry.register_not_personal
