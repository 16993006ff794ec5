"""Retention runs: what goes when, in batches, resumable, and never under a hold."""

import io
import uuid
from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cinema.models import Booking
from privacy.models import (
    AuditEntry,
    ConsentRecord,
    DataExport,
    PrivacyRequest,
    RequestEvent,
    RetentionRun,
    TrackingEvent,
)
from privacy.registry import registry
from privacy.services import anonymize, audit, retention
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TRACKING = "privacy.trackingevent"
PERIOD = timedelta(days=90)  # PRIVACY_TRACKING_RETENTION's default, declared in the registry


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def event(*, at, user=None, ip="203.0.113.0/24", path="/"):
    return TrackingEvent.objects.create(
        event_id=uuid.uuid4(), kind="page_view", path=path, user=user, created_at=at, ip_prefix=ip
    )


def remaining(model=TrackingEvent):
    return set(model.objects.values_list("pk", flat=True))


def test_every_declared_retention_is_a_rule_next_to_the_named_ones():
    declared = {p.model._meta.label_lower for p in registry if p.retention is not None}
    names = retention.rule_names()

    assert declared <= set(names)
    assert {
        "tracking-ip",
        "session-ip",
        "support-messages",
        "consent-ledger",
        "audit-log",
        "dormant-notice",
        "dormant-erase",
    } <= set(names)
    assert retention.get_rule(TRACKING).default_period == PERIOD
    with pytest.raises(retention.UnknownRule):
        retention.get_rule("nope")


def test_rows_older_than_the_cutoff_go_and_the_row_exactly_at_it_stays(now):
    cutoff = now - PERIOD
    just_past = event(at=cutoff - timedelta(microseconds=1))
    at_cutoff = event(at=cutoff)
    fresh = event(at=cutoff + timedelta(seconds=1))

    (run,) = retention.run_rule(TRACKING, now=now)

    assert remaining() == {at_cutoff.pk, fresh.pk}
    assert just_past.pk not in remaining()
    assert (run.status, run.rows, run.batches, run.cutoff) == ("done", 1, 1, cutoff)
    assert run.finished_at is not None


def test_batches_walk_the_dates_and_record_the_run_and_an_audit_entry(now):
    old = [event(at=now - PERIOD - timedelta(days=i + 1)) for i in range(7)]
    fresh = [event(at=now - timedelta(days=i)) for i in range(3)]

    (run,) = retention.run_rule(TRACKING, now=now, batch_size=2, trigger="test")

    assert remaining() == {e.pk for e in fresh}
    # The expired rows two at a time, oldest first (the newest ids here), and the walk
    # ends at the cut-off: no batch ever covers a recent row.
    assert (run.rows, run.batches, run.action, run.trigger) == (len(old), 4, "delete", "test")
    assert run.checkpoint == (now - PERIOD).isoformat()
    assert run.upper_bound == str(max(e.pk for e in fresh))
    entry = AuditEntry.objects.filter(action=audit.Action.RETENTION_RUN).latest("id")
    assert entry.details["rule"] == TRACKING
    assert (entry.details["rows"], entry.details["batches"]) == (7, 4)
    assert entry.object_id == str(run.pk)


def test_expired_rows_after_a_long_stretch_of_recent_ones_are_found_without_walking_it(now):
    expired = now - PERIOD - timedelta(days=1)
    early = [event(at=expired) for _ in range(3)]
    recent = {event(at=now).pk for _ in range(30)}
    # Flushed late (a buffer that waited): old dates behind many newer ids.
    late = [event(at=expired) for _ in range(2)]

    (run,) = retention.run_rule(TRACKING, now=now, batch_size=2)

    assert remaining() == recent
    assert run.rows == len(early) + len(late)
    # The late rows are in the range of their date like the early ones: three batches of
    # at most two rows, not fifteen ranges of recent rows, and no read of those either.
    assert run.batches == 3


def test_a_late_row_older_than_all_others_does_not_make_one_huge_batch(now):
    expired = [event(at=now - PERIOD - timedelta(days=20 - i)) for i in range(10)]
    recent = {event(at=now - timedelta(days=i)).pk for i in range(5)}
    # The oldest row of all has the newest id: the walk starts there, where ids say
    # nothing about how many rows the next dates hold, so the first range is counted.
    late = event(at=now - PERIOD - timedelta(days=30))

    (run,) = retention.run_rule(TRACKING, now=now, batch_size=4)

    assert remaining() == recent
    assert (run.rows, run.batches) == (len(expired) + 1, 3)  # 4 + 4 + 3, never 11 at once
    assert late.pk > max(recent)


