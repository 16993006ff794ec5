"""The record of processing, read from the registry and nothing else.

``inventory_rows()`` is one row per declared personal field, for operators and the
``privacy_inventory`` command; ``collected_by_category()`` groups the same facts by data
category in plain words, for the public "What we collect" page.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from privacy import recipients as recipients_register
from privacy.registry import Category, LegalHold, ModelPolicy, Registry, registry


@dataclass(frozen=True)
class InventoryRow:
    model: str
    field: str
    category: str
    erasure: str
    anonymize: str
    retention: str
    purpose: str
    legal_basis: str
    exported: str
    recipients: list[str]

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "field": self.field,
            "category": self.category,
            "erasure": self.erasure,
            "anonymize": self.anonymize,
            "retention": self.retention,
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "exported": self.exported,
            "recipients": self.recipients,
        }


def retention_text(policy: ModelPolicy) -> str:
    """Say in plain words how long the model's rows are kept."""
    retention = policy.retention
    if retention is None:
        if isinstance(policy.erasure, LegalHold):
            return str(policy.erasure.describe())
        return _("while your account exists")
    events = {
        "account_deletion": _("after your account is deleted"),
        "last_login": _("after your last sign-in"),
    }
    if retention.after in events:
        after = events[retention.after]
    else:
        after = _("from “%(event)s”") % {"event": policy.field_label(retention.after)}
    if not retention.period:
        return _("until it expires")
    if retention.action == "anonymize":
        return _("for %(period)s %(after)s, then anonymized") % {
            "period": retention.describe(),
            "after": after,
        }
    return _("for %(period)s %(after)s, then deleted") % {
        "period": retention.describe(),
        "after": after,
    }


def erasure_text(policy: ModelPolicy) -> str:
    return str(policy.erasure.describe())


def inventory_rows(declarations: Registry = registry) -> list[InventoryRow]:
    """One row per personal field of every declared model, in a stable order."""
    rows = []
    for policy in declarations.personal():
        purpose = policy.purpose
        for name, field_policy in policy.personal_fields().items():
            rows.append(
                InventoryRow(
                    model=policy.label,
                    field=name,
                    category=str(field_policy.category),
                    erasure=str(policy.erasure.action)
                    if not isinstance(policy.erasure, LegalHold)
                    else "legal_hold",
                    anonymize=str(field_policy.anonymize),
                    retention=retention_text(policy),
                    purpose=purpose.key if purpose else "",
                    legal_basis=str(purpose.legal_basis) if purpose else "",
                    exported=policy.export.section if policy.export else "",
                    recipients=list(policy.recipients),
                )
            )
    return rows


@dataclass
class CategorySummary:
    category: Category
    items: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    retention: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)

    @property
    def label(self):
        return self.category.label

    @property
    def description(self):
        return self.category.description


def _add(items: list, value) -> None:
    if value and value not in items:
        items.append(value)


def collected_by_category(declarations: Registry = registry) -> list[CategorySummary]:
    """Group what the registry declares by data category, in the active language."""
    summaries = {category: CategorySummary(category) for category in Category}
    for policy in declarations.personal():
        purpose = policy.purpose
        for name, field_policy in policy.personal_fields().items():
            summary = summaries[field_policy.category]
            _add(summary.items, policy.field_label(name))
            if purpose:
                _add(
                    summary.purposes,
                    _("%(purpose)s (legal basis: %(basis)s)")
                    % {"purpose": purpose.label, "basis": purpose.legal_basis.label},
                )
            _add(summary.retention, f"{policy.display_name}: {retention_text(policy)}")
            for key in policy.recipients:
                recipient = recipients_register.RECIPIENTS[key]
                _add(summary.recipients, str(recipient.name))
    return [s for s in summaries.values() if s.items or s.category == Category.SPECIAL]
