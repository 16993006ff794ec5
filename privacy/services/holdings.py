"""What we hold about one member, by data category: the privacy center's "your data" (K6).

*What* exists comes from the personal-data registry and nothing else: every declared model
that holds personal data is counted for the member (``policy.rows_of(user)``), and each
card says why it is kept and on what legal basis (``policy.purpose``), for how long
(``policy.retention``), what deletion does to it (``policy.erasure``) and who receives it
(``policy.recipients`` -> :mod:`privacy.recipients`). A model added to the registry shows up
here without a change to this module.

Examples (the latest bookings, the email addresses, the last devices...) come only from
the explicit :data:`EXAMPLES` table, never from a generic dump of fields, so a secret
cannot appear by accident; the security category (password hash, sessions, second factors,
codes) is shown as counts and field names only.

Cost does not grow with the member's data: one query counts the member's rows in every
declared model (a scalar subquery per model), and each model with rows and an entry in
:data:`EXAMPLES` adds one query reading at most a handful of rows. Models reached through
a ``locate`` callable may add that callable's own lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from privacy import recipients as recipients_register
from privacy.registry import Category, ModelPolicy, registry
from privacy.services import consent
from privacy.services.inventory import erasure_text, retention_text
from privacy.services.network import user_agent_family

EXAMPLE_ROWS = 3
# Shown as counts and field names only, whatever the model.
COUNTS_ONLY = frozenset({Category.SECURITY})


@dataclass(frozen=True)
class RecipientInfo:
    name: str
    category: str
    countries: list[str]


@dataclass
class Holding:
    """One declared model's rows about the member, seen from one data category."""

    label: str  # the model's plural name
    description: str
    count: int
    fields: list[str]
    examples: list[str]
    purpose: str
    legal_basis: str
    retention: str
    erasure: str
    recipients: list[RecipientInfo]
    change_url: str = ""  # where the member corrects it in place, if they can


@dataclass
class CategoryHoldings:
    category: Category
    holdings: list[Holding] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.category)

    @property
    def label(self):
        return self.category.label

    @property
    def description(self):
        return self.category.description

    @property
    def counts_only(self) -> bool:
        return self.category in COUNTS_ONLY

    @property
    def total(self) -> int:
        return sum(h.count for h in self.holdings)


# --- Counting -------------------------------------------------------------------------------


