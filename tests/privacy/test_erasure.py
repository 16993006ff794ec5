"""The erasure engine: registry-driven, complete, idempotent and resumable."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from cinema import selectors
from cinema.models import Booking
from privacy.models import (
    AuditEntry,
    ErasureJob,
    ErasureJournal,
    PrivacyRequest,
    SuppressionEntry,
    TrackingEvent,
)
from privacy.registry import Delete, Method, registry
from privacy.services import anonymize, erasure, forget, suppression, tracking
from tests.factories import PASSWORD
from tests.privacy.erasure_helpers import isolate_storage, make_rich_member, sign_in, snapshot

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Media, exports, the journal file and the usage buffer of each test in its own folder."""
    isolate_storage(settings, tmp_path)
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "spool")
    settings.PRIVACY_ERASURE_BATCH_SIZE = 2
    return tmp_path


def erase(member, **kwargs):
    """Schedule with no grace period and run the job in this process (as a worker would)."""
    job = erasure.schedule_deletion(
        member.user, source="staff", grace=timedelta(0), enqueue=False, **kwargs
    )
    return erasure.run_erasure(job.pk)


# --- The registry drives it ---------------------------------------------------------------


def test_every_declared_personal_model_is_walked_with_methods_erasure_can_apply():
    walked = [p.label for p in erasure.walk_order()]

    assert sorted(walked) == sorted(p.label for p in registry.personal())
    assert walked[-1] == User._meta.label  # the account row goes last
    for policy in registry.personal():
        assert erasure.check_policy(policy) == [], policy.label
        item = erasure.plan_item(policy, count=False)
        assert item.action in (erasure.DELETE, erasure.ANONYMIZE, erasure.KEEP)
        if isinstance(policy.erasure, Delete):
            assert item.action == erasure.DELETE


def test_lookups_through_other_models_come_before_the_models_they_go_through():
    order = [p.label for p in erasure.walk_order()]

    assert order.index("sessions.Session") < order.index("usersessions.UserSession")
    assert order.index("account.EmailConfirmation") < order.index("account.EmailAddress")
    assert order.index("socialaccount.SocialToken") < order.index("socialaccount.SocialAccount")
    assert order.index("privacy.RequestEvent") < order.index("privacy.PrivacyRequest")
    assert order.index("privacy.VerificationCode") < order.index("privacy.PrivacyRequest")


def test_a_method_that_cannot_apply_to_its_field_is_reported():
    from privacy.registry import Anonymize, ModelPolicy, personal

    policy = ModelPolicy(
        model=AuditEntry,
        subject=None,
        fields={"at": personal("usage", anonymize=Method.NULL)},
        purpose=None,
        erasure=Anonymize(),
        retention=None,
        export=None,
        recipients=(),
    )

    problems = erasure.check_policy(policy)

    assert len(problems) == 1 and problems[0].startswith("privacy.AuditEntry.at: ")
    with pytest.raises(ImproperlyConfigured):
        anonymize.sql_expression(AuditEntry, "at", Method.NULL)


# --- A whole erasure ----------------------------------------------------------------------