def test_an_old_row_written_among_newer_ones_never_widens_a_batch_to_days_of_rows(now):
    first = now - PERIOD - timedelta(days=40)
    dense = [event(at=first + timedelta(days=i)) for i in range(15)]
    # Written two weeks late: dated between the 3rd and 4th row, keyed after the 15th.
    late = event(at=first + timedelta(days=2, hours=12))
    dense += [event(at=first + timedelta(days=i)) for i in range(15, 30)]
    kept = {event(at=now).pk}

    (run,) = retention.run_rule(TRACKING, now=now, batch_size=3)

    assert remaining() == kept
    # 31 rows, never more than three at once: the range that starts at the late row is
    # counted, not guessed from the ids after it (which are two weeks of rows ahead).
    assert (run.rows, run.batches) == (len(dense) + 1, 11)
    assert dense[14].pk < late.pk < dense[15].pk


def test_running_twice_deletes_nothing_more(now):
    for i in range(5):
        event(at=now - PERIOD - timedelta(days=i + 1))
    kept = {event(at=now).pk}

    retention.run_rule(TRACKING, now=now, batch_size=2)
    (second,) = retention.run_rule(TRACKING, now=now, batch_size=2)

    assert remaining() == kept
    assert (second.rows, second.batches, second.status) == (0, 0, "done")


@pytest.fixture
def refuse_deleting(settings):
    """A real database failure: a trigger that refuses to delete one chosen row."""
    if connection.vendor != "postgresql":
        pytest.skip("the injected failure is a PostgreSQL trigger")

    def install(pk: int):
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION test_refuse_delete() RETURNS trigger AS $$ BEGIN "
                f"IF OLD.id = {int(pk)} THEN RAISE EXCEPTION 'injected failure for %', "
                "OLD.path; END IF; RETURN OLD; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_refuse_delete BEFORE DELETE ON privacy_trackingevent "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_delete()"
            )

    def remove():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_delete ON privacy_trackingevent")
            cursor.execute("DROP FUNCTION test_refuse_delete()")

    install.remove = remove
    return install


def test_a_failed_run_keeps_its_checkpoint_and_the_next_start_ends_as_an_unbroken_run(
    now, refuse_deleting
):
    member = make_member()
    old = [
        event(at=now - PERIOD - timedelta(hours=i + 1), user=member, path=f"/secret-{i}")
        for i in range(10)
    ]
    fresh = {event(at=now, user=member).pk, event(at=now).pk}
    refuse_deleting(old[4].pk)  # in the second batch of three, oldest first

    with pytest.raises(retention.RetentionFailed) as failure:
        retention.run_rule(TRACKING, now=now, batch_size=3)

    failed = RetentionRun.objects.get(pk=failure.value.run_id)
    assert failed.status == "failed"
    # Oldest first: the three oldest went; the checkpoint says "done before this date".
    checkpoint = old[6].created_at.isoformat()
    assert (failed.rows, failed.batches, failed.checkpoint) == (3, 1, checkpoint)
    # The kind of error is recorded, never its text (which quotes the row's path here).
    assert failed.error == "ProgrammingError (SQLSTATE P0001)"
    assert "secret" not in str(failure.value)
    assert remaining() == {e.pk for e in old[:7]} | fresh

    refuse_deleting.remove()
    resumed, fresh_run = retention.run_rule(TRACKING, now=now + timedelta(hours=1), batch_size=3)

    assert resumed.resumed_from_id == failed.pk
    assert (resumed.cutoff, resumed.upper_bound) == (failed.cutoff, failed.upper_bound)
    assert (resumed.status, resumed.rows, resumed.batches) == ("done", 7, 3)
    assert (fresh_run.status, fresh_run.rows) == ("done", 0)
    # The same end state as an uninterrupted run: exactly the fresh rows are left.
    assert remaining() == fresh
    assert failed.rows + resumed.rows == len(old)