def _count_expression(queryset: QuerySet) -> Coalesce:
    # COUNT(*) as a scalar subquery: no GROUP BY, so it is one row even over no rows.
    counted = queryset.order_by().values(n=Func(F("pk"), function="COUNT"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def count_rows(
    user, policies: list[ModelPolicy], *, querysets: dict[str, QuerySet] | None = None
) -> dict[str, int]:
    """Return model label -> number of the member's rows, in one query.

    ``querysets`` (label -> the member's rows) saves building them again when the caller
    already has them.
    """
    counts: dict[str, int] = {}
    expressions = {}
    aliases = {}
    for index, policy in enumerate(policies):
        rows = querysets[policy.label] if querysets else policy.rows_of(user)
        if rows.query.is_empty():
            counts[policy.label] = 0
            continue
        alias = f"count_{index}"
        aliases[alias] = policy.label
        expressions[alias] = _count_expression(rows)
    if expressions:
        row = get_user_model().objects.filter(pk=user.pk).values(**expressions).first() or {}
        for alias, label in aliases.items():
            counts[label] = int(row.get(alias) or 0)
    return counts


# --- Examples -------------------------------------------------------------------------------
# Each function gets the member and their rows of one model and returns example lines per
# category, reading at most EXAMPLE_ROWS rows (or a small, bounded set) in one query.

Examples = dict[Category, list[str]]


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def _datetime(value) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


PROFILE_FIELDS = (
    "first_name",
    "patronymic",
    "last_name",
    "username",
    "date_of_birth",
    "email",
    "phone",
    "preferred_language",
    "avatar",
    "date_joined",
    "last_login",
)


def _profile_examples(user, rows) -> Examples:
    # The signed-in member's own row is already loaded: no query.
    model = get_user_model()
    policy = registry.get(model)
    found: Examples = {}
    for name in PROFILE_FIELDS:
        field_policy = policy.fields.get(name) if policy else None
        if field_policy is None or field_policy.category in COUNTS_ONLY:
            continue
        model_field = model._meta.get_field(name)
        value = getattr(user, name, None)
        if name == "avatar":
            shown = _("added") if value else ""
        elif getattr(model_field, "choices", None):
            shown = str(getattr(user, f"get_{name}_display")()) if value else ""
        elif isinstance(value, date):
            shown = _date(value)
        else:
            shown = str(value or "")
        if shown:
            found.setdefault(field_policy.category, []).append(
                f"{capfirst(str(model_field.verbose_name))}: {shown}"
            )
    return found


def _email_examples(user, rows) -> Examples:
    lines = []
    for email, verified in rows.order_by("-primary", "email").values_list("email", "verified")[
        :EXAMPLE_ROWS
    ]:
        lines.append(f"{email} ({_('verified') if verified else _('not verified')})")
    return {Category.CONTACT: lines}


def _device_examples(user, rows) -> Examples:
    lines = []
    for agent, last_seen in rows.order_by("-last_seen_at").values_list(
        "user_agent", "last_seen_at"
    )[:EXAMPLE_ROWS]:
        browser = user_agent_family(agent) or _("Unknown browser")
        seen = _date(last_seen)
        lines.append(_("%(browser)s, last seen %(date)s") % {"browser": browser, "date": seen})
    return {Category.DEVICE: lines}


def _booking_examples(user, rows) -> Examples:
    from cinema.money import format_money
    from cinema.selectors import shown

    usage, financial = [], []
    # The film's title as the member reads it elsewhere (their language, else English).
    examples = rows.annotate(film_title=shown("showtime__film__title")).order_by(
        "-created_at", "-pk"
    )
    for title, starts_at, total, currency in examples.values_list(
        "film_title", "showtime__starts_at", "total_price", "currency"
    )[:EXAMPLE_ROWS]:
        usage.append(f"{title}, {_datetime(starts_at)}")
        financial.append(f"{title}: {format_money(total, currency)}")
    return {Category.USAGE: usage, Category.FINANCIAL: financial}


def _preference_examples(user, rows) -> Examples:
    cinema_name, genres = "", []
    for cinema, genre in rows.values_list("favourite_cinema__name", "favourite_genres__name")[:20]:
        cinema_name = cinema_name or (cinema or "")
        if genre and genre not in genres:
            genres.append(genre)
    lines = []
    if cinema_name:
        lines.append(_("Favourite cinema: %(cinema)s") % {"cinema": cinema_name})
    if genres:
        lines.append(_("Favourite genres: %(genres)s") % {"genres": ", ".join(sorted(genres))})
    return {Category.PREFERENCES: lines}


def _purpose_name(key: str) -> str:
    texts = consent.PURPOSE_TEXTS.get(key)
    return str(texts[0]) if texts else key


def _consent_state_examples(user, rows) -> Examples:
    lines = [
        _("%(purpose)s: %(answer)s")
        % {"purpose": _purpose_name(purpose), "answer": _("yes") if granted else _("no")}
        for purpose, granted in rows.order_by("purpose").values_list("purpose", "granted")[
            : len(consent.PURPOSES)
        ]
    ]
    return {Category.PREFERENCES: lines}


def _consent_record_examples(user, rows) -> Examples:
    lines = []
    for purpose, granted, created_at in rows.order_by("-created_at", "-pk").values_list(
        "purpose", "granted", "created_at"
    )[:EXAMPLE_ROWS]:
        answer = _("agreed") if granted else _("refused or withdrawn")
        lines.append(f"{_purpose_name(purpose)}: {answer}, {_date(created_at)}")
    return {Category.PREFERENCES: lines}


def _tracking_examples(user, rows) -> Examples:
    from privacy.models import TrackingEvent

    kinds = dict(TrackingEvent.Kind.choices)
    devices = dict(TrackingEvent.DeviceClass.choices)
    usage, device, location = [], [], []
    for kind, path, query, browser, device_class, city, created_at in rows.order_by(
        "-created_at", "-pk"
    ).values_list(
        "kind", "path", "search_query", "browser_family", "device_class", "city", "created_at"
    )[:EXAMPLE_ROWS]:
        what = f"“{query}”" if query else path
        usage.append(f"{kinds.get(kind, kind)}: {what}, {_date(created_at)}")
        described = ", ".join(filter(None, [browser, str(devices.get(device_class, ""))]))
        if described and described not in device:
            device.append(described)
        if city and city not in location:
            location.append(city)
    return {Category.USAGE: usage, Category.DEVICE: device, Category.LOCATION: location}


def _request_examples(user, rows) -> Examples:
    from privacy.models import PrivacyRequest

    types = dict(PrivacyRequest.Type.choices)
    statuses = dict(PrivacyRequest.Status.choices)
    lines = []
    for pk, kind, status, received_at in rows.order_by("-received_at", "-pk").values_list(
        "pk", "type", "status", "received_at"
    )[:EXAMPLE_ROWS]:
        lines.append(
            f"PR-{pk:06d} {types.get(kind, kind)}: {statuses.get(status, status)}, "
            f"{_date(received_at)}"
        )
    return {Category.CONTENT: lines}


def _social_examples(user, rows) -> Examples:
    from allauth.socialaccount.providers import registry as providers

    names = []
    for provider_id in sorted(set(rows.values_list("provider", flat=True)[:10])):
        provider = providers.get_class(provider_id)
        names.append(provider.name if provider is not None else provider_id)
    return {Category.SOCIAL: names}


def _campaign_examples(user, rows) -> Examples:
    lines = [
        f"{subject}, {_date(sent_at)}"
        for subject, sent_at in rows.order_by("-sent_at", "-pk").values_list(
            "campaign__subject", "sent_at"
        )[:EXAMPLE_ROWS]
    ]
    return {Category.USAGE: lines}


def _breach_examples(user, rows) -> Examples:
    lines = [
        f"{title}, {_date(notified_at) or _('not notified yet')}"
        for title, notified_at in rows.order_by("-pk").values_list("breach__title", "notified_at")[
            :EXAMPLE_ROWS
        ]
    ]
    return {Category.CONTENT: lines}


EXAMPLES: dict[str, Callable[[object, QuerySet], Examples]] = {
    "accounts.User": _profile_examples,
    "account.EmailAddress": _email_examples,
    "usersessions.UserSession": _device_examples,
    "cinema.Booking": _booking_examples,
    "cinema.MemberPreferences": _preference_examples,
    "privacy.ConsentState": _consent_state_examples,
    "privacy.ConsentRecord": _consent_record_examples,
    "privacy.TrackingEvent": _tracking_examples,
    "privacy.PrivacyRequest": _request_examples,
    "socialaccount.SocialAccount": _social_examples,
    "privacy.CampaignDelivery": _campaign_examples,
    "privacy.BreachAffectedMember": _breach_examples,
}

# Where the member corrects a model's data themselves (URL names).
CHANGE_URLS = {
    "accounts.User": "accounts:profile",
    "account.EmailAddress": "account_email",
    "cinema.MemberPreferences": "cinema:preferences",
    "privacy.ConsentState": "privacy:cookie_settings",
    "usersessions.UserSession": "usersessions_list",
    "socialaccount.SocialAccount": "socialaccount_connections",
}


# --- The member's holdings -------------------------------------------------------------------


def _categories_of(policy: ModelPolicy) -> dict[Category, list[str]]:
    """Return category -> field names (verbose) of the model's personal data, links aside."""
    found: dict[Category, list[str]] = {}
    for name, field_policy in policy.personal_fields().items():
        if field_policy.is_link:
            continue
        found.setdefault(field_policy.category, []).append(policy.field_label(name))
    if not found:
        # Rows whose only personal data is the link to the member (e.g. "written by").
        found[Category.IDENTITY] = []
    return found


def _recipients(policy: ModelPolicy) -> list[RecipientInfo]:
    found = []
    for key in policy.recipients:
        recipient = recipients_register.RECIPIENTS[key]
        found.append(
            RecipientInfo(
                name=str(recipient.name),
                category=str(recipient.category),
                countries=recipient.countries,
            )
        )
    return found


def _change_url(policy: ModelPolicy) -> str:
    name = CHANGE_URLS.get(policy.label)
    if not name:
        return ""
    try:
        return reverse(name)
    except NoReverseMatch:  # a feature switched off in this deployment (its URLs not routed)
        return ""


def member_holdings(user) -> list[CategoryHoldings]:
    """Return what we hold about ``user``, grouped by data category, in the active language.

    Only models with rows about the member appear; categories follow the registry's order.
    """
    policies = registry.personal()
    querysets = {policy.label: policy.rows_of(user) for policy in policies}
    counts = count_rows(user, policies, querysets=querysets)
    by_category = {category: CategoryHoldings(category) for category in Category}
    for policy in policies:
        count = counts.get(policy.label, 0)
        if not count:
            continue
        examples: Examples = {}
        example = EXAMPLES.get(policy.label)
        categories = _categories_of(policy)
        if example is not None and set(categories) - COUNTS_ONLY:
            examples = example(user, querysets[policy.label])
        purpose = policy.purpose
        plural = policy.display_name
        for category, field_names in categories.items():
            by_category[category].holdings.append(
                Holding(
                    label=plural,
                    description=str(policy.description or ""),
                    count=count,
                    fields=field_names,
                    examples=[] if category in COUNTS_ONLY else examples.get(category, []),
                    purpose=str(purpose.label) if purpose else "",
                    legal_basis=str(purpose.legal_basis.label) if purpose else "",
                    retention=retention_text(policy),
                    erasure=erasure_text(policy),
                    recipients=_recipients(policy),
                    change_url=_change_url(policy),
                )
            )
    return [group for group in by_category.values() if group.holdings]


def editable_profile_fields() -> list[str]:
    """Return the names of the profile fields a member corrects in place, in form order."""
    from accounts.forms import ProfileForm

    model = ProfileForm._meta.model
    names = [*ProfileForm._meta.fields, "email", "avatar"]
    return [capfirst(str(model._meta.get_field(name).verbose_name)) for name in names]