def test_erasure_removes_the_member_everywhere_and_keeps_only_what_the_law_requires(
    mailoutbox, isolated_storage
):
    member = make_rich_member(email="zhanargul.erasova@example.com")
    other = make_rich_member(email="other.member@example.com", first_name="Aigerim",
                             last_name="Keepova", phone="+77017654321")  # fmt: skip
    before_other = snapshot(other.user)
    user_id = member.user.pk
    request_ids = list(PrivacyRequest.objects.filter(user=member.user).values_list("pk", flat=True))

    job = erase(member, reason="guardian report")

    assert job.status == ErasureJob.Status.DONE
    # The account and everything linked to it is gone; signing in fails.
    assert not User.objects.filter(pk=user_id).exists()
    assert not EmailAddress.objects.filter(user_id=user_id).exists()
    assert not SocialAccount.objects.filter(user_id=user_id).exists()
    assert not SocialToken.objects.filter(account__user_id=user_id).exists()
    assert not Authenticator.objects.filter(user_id=user_id).exists()
    assert not UserSession.objects.filter(user_id=user_id).exists()
    assert not TrackingEvent.objects.filter(user_id=user_id).exists()
    # Files outside the tables.
    assert not (Path(isolated_storage) / "media" / member.avatar_name).exists()
    assert not member.export_path.exists()
    # The booking that happened is kept for the tax law, with a tombstone and no link.
    kept = Booking.objects.get(pk=member.past_booking.pk)
    assert kept.user_id is None and kept.tombstone == job.tombstone
    assert kept.card_last4 == "" and kept.status == "paid" and kept.seat_count == 2
    day = timezone.localdate(kept.showtime.starts_at)
    report = selectors.box_office(start=day, end=day)
    cinema_row = next(r for r in report["cinema"] if r.label.startswith(kept.showtime.cinema.name))
    assert (cinema_row.tickets, cinema_row.bookings) == (2, 1)
    # The one still to come was cancelled first, and is kept (cancelled) the same way.
    upcoming = Booking.objects.get(pk=member.future_booking.pk)
    assert upcoming.status == "cancelled" and upcoming.tombstone == job.tombstone
    # Privacy requests stay as proof, without who asked or what they wrote.
    assert job.request_id not in request_ids  # opened by the staff erasure itself
    for req in PrivacyRequest.objects.filter(pk__in=[*request_ids, job.request_id]):
        assert req.user_id is None and member.email not in req.email
        assert member.names[0] not in req.description
        assert not req.is_open
    # Never marketed again: both addresses and the phone are on the suppression list.
    for address in (member.email, f"alt.{member.email}"):
        assert suppression.is_suppressed(channel="email", value=address)
    assert suppression.is_suppressed(channel="sms", value=member.phone)
    # The final email went to the address before it was erased.
    final = [m for m in mailoutbox if m.subject == "[Marquee] Your account has been erased"]
    assert [m.to for m in final] == [[member.email]]
    assert final[0].extra_headers[erasure.NOTICE_HEADER] == erasure.NOTICE_VALUE
    # The journal holds hashes and the tombstone, in the table and in the file.
    entry = ErasureJournal.objects.get(tombstone=job.tombstone)
    assert entry.email_hash == suppression.hash_value(channel="email", value=member.email)
    lines = [
        json.loads(x) for x in Path(isolated_storage, "journal.jsonl").read_text().splitlines()
    ]
    assert [line["tombstone"] for line in lines] == [str(job.tombstone)]
    assert member.email not in Path(isolated_storage, "journal.jsonl").read_text()
    # Nothing of the member is found anywhere, and the other member is untouched.
    check = forget.check(member.email, phones=[member.phone], names=[" ".join(member.names)])
    assert check.clean, [str(h) for h in check.hits]
    assert forget.check(str(job.tombstone)).clean
    assert snapshot(other.user) == before_other
    assert not forget.check(other.email).clean  # the check does find a member who exists
    assert "_auth_user_id" not in sign_in(member.email).session


def test_the_report_says_what_was_deleted_anonymized_and_kept_with_counts_only():
    member = make_rich_member(email="report.me@example.com")

    job = erase(member)

    models = job.report["models"]
    assert models["privacy.TrackingEvent"]["action"] == "delete"
    assert models["privacy.TrackingEvent"]["rows"] >= 4
    assert models["cinema.Booking"] == {
        **models["cinema.Booking"],
        "action": "keep",
        "rows": 2,
        "tombstone": True,
        "kept_days": 5 * 365,
    }
    assert models["cinema.Booking"]["fields"] == {"user": "null", "card_last4": "null"}
    assert models["privacy.PrivacyRequest"]["law"]
    assert models["accounts.User"]["action"] == "delete"
    assert job.report["outside"]["files"] >= 2  # avatar and export
    assert job.report["outside"]["buffered_events"] >= 1
    assert job.report["prepare"]["bookings_cancelled"] == 1
    assert all(entry.get("done") for entry in models.values())
    text = json.dumps(job.report)
    assert member.email not in text and member.names[0] not in text and member.phone not in text
    audit = AuditEntry.objects.filter(action="erasure.done", object_id=str(job.pk)).get()
    assert audit.subject_id == job.user_id


