"""System checks that keep the personal-data registry complete, and task results unstored.

They run at start-up and in ``manage.py check``: a model the privacy machinery does not
know about cannot be deployed, nor can a Celery result backend that keeps task results
(they may carry member ids). Each problem is an Error, never a Warning.
"""

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from privacy import recipients as recipients_register
from privacy.registry import (
    Category,
    ModelPolicy,
    Registry,
    concrete_fields,
    looks_personal,
    registry,
)

EVENTS = {"account_deletion", "last_login"}


def _user_model():
    return apps.get_model(settings.AUTH_USER_MODEL)


def _points_at_user(model) -> bool:
    user_model = _user_model()
    if model is user_model:
        return True
    return any(f.is_relation and f.related_model is user_model for f in concrete_fields(model))


def _resolve_subject(policy: ModelPolicy):
    """Return the model the subject lookup ends at, or None if it does not resolve."""
    if policy.subject == "self":
        return policy.model
    model = policy.model
    for part in policy.subject.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if not field.is_relation:
            return None
        model = field.related_model
    return model


def _check_policy(policy: ModelPolicy) -> list[checks.CheckMessage]:
    errors = []
    model = policy.model
    label = policy.label
    declared = set(policy.fields)
    actual = {f.name: f for f in concrete_fields(model)}

    for name in sorted(set(actual) - declared):
        errors.append(
            checks.Error(
                f"{label}.{name} is not classified in the personal-data registry.",
                hint="Add it to the model's declaration in its app's privacy.py, with a data "
                "category or pd.not_personal().",
                obj=model,
                id="privacy.E003",
            )
        )
    for name in sorted(declared - set(actual)):
        errors.append(
            checks.Error(
                f"{label} declares '{name}', which is not a field of the model.",
                obj=model,
                id="privacy.E004",
            )
        )
    for name, field_policy in policy.fields.items():
        if not field_policy.personal and looks_personal(name) and not field_policy.reason:
            errors.append(
                checks.Error(
                    f"{label}.{name} looks personal but is declared not personal without a reason.",
                    hint="Give pd.not_personal(reason=...) or classify it.",
                    obj=model,
                    id="privacy.E005",
                )
            )
        if field_policy.category == Category.SPECIAL and not field_policy.consent_purpose:
            errors.append(
                checks.Error(
                    f"{label}.{name} is special-category data but names no explicit-consent "
                    "purpose.",
                    hint="Special-category data is collected only with explicit, separate "
                    "consent: pass consent_purpose=...",
                    obj=model,
                    id="privacy.E006",
                )
            )

    if policy.holds_personal_data:
        if policy.subject is None and policy.locate is None:
            errors.append(
                checks.Error(
                    f"{label} holds personal data but names no way to reach its data subject.",
                    hint="Pass subject='user' (a lookup to the user model) or locate=callable.",
                    obj=model,
                    id="privacy.E007",
                )
            )
        elif policy.subject is not None and _resolve_subject(policy) is not _user_model():
            errors.append(
                checks.Error(
                    f"{label}: subject lookup '{policy.subject}' does not lead to the user model.",
                    obj=model,
                    id="privacy.E007",
                )
            )
        if policy.purpose is None:
            errors.append(
                checks.Error(
                    f"{label} holds personal data but names no purpose (and so no legal basis).",
                    obj=model,
                    id="privacy.E010",
                )
            )

    for key in policy.recipients:
        if key not in recipients_register.RECIPIENTS:
            errors.append(
                checks.Error(
                    f"{label} names unknown recipient '{key}'.",
                    hint="Declare it in privacy/recipients.py.",
                    obj=model,
                    id="privacy.E008",
                )
            )

    retention = policy.retention
    if retention is not None:
        if retention.after not in EVENTS and retention.after not in actual:
            errors.append(
                checks.Error(
                    f"{label}: retention counts from '{retention.after}', which is neither a "
                    f"field nor one of {sorted(EVENTS)}.",
                    obj=model,
                    id="privacy.E009",
                )
            )
        if retention.legal_minimum and retention.period < retention.legal_minimum:
            errors.append(
                checks.Error(
                    f"{label}: retention period is shorter than the legal minimum.",
                    obj=model,
                    id="privacy.E011",
                )
            )
    return errors