def test_a_run_whose_worker_died_is_continued_once_its_heartbeat_is_stale(now, settings):
    settings.PRIVACY_RETENTION_STALE_AFTER = timedelta(minutes=10)
    old = [event(at=now - PERIOD - timedelta(days=i + 1)) for i in range(4)]
    ordered = sorted(e.pk for e in old)
    # What a SIGKILL after the first batch leaves: "running", checkpoint after two rows.
    TrackingEvent.objects.filter(pk__in=ordered[:2]).delete()
    killed = RetentionRun.objects.create(
        rule=TRACKING,
        action="delete",
        cutoff=now - PERIOD,
        checkpoint=str(ordered[1]),
        upper_bound=str(ordered[-1]),
        rows=2,
        batches=1,
        heartbeat_at=timezone.now() - timedelta(minutes=3),
    )

    # Still fresh: another worker might be on it, so nobody else starts the rule.
    assert retention.run_rule(TRACKING, now=now) == []
    assert remaining() == set(ordered[2:])

    RetentionRun.objects.filter(pk=killed.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=11)
    )
    resumed, _fresh = retention.run_rule(TRACKING, now=now)

    killed.refresh_from_db()
    assert killed.status == "interrupted"
    assert (resumed.resumed_from_id, resumed.rows) == (killed.pk, 2)
    assert remaining() == set()


def test_members_under_a_hold_or_with_an_export_being_built_keep_their_rows(now):
    staff = make_member(is_staff=True)
    held, exporting, finished, other = (make_member() for _ in range(4))
    hold = retention.place_hold(held, actor=staff, reason="chargeback dispute", reference="D-17")
    DataExport.objects.create(user=exporting, status=DataExport.Status.BUILDING)
    DataExport.objects.create(user=finished, status=DataExport.Status.READY)
    old = now - PERIOD - timedelta(days=1)
    protected = {event(at=old, user=held).pk, event(at=old, user=exporting).pk}
    for user in (finished, other, None):
        event(at=old, user=user)

    (run,) = retention.run_rule(TRACKING, now=now, batch_size=2)

    assert remaining() == protected
    assert run.rows == 3
    assert retention.preview([TRACKING], now=now)[0].count == 0

    retention.lift_hold(hold, actor=staff)
    DataExport.objects.filter(user=exporting).update(status=DataExport.Status.READY)
    retention.run_rule(TRACKING, now=now)
    assert remaining() == set()
    actions = list(AuditEntry.objects.filter(subject_id=held.pk).values_list("action", flat=True))
    assert retention.HOLD_PLACED in actions and retention.HOLD_LIFTED in actions


def test_a_hold_with_an_end_date_protects_only_until_then(now):
    staff = make_member(is_staff=True)
    member = make_member()
    retention.place_hold(member, actor=staff, reason="claim", until=now - timedelta(minutes=1))
    event(at=now - PERIOD - timedelta(days=1), user=member)

    assert not retention.is_on_hold(member)
    retention.run_rule(TRACKING, now=now)
    assert remaining() == set()


def test_bookings_are_anonymized_after_five_years_keeping_the_figures(now):
    member = make_member()
    showtime = make_showtime()
    old = make_booking(showtime=showtime, user=member, card_last4="4242", status="paid")
    recent = make_booking(showtime=showtime, user=member, card_last4="1111", status="paid")
    five_years = timedelta(days=5 * 365)
    Booking.objects.filter(pk=old.pk).update(created_at=now - five_years - timedelta(days=1))
    Booking.objects.filter(pk=recent.pk).update(created_at=now - five_years + timedelta(days=1))

    (run,) = retention.run_rule("cinema.booking", now=now)
    (again,) = retention.run_rule("cinema.booking", now=now)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.user_id, old.card_last4) == (None, "")
    assert (old.code, old.total_price, old.status) == (old.code, old.total_price, "paid")
    assert (recent.user_id, recent.card_last4) == (member.pk, "1111")
    assert (run.action, run.rows, again.rows) == ("anonymize", 1, 0)


def _request(**fields):
    fields.setdefault("due_at", timezone.now())
    return PrivacyRequest.objects.create(**fields)