def test_cache_entries_naming_the_member_are_removed_and_others_stay():
    member = make_rich_member(email="cache.me@example.com")
    cache.set("unrelated:key", "value", 600)
    assert not forget.check(member.email).clean

    erase(member)

    assert cache.get("unrelated:key") == "value"
    idents, _mode = forget.identifiers_for(member.email)
    assert not [k for k, _v in forget.cache_entries() if any(m in k for m in idents.cache_markers)]


def test_buffered_events_are_discarded_and_a_late_flush_records_nothing():
    member = make_rich_member(email="buffered@example.com")
    assert len(tracking.get_buffer()) >= 1

    erase(member)
    tracking.flush_buffer()

    assert not TrackingEvent.objects.filter(user_id=member.user.pk).exists()


# --- Idempotent and resumable -------------------------------------------------------------


def test_running_twice_does_nothing_the_second_time(mailoutbox):
    member = make_rich_member(email="twice@example.com")
    job = erase(member)
    sent = len(mailoutbox)
    rows = Booking.objects.filter(tombstone=job.tombstone).count()

    assert erasure.run_erasure(job.pk) is None
    assert len(mailoutbox) == sent
    assert Booking.objects.filter(tombstone=job.tombstone).count() == rows
    assert ErasureJournal.objects.filter(tombstone=job.tombstone).count() == 1


def test_a_failure_mid_walk_resumes_from_the_checkpoint_and_ends_like_an_uninterrupted_run(
    monkeypatch, mailoutbox, settings
):
    settings.PRIVACY_ERASURE_BATCH_SIZE = 1
    clean = make_rich_member(email="uninterrupted@example.com", first_name="Clean")
    crashy = make_rich_member(email="interrupted@example.com", first_name="Crashy")
    tracking.flush_buffer()  # both members' usage events in the table: the same shape of data
    reference = erase(clean)

    real = erasure._Runner._anonymize
    calls = {"n": 0}

    def crash_on_second_booking_batch(self, policy, item, batch):
        if policy.model is Booking:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("worker died")
        return real(self, policy, item, batch)

    monkeypatch.setattr(erasure._Runner, "_anonymize", crash_on_second_booking_batch)
    job = erasure.schedule_deletion(crashy.user, source="staff", grace=timedelta(0), enqueue=False)
    with pytest.raises(RuntimeError):
        erasure.run_erasure(job.pk)
    job.refresh_from_db()
    assert job.status == ErasureJob.Status.FAILED and job.phase == ErasureJob.Phase.WALK
    assert job.checkpoint_model == "cinema.Booking" and job.checkpoint_pk
    assert User.objects.filter(pk=crashy.user.pk).exists()  # the account row goes last

    assert erasure.jobs_to_run(now=timezone.now() + timedelta(hours=1)) == [job.pk]
    job = erasure.run_erasure(job.pk)

    assert job.status == ErasureJob.Status.DONE and job.attempts == 2
    strip = {"rows", "done"}
    for label, entry in reference.report["models"].items():
        mine = job.report["models"][label]
        assert {k: v for k, v in mine.items() if k not in strip} == {
            k: v for k, v in entry.items() if k not in strip
        }, label
        assert mine["rows"] == entry["rows"], label
    assert Booking.objects.filter(tombstone=job.tombstone, user__isnull=True).count() == 2
    assert forget.check(crashy.email, phones=[crashy.phone], names=["Crashy Erasova"]).clean
    finals = [m for m in mailoutbox if m.to == [crashy.email] and "erased" in m.subject]
    assert len(finals) == 1