@checks.register("privacy")
def check_registry(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every model is declared when it points at a user or has personal-looking fields,
    and every declaration is complete and consistent."""
    models = (
        [m for config in app_configs for m in config.get_models()]
        if app_configs
        else apps.get_models()
    )
    return check_models(models, registry)


def check_models(models, declarations: Registry) -> list[checks.CheckMessage]:
    """Return the registry problems of ``models`` against ``declarations``."""
    errors: list[checks.CheckMessage] = []
    for model in models:
        if model._meta.proxy:
            continue  # Same table as its concrete model, which carries the declaration.
        policy = declarations.get(model)
        if policy is not None:
            errors.extend(_check_policy(policy))
            continue
        if _points_at_user(model):
            errors.append(
                checks.Error(
                    f"{model._meta.label} relates to the user model but is not declared in "
                    "the personal-data registry.",
                    hint="Declare it in its app's privacy.py (pd.register(...)).",
                    obj=model,
                    id="privacy.E001",
                )
            )
            continue
        suspicious = [f.name for f in concrete_fields(model) if looks_personal(f.name)]
        if suspicious:
            errors.append(
                checks.Error(
                    f"{model._meta.label} has fields that look personal ({', '.join(suspicious)})"
                    " but is not declared in the personal-data registry.",
                    hint="Declare it in its app's privacy.py; use pd.register_not_personal(...,"
                    " reason=...) if it holds no personal data.",
                    obj=model,
                    id="privacy.E002",
                )
            )
    return errors


# --- Task results ---------------------------------------------------------------------------

NO_BACKEND = {"", "disabled", "none"}


@checks.register("privacy")
def check_task_results(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Celery keeps no task results: they may carry member ids (docs/erasure.md)."""
    from cinema.celery import app as celery_app

    return task_result_problems(celery_app)


def task_result_problems(celery_app) -> list[checks.CheckMessage]:
    """Return an Error when ``celery_app`` stores task results in a result backend.

    A stored result (``celery-task-meta-*``) holds the task's return value, and with
    ``result_extended`` or a failure its arguments and traceback: member ids, export ids,
    erasure job ids, kept in the backend for a day by default, out of reach of erasure,
    retention and export. The project configures no backend and ignores results
    (``CELERY_TASK_IGNORE_RESULT``); a backend may be set only while nothing is stored.
    """
    conf = celery_app.conf
    backend = str(conf.result_backend or "").strip()
    scheme = backend.split(":", 1)[0].lower()
    if scheme in NO_BACKEND:
        return []
    keeping = []
    if not conf.task_ignore_result:
        keeping.append("CELERY_TASK_IGNORE_RESULT is off")
    if conf.task_store_errors_even_if_ignored:
        keeping.append("CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED is on")
    tasks = sorted(
        name
        for name, task in celery_app.tasks.items()
        if not name.startswith("celery.")
        and (task.ignore_result is False or task.store_errors_even_if_ignored)
    )
    if tasks and conf.task_ignore_result:
        keeping.append("these tasks keep their results: " + ", ".join(tasks))
    if not keeping:
        return []
    return [
        checks.Error(
            f"A Celery result backend ({scheme}) is configured and task results are kept "
            f"({'; '.join(keeping)}). Results may carry member ids and outlive an erasure.",
            hint="Unset CELERY_RESULT_BACKEND (settings or environment) and keep "
            "CELERY_TASK_IGNORE_RESULT = True; do not pass ignore_result=False to tasks.",
            id="privacy.E012",
        )
    ]