def test_closed_requests_are_anonymized_with_their_notes_but_open_ones_are_not(now):
    member = make_member()
    three_years = timedelta(days=3 * 365)
    closed = _request(
        type="access",
        status="completed",
        user=member,
        email="alex@example.com",
        name="Alex Tester",
        description="Please send everything about my bookings in Almaty.",
        details={"field": "name"},
        resolution="Sent to alex@example.com",
        received_at=now - three_years - timedelta(days=1),
        closed_at=now - three_years,
    )
    note = RequestEvent.objects.create(request=closed, action="note", note="Called Alex back")
    still_open = _request(
        type="erasure",
        status="in_progress",
        user=member,
        name="Alex Tester",
        received_at=now - three_years - timedelta(days=1),
    )

    (run,) = retention.run_rule("privacy.privacyrequest", now=now)

    closed.refresh_from_db()
    note.refresh_from_db()
    still_open.refresh_from_db()
    assert run.rows == 1
    assert closed.user_id is None
    redacted = anonymize.REDACTED
    assert (closed.email, closed.name, closed.description) == (redacted, redacted, redacted)
    assert (closed.details, closed.resolution) == ({}, redacted)
    assert (closed.type, closed.status, closed.received_at) == (
        "access",
        "completed",
        now - three_years - timedelta(days=1),
    )
    assert note.note == redacted
    assert (still_open.user_id, still_open.name) == (member.pk, "Alex Tester")
    assert retention.run_rule("privacy.privacyrequest", now=now)[0].rows == 0


def test_support_messages_are_anonymized_two_years_after_closing(now):
    member = make_member()
    closed_at = now - timedelta(days=2 * 365) - timedelta(days=1)
    question = _request(
        type="inquiry", status="completed", user=member, description="Why?", closed_at=closed_at
    )
    export = _request(
        type="export", status="completed", user=member, description="", closed_at=closed_at
    )
    recent = _request(
        type="complaint", status="completed", user=member, description="Rude", closed_at=now
    )

    (run,) = retention.run_rule("support-messages", now=now)

    question.refresh_from_db()
    export.refresh_from_db()
    recent.refresh_from_db()
    assert run.rows == 1
    assert (question.description, question.user_id) == (anonymize.REDACTED, None)
    assert export.user_id == member.pk
    assert (recent.description, recent.user_id) == ("Rude", member.pk)


def test_networks_of_usage_events_are_cut_further_after_thirty_days(now):
    month_old = now - timedelta(days=31)
    v4 = event(at=month_old, ip="203.0.113.0/24")
    v6 = event(at=month_old, ip="2001:db8:abcd::/48")
    empty = event(at=month_old, ip="")
    young = event(at=now - timedelta(days=29), ip="198.51.100.0/24")

    (run,) = retention.run_rule("tracking-ip", now=now, batch_size=2)
    (again,) = retention.run_rule("tracking-ip", now=now, batch_size=2)

    values = dict(TrackingEvent.objects.values_list("pk", "ip_prefix"))
    assert values[v4.pk] == "203.0.0.0/16"
    assert values[v6.pk] == "2001:db8::/32"
    assert values[empty.pk] == ""
    assert values[young.pk] == "198.51.100.0/24"
    assert (run.rows, again.rows) == (2, 0)


def test_addresses_of_signed_in_devices_are_cut_to_their_network_after_thirty_days(now):
    member = make_member()
    old = UserSession.objects.create(
        user=member,
        ip="203.0.113.77",
        session_key="old-session",
        user_agent="Firefox",
        last_seen_at=now - timedelta(days=31),
    )
    current = UserSession.objects.create(
        user=member,
        ip="198.51.100.9",
        session_key="current-session",
        user_agent="Firefox",
        last_seen_at=now,
    )

    (run,) = retention.run_rule("session-ip", now=now)

    old.refresh_from_db()
    current.refresh_from_db()
    assert (old.ip, current.ip, run.rows) == ("203.0.113.0", "198.51.100.9", 1)
    assert retention.run_rule("session-ip", now=now)[0].rows == 0


def test_expired_sessions_go_in_key_order_except_a_held_members(now):
    staff = make_member(is_staff=True)
    held = make_member()
    retention.place_hold(held, actor=staff, reason="dispute")
    expired = now - timedelta(days=1)
    for key in ("a-expired", "b-expired", "c-expired", "held-expired"):
        Session.objects.create(session_key=key, session_data="x", expire_date=expired)
    Session.objects.create(session_key="live", session_data="x", expire_date=now + timedelta(1))
    UserSession.objects.create(
        user=held, ip="203.0.113.7", session_key="held-expired", user_agent="Firefox"
    )

    (run,) = retention.run_rule("sessions.session", now=now, batch_size=2)

    assert set(Session.objects.values_list("session_key", flat=True)) == {"held-expired", "live"}
    assert (run.rows, run.batches) == (3, 2)


