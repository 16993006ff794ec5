"""``erase_user`` and ``replay_erasures``: the operator's doors to the erasure engine."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from cinema.models import Booking
from privacy.models import ErasureJob, ErasureJournal, PrivacyRequest
from privacy.services import erasure, forget
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import make_member
from tests.privacy.erasure_helpers import isolate_storage, make_rich_member

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    isolate_storage(settings, tmp_path)
    return tmp_path


def command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- erase_user ---------------------------------------------------------------------------


def test_dry_run_lists_per_model_what_would_happen_and_changes_nothing():
    member = make_rich_member(email="dry.run@example.com")

    out = command("erase_user", member.email, "--dry-run")

    assert f"Dry run: erasing account #{member.user.pk} would" in out
    assert (
        "privacy.TrackingEvent: 5 rows: delete" in out
        or "privacy.TrackingEvent: 4 rows: delete" in out
    )
    assert "account.EmailAddress: 2 rows: delete" in out
    assert (
        "cinema.Booking: 2 rows: keep (kept without your name or contact details for 5 years "
        "(accounting and tax law)), pseudonymized: user (null), card_last4 (null), "
        "linked to a tombstone id"
    ) in out
    assert "privacy.Disclosure: 0 rows: anonymize (member (null), recorded_by (null))" in out
    assert "accounts.User: 1 rows: delete" in out
    assert member.email not in out
    assert User.objects.filter(pk=member.user.pk, is_active=True).exists()
    assert not ErasureJob.objects.exists()


def test_a_real_run_needs_a_reason_and_prints_the_report():
    member = make_rich_member(email="real.run@example.com")
    with pytest.raises(CommandError, match="Give --reason"):
        command("erase_user", member.email)

    out = command("erase_user", member.email, "--reason", "verified erasure request")

    job = ErasureJob.objects.get()
    assert out.startswith(f"Erased account #{member.user.pk}; tombstone {job.tombstone}.")
    assert "cinema.Booking: 2 rows keep (user: null, card_last4: null); kept 1825 days" in out
    assert "Outside the tables: " in out and "files 2" in out
    assert (job.source, job.reason) == ("staff", "verified erasure request")
    assert forget.check(member.email).clean


def test_a_real_run_can_fulfil_a_privacy_request_and_report_as_json():
    member = make_member(email="with.request@example.com")
    req = PrivacyRequest.objects.create(
        type="erasure",
        user=member,
        due_at=timezone.now() + timedelta(days=9),
        verification="signed_in",
        status="in_progress",
    )

    out = command(
        "erase_user", member.email, "--reason", "request", "--request", req.reference, "--json"
    )

    assert json.loads(out)["models"]["accounts.User"]["rows"] == 1
    req.refresh_from_db()
    assert req.status == "completed" and req.user_id is None
    assert ErasureJob.objects.get().request_id == req.pk


def test_clear_errors_for_unknown_members_and_requests():
    with pytest.raises(CommandError, match="No account with the email address"):
        command("erase_user", "nobody@example.com", "--dry-run")
    member = make_member(email="bad.ref@example.com")
    with pytest.raises(CommandError, match="No privacy request"):
        command("erase_user", member.email, "--reason", "x", "--request", "PR-999999")
    with pytest.raises(CommandError, match="is not a request reference"):
        command("erase_user", member.email, "--reason", "x", "--request", "nonsense")
    assert User.objects.filter(pk=member.pk).exists()


# --- replay_erasures ----------------------------------------------------------------------


def restore_backup_of(email: str, phone: str, *, booking_code: str) -> User:
    """What a restored backup brings back: the account, its address and its booking."""
    user = make_member(email=email, phone=phone, first_name="Restored")
    EmailAddress.objects.filter(user=user).update(email=email)
    Booking.objects.filter(code=booking_code).update(user=user, tombstone=None)
    return user


def test_replay_erases_accounts_a_restored_backup_brought_back(isolated_storage):
    backup_taken = timezone.now()
    member = make_rich_member(email="restored@example.com")
    bystander = make_member(email="bystander@example.com", phone=member.phone)  # same phone
    job = erasure.erase_now(member.user, reason="member asked")
    booking_code = member.past_booking.code

    # The restore: the account is back; the journal table lost the entry, the file did not.
    ErasureJournal.objects.all().delete()
    restored = restore_backup_of(member.email, member.phone, booking_code=booking_code)
    assert not forget.check(member.email).clean

    out = command("replay_erasures", "--since", backup_taken.isoformat())

    assert "1 erasures journalled since" in out and "1 journal entries put back" in out
    assert f"erased again: the account of erasure {job.tombstone}" in out
    assert not User.objects.filter(pk=restored.pk).exists()
    booking = Booking.objects.get(code=booking_code)
    assert booking.user_id is None and booking.tombstone == job.tombstone  # the same tombstone
    assert User.objects.filter(pk=bystander.pk).exists()  # a shared phone never matches
    assert forget.check(member.email).clean
    assert ErasureJournal.objects.filter(tombstone=job.tombstone).count() == 1
    lines = Path(isolated_storage, "journal.jsonl").read_text().splitlines()
    assert len({json.loads(line)["tombstone"] for line in lines}) == 1

    again = command("replay_erasures", "--since", backup_taken.isoformat())
    assert "No restored account matched: nothing to erase." in again


def test_replay_runs_a_deletion_the_backup_caught_in_its_grace_period():
    member = make_member(email="in.grace@example.com")
    job = erasure.schedule_deletion(member, source="member", actor=member)
    backup_taken = timezone.now()
    erasure.run_erasure(job.pk, now=job.due_at + timedelta(minutes=1))
    # The backup holds the account and the job still "scheduled".
    restored = make_member(email="in.grace@example.com")
    ErasureJob.objects.filter(pk=job.pk).update(
        status="scheduled", user_id=restored.pk, phase="prepare", report={}
    )

    out = command("replay_erasures", "--since", backup_taken.isoformat(), "--dry-run")
    assert "would erase: the account of erasure" in out
    assert User.objects.filter(pk=restored.pk).exists()

    command("replay_erasures", "--since", backup_taken.isoformat())

    assert not User.objects.filter(pk=restored.pk).exists()
    assert ErasureJob.objects.get(pk=job.pk).status == "done"


def test_replay_ignores_erasures_older_than_the_backup_and_bad_dates():
    member = make_member(email="older@example.com")
    erasure.erase_now(member, reason="x")
    restored = make_member(email="older@example.com")

    out = command("replay_erasures", "--since", (timezone.now() + timedelta(hours=1)).isoformat())

    assert "0 erasures journalled" in out and User.objects.filter(pk=restored.pk).exists()
    with pytest.raises(CommandError, match="is not an ISO date"):
        command("replay_erasures", "--since", "yesterday")


def test_replay_reads_a_journal_file_given_on_the_command_line(tmp_path, settings):
    member = make_member(email="offsite@example.com")
    since = timezone.now()
    erasure.erase_now(member, reason="x")
    offsite = tmp_path / "offsite-copy.jsonl"
    offsite.write_text(Path(settings.PRIVACY_ERASURE_JOURNAL_FILE).read_text())
    Path(settings.PRIVACY_ERASURE_JOURNAL_FILE).unlink()
    ErasureJournal.objects.all().delete()
    restored = make_member(email="offsite@example.com")

    command("replay_erasures", "--since", since.isoformat(), "--journal", str(offsite))

    assert not User.objects.filter(pk=restored.pk).exists()


def test_booking_kept_by_an_erasure_still_counts_in_the_box_office():
    member = make_member(email="box.office@example.com")
    showtime = make_showtime(starts_at=timezone.now() - timedelta(hours=5))
    make_booking(showtime=showtime, user=member, seat_count=3, status="paid")
    day = timezone.localdate(showtime.starts_at)
    from cinema import selectors

    before = selectors.box_office(start=day, end=day)
    erasure.erase_now(member, reason="x")
    after = selectors.box_office(start=day, end=day)

    assert after == before
    assert sum(r.tickets for r in after["cinema"]) == 3
