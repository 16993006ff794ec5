"""The registry check: green on the real project, red on every way to forget data."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from privacy import registry as pd
from privacy.checks import check_models, check_registry
from privacy.registry import Registry

User = get_user_model()


def error_ids(models_, declarations):
    return [e.id for e in check_models(models_, declarations)]


def test_the_real_project_is_fully_declared():
    assert check_registry() == []
    call_command("check")  # raises SystemCheckError on any error


def test_every_model_pointing_at_the_user_is_declared_with_a_subject():
    user_model = get_user_model()
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        points_at_user = any(
            getattr(f, "related_model", None) is user_model
            for f in model._meta.get_fields()
            if f.concrete
        )
        if points_at_user:
            policy = pd.registry.get(model)
            assert policy is not None, model
            assert policy.subject or policy.locate, model


@isolate_apps("privacy")
def test_undeclared_model_with_a_relation_to_the_user_is_an_error():
    class Ticket(models.Model):
        class Meta:
            app_label = "privacy"

        owner = models.ForeignKey(User, on_delete=models.CASCADE)

    errors = check_models([Ticket], Registry())

    assert [e.id for e in errors] == ["privacy.E001"]
    assert errors[0].level >= 40  # ERROR, not a warning
    assert "Ticket" in errors[0].msg


@isolate_apps("privacy")
def test_undeclared_model_with_personal_looking_fields_is_an_error():
    class Lead(models.Model):
        class Meta:
            app_label = "privacy"

        contact_email = models.EmailField()
        notes = models.TextField()

    assert error_ids([Lead], Registry()) == ["privacy.E002"]


@isolate_apps("privacy")
def test_undeclared_model_without_personal_data_passes():
    class Colour(models.Model):
        class Meta:
            app_label = "privacy"

        hex_code = models.CharField(max_length=7)

    assert error_ids([Colour], Registry()) == []


@isolate_apps("privacy")
def test_unclassified_field_of_a_declared_model_is_an_error():
    class Review(models.Model):
        class Meta:
            app_label = "privacy"

        author = models.ForeignKey(User, on_delete=models.CASCADE)
        text = models.TextField()
        stars = models.PositiveSmallIntegerField()

    declarations = Registry()
    declarations.register(
        Review,
        subject="author",
        purpose=pd.Purpose.ACCOUNT,
        fields={"author": pd.link(), "text": pd.personal(pd.Category.CONTENT)},
    )

    errors = check_models([Review], declarations)
    assert [e.id for e in errors] == ["privacy.E003"]
    assert "stars" in errors[0].msg


@isolate_apps("privacy")
def test_personal_looking_field_marked_not_personal_needs_a_reason():
    class Venue(models.Model):
        class Meta:
            app_label = "privacy"

        address = models.CharField(max_length=200)

    without_reason, with_reason = Registry(), Registry()
    without_reason.register(Venue, subject=None, fields={"address": pd.not_personal()})
    with_reason.register(
        Venue, subject=None, fields={"address": pd.not_personal(reason="A business address.")}
    )

    assert error_ids([Venue], without_reason) == ["privacy.E005"]
    assert error_ids([Venue], with_reason) == []


@isolate_apps("privacy")
def test_special_category_field_must_name_its_explicit_consent_purpose():
    class Accessibility(models.Model):
        class Meta:
            app_label = "privacy"

        member = models.ForeignKey(User, on_delete=models.CASCADE)
        wheelchair = models.BooleanField()

    def declare(**kwargs):
        declarations = Registry()
        declarations.register(
            Accessibility,
            subject="member",
            purpose=pd.Purpose.BOOKING,
            fields={
                "member": pd.link(),
                "wheelchair": pd.personal(pd.Category.SPECIAL, **kwargs),
            },
        )
        return declarations

    assert error_ids([Accessibility], declare()) == ["privacy.E006"]
    assert error_ids([Accessibility], declare(consent_purpose="accessibility")) == []


@isolate_apps("privacy")
def test_declarations_must_match_the_model_and_lead_to_the_user():
    class Note(models.Model):
        class Meta:
            app_label = "privacy"

        member = models.ForeignKey(User, on_delete=models.CASCADE)
        body = models.TextField()
        created_at = models.DateTimeField()

    declarations = Registry()
    declarations.register(
        Note,
        subject="body",  # not a relation
        purpose=pd.Purpose.ACCOUNT,
        fields={
            "member": pd.link(),
            "body": pd.personal(pd.Category.CONTENT),
            "created_at": pd.not_personal(),
            "title": pd.personal(pd.Category.CONTENT),  # no such field
        },
        recipients=["a-partner-nobody-declared"],
        retention=pd.Retention(period=timedelta(days=1), after="closed_at"),
    )

    assert sorted(error_ids([Note], declarations)) == [
        "privacy.E004",
        "privacy.E007",
        "privacy.E008",
        "privacy.E009",
    ]


@isolate_apps("privacy")
def test_personal_data_without_a_purpose_is_an_error():
    class Survey(models.Model):
        class Meta:
            app_label = "privacy"

        member = models.ForeignKey(User, on_delete=models.CASCADE)

    declarations = Registry()
    declarations.register(Survey, subject="member", fields={"member": pd.link()})

    assert error_ids([Survey], declarations) == ["privacy.E010"]


@isolate_apps("privacy")
def test_retention_below_the_legal_minimum_is_an_error():
    class Invoice(models.Model):
        class Meta:
            app_label = "privacy"

        member = models.ForeignKey(User, on_delete=models.SET_NULL, null=True)
        created_at = models.DateTimeField()

    declarations = Registry()
    declarations.register(
        Invoice,
        subject="member",
        purpose=pd.Purpose.TAX_RECORDS,
        fields={"member": pd.link(), "created_at": pd.not_personal()},
        retention=pd.Retention(
            period=timedelta(days=30), after="created_at", legal_minimum=timedelta(days=365)
        ),
    )

    assert error_ids([Invoice], declarations) == ["privacy.E011"]


def test_a_model_cannot_be_declared_twice():
    with pytest.raises(ValueError, match="already declared"):
        pd.register(User, subject="self", fields={})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("email", True),
        ("contact_email", True),
        ("first_name", True),
        ("username", True),
        ("ip", True),
        ("ip_address", True),
        ("date_of_birth", True),
        ("access_token", True),
        ("latitude", True),
        ("avatar", True),
        ("description", False),
        ("status", False),
        ("shipping", False),
        ("created_at", False),
    ],
)
def test_personal_looking_names(name, expected):
    assert pd.looks_personal(name) is expected