def test_rows_past_the_census_probe_are_processed_and_counted_like_any_others(
    monkeypatch, settings
):
    """The census stops counting at CENSUS_PROBE rows: the statement's own count (or the
    key ranges' count) then goes into the report, which matches an erasure counted fully."""
    settings.PRIVACY_ERASURE_BATCH_SIZE = 1000
    counted = make_rich_member(email="counted@example.com", first_name="Counted")
    probed = make_rich_member(email="probed@example.com", first_name="Probed")
    tracking.flush_buffer()  # the same shape of data for both
    reference = erase(counted)
    monkeypatch.setattr(erasure, "CENSUS_PROBE", 1)
    events = TrackingEvent.objects.filter(user=probed.user).count()

    job = erase(probed)

    assert job.status == ErasureJob.Status.DONE
    for label, entry in reference.report["models"].items():
        assert job.report["models"][label] == entry, label
    assert job.report["models"]["privacy.TrackingEvent"]["rows"] == events
    assert job.report["models"]["cinema.Booking"]["rows"] == 2
    assert Booking.objects.filter(tombstone=job.tombstone, user__isnull=True).count() == 2
    assert forget.check(probed.email, phones=[probed.phone]).clean


def test_a_worker_that_lost_its_claim_stops_at_its_next_batch():
    member = make_rich_member(email="fenced@example.com")
    job = erasure.schedule_deletion(member.user, source="staff", grace=timedelta(0), enqueue=False)
    token = erasure._claim(job.pk, now=timezone.now())
    ErasureJob.objects.filter(pk=job.pk).update(attempts=token + 1)  # another worker took it

    runner = erasure._Runner(ErasureJob.objects.get(pk=job.pk), token)
    with pytest.raises(erasure.Superseded):
        runner.run()

    assert User.objects.filter(pk=member.user.pk).exists()


# --- Scheduling and the sweeper -----------------------------------------------------------


def test_scheduling_closes_the_account_and_waits_for_the_grace_period(mailoutbox, settings):
    settings.PRIVACY_DELETION_GRACE = timedelta(days=7)
    member = make_rich_member(email="graceful@example.com")

    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            job = erasure.schedule_deletion(member.user, source="member", actor=member.user)

    member.user.refresh_from_db()
    assert not member.user.is_active
    assert job.status == ErasureJob.Status.SCHEDULED
    assert job.due_at <= job.deadline
    assert timedelta(days=6) < job.due_at - timezone.now() <= timedelta(days=7)
    assert not UserSession.objects.filter(user=member.user).exists()  # signed out everywhere
    assert Booking.objects.get(pk=member.future_booking.pk).status == "cancelled"
    [cancelled] = [m for m in mailoutbox if member.future_booking.code in m.subject]
    assert "because you asked us to delete your account" in cancelled.body  # not a mystery
    assert Booking.objects.get(pk=member.past_booking.pk).user_id == member.user.pk
    assert erasure.jobs_to_run() == []
    scheduled = [m for m in mailoutbox if m.to == [member.email] and "will be deleted" in m.subject]
    assert len(scheduled) == 1 and "/privacy/delete-account/cancel/" in scheduled[0].body
    req = job.request
    assert req.type == "erasure" and req.self_service and req.user_id == member.user.pk
    assert erasure.schedule_deletion(member.user, source="member") == job  # idempotent

    later = job.due_at + timedelta(minutes=1)
    assert erasure.jobs_to_run(now=later) == [job.pk]
    assert erasure.run_erasure(job.pk, now=later).status == ErasureJob.Status.DONE