def test_old_exports_go_with_their_files_but_an_export_being_built_stays(now, settings, tmp_path):
    settings.PRIVACY_EXPORT_DIR = str(tmp_path)
    (tmp_path / "old.zip").write_bytes(b"zip")
    old = DataExport.objects.create(
        user=make_member(), status=DataExport.Status.EXPIRED, file_name="old.zip"
    )
    # A member whose export is being built keeps all their rows, this export included.
    building = DataExport.objects.create(user=make_member(), status=DataExport.Status.BUILDING)
    DataExport.objects.filter(pk__in=[old.pk, building.pk]).update(
        created_at=now - timedelta(days=31)
    )

    (run,) = retention.run_rule("privacy.dataexport", now=now)

    assert list(DataExport.objects.values_list("pk", flat=True)) == [building.pk]
    assert not (tmp_path / "old.zip").exists()
    assert run.rows == 1


def test_the_consent_ledger_is_kept_unless_configured_and_then_keeps_the_latest_choice(
    now, settings
):
    member = make_member()
    visitor = uuid.uuid4()
    two_years_ago = now - timedelta(days=730)

    def record(**fields):
        row = ConsentRecord.objects.create(source="banner", **fields)
        ConsentRecord.objects.filter(pk=row.pk).update(created_at=two_years_ago)
        return row

    superseded = record(user=member, purpose="analytics", granted=True)
    latest = record(user=member, purpose="analytics", granted=False)
    other_purpose = record(user=member, purpose="advertising", granted=False)
    visitors_only = record(visitor_id=visitor, purpose="analytics", granted=True)

    assert retention.run_rule("consent-ledger", now=now) == []
    assert retention.preview(["consent-ledger"], now=now)[0].count is None

    settings.PRIVACY_CONSENT_LEDGER_RETENTION = timedelta(days=365)
    (run,) = retention.run_rule("consent-ledger", now=now)

    assert run.rows == 1
    assert remaining(ConsentRecord) == {latest.pk, other_purpose.pk, visitors_only.pk}
    assert superseded.pk not in remaining(ConsentRecord)


def test_the_audit_log_is_pruned_only_when_configured_and_never_below_its_minimum(settings):
    for i in range(3):
        audit.record("test.action", object_id=i)
    rule = retention.get_rule("audit-log")
    assert rule.legal_minimum == timedelta(days=6 * 365)

    settings.PRIVACY_AUDIT_LOG_RETENTION = timedelta(days=365)
    # A year is below the six-year minimum: a year from now, nothing is old enough yet.
    (too_soon,) = retention.run_rule("audit-log", now=timezone.now() + timedelta(days=366))
    assert too_soon.rows == 0
    assert retention.effective_period(retention.get_rule("audit-log")) == rule.legal_minimum

    later = timezone.now() + timedelta(days=6 * 365 + 1)
    expected = AuditEntry.objects.count()
    (run,) = retention.run_rule("audit-log", now=later)
    assert run.rows == expected
    _checked, problems = audit.verify()
    assert problems == []


def test_dry_run_prints_each_rules_cutoff_and_count_and_changes_nothing(now):
    for i in range(2):
        event(at=timezone.now() - PERIOD - timedelta(days=i + 1))
    event(at=timezone.now())
    out = io.StringIO()

    call_command("run_retention", "--dry-run", stdout=out)

    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[2:]}
    assert set(lines) == set(retention.rule_names())
    assert lines[TRACKING].split()[-1] == "2"
    assert "90 days" in lines[TRACKING]
    assert str((timezone.now() - PERIOD).date()) in lines[TRACKING]
    assert "kept" in lines["consent-ledger"]
    assert TrackingEvent.objects.count() == 3
    assert not RetentionRun.objects.exists()

    only = io.StringIO()
    call_command("run_retention", "--dry-run", "--rule", TRACKING, stdout=only)
    assert len(only.getvalue().splitlines()) == 3


def test_the_command_runs_the_chosen_rule_and_refuses_unknown_ones():
    event(at=timezone.now() - PERIOD - timedelta(days=1))
    out = io.StringIO()

    call_command("run_retention", "--rule", TRACKING, "--batch-size", "10", stdout=out)

    assert out.getvalue().startswith(f"{TRACKING}: delete 1 row(s) in 1 batch(es)")
    assert not TrackingEvent.objects.exists()
    with pytest.raises(CommandError, match=r"Unknown retention rule\(s\): nope\. Known rules: "):
        call_command("run_retention", "--rule", "nope")
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("run_retention", "--batch-size", "0")
