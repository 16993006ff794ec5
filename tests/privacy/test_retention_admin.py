"""Staff tighten retention periods, place holds and read the runs in the admin."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from privacy.models import AuditEntry, RetentionHold, RetentionOverride, RetentionRun, TrackingEvent
from privacy.services import audit, retention
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client):
    staff = make_member(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return staff


def old_event(days: int):
    return TrackingEvent.objects.create(
        event_id=uuid.uuid4(),
        kind="page_view",
        path="/",
        created_at=timezone.now() - timedelta(days=days),
    )


def test_a_period_can_be_tightened_but_never_loosened_or_cut_below_the_legal_minimum():
    tracking = retention.get_rule("privacy.trackingevent")
    bookings = retention.get_rule("cinema.booking")

    retention.validate_period(tracking, timedelta(days=30))
    with pytest.raises(ValidationError) as longer:
        retention.validate_period(tracking, timedelta(days=120))
    assert longer.value.code == "longer_than_default"
    assert "only be tightened: 120 days is longer than the default of 90 days" in str(longer.value)
    with pytest.raises(ValidationError) as shorter:
        retention.validate_period(bookings, timedelta(days=4 * 365))
    assert shorter.value.code == "below_legal_minimum"
    assert "4 years is shorter than the legal minimum of 5 years" in str(shorter.value)
    with pytest.raises(ValidationError) as fixed:
        retention.validate_period(retention.get_rule("dormant-erase"), timedelta(days=1))
    assert fixed.value.code == "not_overridable"


def test_a_tightened_period_is_used_by_the_next_run_and_the_change_is_audited():
    staff = make_member(is_staff=True)
    forty_days_old = old_event(40)
    fresh = old_event(10)

    retention.set_override(
        "privacy.trackingevent", period=timedelta(days=30), reason="DPO decision 12", actor=staff
    )
    (run,) = retention.run_rule("privacy.trackingevent")

    assert set(TrackingEvent.objects.values_list("pk", flat=True)) == {fresh.pk}
    assert forty_days_old.pk != fresh.pk and run.rows == 1
    entry = AuditEntry.objects.filter(action=audit.Action.RETENTION_CHANGED).get()
    assert entry.actor_id == staff.pk
    assert entry.details == {
        "rule": "privacy.trackingevent",
        "period_days": 30.0,
        "previous_days": 90.0,
        "default_days": 90.0,
    }
    assert "DPO" not in str(entry.details)

    assert retention.clear_override("privacy.trackingevent", actor=staff)
    assert retention.effective_period(retention.get_rule("privacy.trackingevent")) == timedelta(
        days=90
    )
    assert AuditEntry.objects.filter(action=audit.Action.RETENTION_CHANGED).count() == 2


def test_an_override_outside_the_bounds_is_never_applied_silently():
    rule = retention.get_rule("cinema.booking")
    # Written directly (as a stale row after a default changed would be): clamped anyway.
    too_short = RetentionOverride(rule=rule.name, period=timedelta(days=30), reason="x")
    too_long = RetentionOverride(rule=rule.name, period=timedelta(days=9 * 365), reason="x")

    assert retention.effective_period(rule, too_short) == timedelta(days=5 * 365)
    assert retention.effective_period(rule, too_long) == timedelta(days=5 * 365)
    with pytest.raises(ValidationError):
        retention.set_override(rule.name, period=timedelta(days=30), reason="x", actor=None)


def test_the_admin_form_refuses_a_longer_period_with_a_clear_message(client, officer):
    url = reverse("admin:privacy_retentionoverride_add")

    response = client.post(
        url, {"rule": "privacy.trackingevent", "days": "200", "reason": "Keep longer"}
    )

    assert response.status_code == 200
    assert "Periods can only be tightened: 200 days is longer than the default of 90 days." in (
        response.content.decode()
    )
    assert not RetentionOverride.objects.exists()

    response = client.post(
        url, {"rule": "privacy.trackingevent", "days": "60", "reason": "DPO decision 12"}
    )

    assert response.status_code == 302
    override = RetentionOverride.objects.get()
    assert (override.period, override.changed_by) == (timedelta(days=60), officer)
    assert AuditEntry.objects.filter(action=audit.Action.RETENTION_CHANGED).count() == 1

    below = client.post(url, {"rule": "cinema.booking", "days": "365", "reason": "Shorter"})
    assert "shorter than the legal minimum of 5 years" in below.content.decode()


def test_staff_place_a_hold_in_the_admin_and_lift_it_with_an_action(client, officer):
    member = make_member()

    response = client.post(
        reverse("admin:privacy_retentionhold_add"),
        {"member": f"#{member.pk}", "reason": "Chargeback dispute", "reference": "D-17"},
    )

    assert response.status_code == 302
    hold = RetentionHold.objects.get()
    assert (hold.user, hold.placed_by, hold.is_active()) == (member, officer, True)
    assert AuditEntry.objects.filter(action=retention.HOLD_PLACED, subject_id=member.pk).exists()
    page = client.get(reverse("admin:privacy_retentionhold_change", args=[hold.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()

    client.post(
        reverse("admin:privacy_retentionhold_changelist"),
        {"action": "lift_holds", "_selected_action": [hold.pk]},
    )

    hold.refresh_from_db()
    assert (hold.is_active(), hold.lifted_by) == (False, officer)
    assert AuditEntry.objects.filter(action=retention.HOLD_LIFTED, subject_id=member.pk).exists()


def test_a_hold_names_its_member_by_address_and_an_unknown_one_saves_nothing(client, officer):
    member = make_member(email="Dispute.Case@example.com")
    url = reverse("admin:privacy_retentionhold_add")

    unknown = client.post(url, {"member": "nobody@example.com", "reason": "Dispute"})

    assert unknown.status_code == 200
    assert "No member has this id or address: nobody@example.com." in unknown.content.decode()
    assert not RetentionHold.objects.exists()

    client.post(url, {"member": "dispute.case@example.com", "reason": "Dispute"})

    assert RetentionHold.objects.get().user == member


def test_runs_list_chart_and_rules_pages_show_what_retention_did(client, officer):
    old_event(100)
    retention.run_rule("privacy.trackingevent")
    RetentionRun.objects.create(
        rule="tracking-ip", action="anonymize", status="failed", error="OperationalError"
    )

    runs = client.get(reverse("admin:privacy_retentionrun_changelist"))
    chart = client.get(reverse("admin:privacy_retentionrun_chart"))
    one_rule = client.get(
        reverse("admin:privacy_retentionrun_chart"), {"rule": "privacy.trackingevent"}
    )
    rules = client.get(reverse("admin:privacy_retentionrun_rules"))

    assert runs.status_code == chart.status_code == one_rule.status_code == 200
    assert "OperationalError" in runs.content.decode()
    assert reverse("admin:privacy_retentionrun_chart") in runs.content.decode()
    for page in (chart, one_rule):
        content = page.content.decode().split('id="content-main"')[1].split("<!-- END Content")[0]
        # Server-drawn SVG; no script and no inline style (CSP), no chart library.
        assert "<svg" in content and "<script" not in content and "style=" not in content
    assert "1 failed or interrupted run in that time." in chart.content.decode()
    assert "<title>" in one_rule.content.decode()
    # Rules read by what they hold, with their code for run_retention --rule.
    registry_rule = retention.get_rule("privacy.trackingevent").label
    assert registry_rule != "privacy.trackingevent"
    assert f"runs of {registry_rule}, oldest first." in one_rule.content.decode()
    assert f">{registry_rule} (privacy.trackingevent)</option>" in chart.content.decode()
    assert f"{registry_rule} (privacy.trackingevent)" in runs.content.decode()  # the filter
    html = rules.content.decode()
    assert "privacy.trackingevent" in html and "dormant-notice" in html
    assert "5 years" in html  # the bookings' legal minimum


def test_a_member_without_permission_sees_no_retention_pages(client):
    client.force_login(make_member(is_staff=True))

    for name in ("chart", "rules", "changelist"):
        response = client.get(reverse(f"admin:privacy_retentionrun_{name}"))
        assert response.status_code == 403