def test_staff_erasure_brings_a_members_pending_deletion_forward():
    member = make_rich_member(email="forward@example.com")
    job = erasure.schedule_deletion(member.user, source="member")

    again = erasure.schedule_deletion(member.user, source="staff", grace=timedelta(0))

    assert again.pk == job.pk
    assert erasure.jobs_to_run() == [job.pk]


def test_cancelling_in_the_grace_period_reactivates_the_account(mailoutbox):
    member = make_rich_member(email="changed.mind@example.com")
    job = erasure.schedule_deletion(member.user, source="member", actor=member.user)

    assert erasure.cancel_deletion(member.user, actor=member.user) is True

    member.user.refresh_from_db()
    job.refresh_from_db()
    assert member.user.is_active and job.status == ErasureJob.Status.CANCELLED
    assert job.request.status == PrivacyRequest.Status.WITHDRAWN
    assert erasure.cancel_deletion(member.user) is False
    assert erasure.run_erasure(job.pk, now=job.due_at + timedelta(days=1)) is None
    assert User.objects.filter(pk=member.user.pk).exists()
    assert any("cancelled" in m.subject for m in mailoutbox if m.to == [member.email])
    # A new deletion can be asked for afterwards.
    assert erasure.schedule_deletion(member.user, source="member").pk != job.pk


def test_stalled_running_jobs_are_picked_up_again():
    member = make_rich_member(email="stalled@example.com")
    job = erasure.schedule_deletion(member.user, source="staff", grace=timedelta(0), enqueue=False)
    erasure._claim(job.pk, now=timezone.now())

    assert erasure.jobs_to_run() == []
    later = timezone.now() + timedelta(hours=1)
    assert erasure.jobs_to_run(now=later) == [job.pk]
    assert erasure.run_erasure(job.pk, now=later).status == ErasureJob.Status.DONE


def test_undelivered_final_emails_are_deleted_after_the_notice_window(settings):
    from cinema.models import OutboundEmail

    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    member = make_rich_member(email="undelivered@example.com")
    job = erase(member)
    notice = OutboundEmail.objects.get(payload__to=[member.email])
    assert notice.payload["headers"][erasure.NOTICE_HEADER] == erasure.NOTICE_VALUE
    # Waiting for delivery, it is tolerated by the check...
    assert forget.check(member.email).clean

    long_ago = timezone.now() - settings.PRIVACY_ERASURE_NOTICE_WINDOW - timedelta(minutes=1)
    OutboundEmail.objects.filter(pk=notice.pk).update(created_at=long_ago)
    # ...but not once the window has passed, and the sweeper deletes it then.
    assert not forget.check(member.email).clean
    assert erasure.purge_undelivered_notices() == 1
    assert forget.check(member.email).clean
    assert job.status == ErasureJob.Status.DONE


def test_suppression_entries_survive_and_are_counted_as_kept():
    member = make_rich_member(email="suppressed@example.com")

    job = erase(member)

    assert job.report["models"]["privacy.SuppressionEntry"]["action"] == "keep"
    assert SuppressionEntry.objects.filter(reason="erasure").count() >= 3


def test_erasure_waits_while_the_member_is_under_a_legal_hold():
    hold_model = pytest.importorskip("privacy.models").__dict__.get("RetentionHold")
    if hold_model is None:
        pytest.skip("legal holds (privacy.RetentionHold) are not part of this tree")
    member = make_rich_member(email="held@example.com")
    hold_model.objects.create(user=member.user, reason="dispute")
    job = erasure.schedule_deletion(member.user, source="staff", grace=timedelta(0), enqueue=False)

    assert erasure.run_erasure(job.pk) is None

    job.refresh_from_db()
    assert job.status == ErasureJob.Status.SCHEDULED and job.error == "legal_hold"
    assert User.objects.filter(pk=member.user.pk).exists()


def test_password_of_the_member_no_longer_signs_in():
    member = make_rich_member(email="gone@example.com")
    erase(member)

    client = sign_in(member.email, PASSWORD)

    assert "_auth_user_id" not in client.session
