"""The audit log: append-only, hash-chained, ids only; tampering is found (L3)."""

import io
import itertools
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from privacy import roles
from privacy.models import AuditChainHead, AuditEntry, PrivacyRequest, RequestEvent
from privacy.services import audit
from privacy.services import requests as workflow
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ON_POSTGRES = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the append-only trigger is PostgreSQL's"
)


def write(n: int, **fields) -> list[AuditEntry]:
    return [audit.record("test.action", subject=i + 1, number=i, **fields) for i in range(n)]


def tamper(sql: str, params=()) -> None:
    """Change the table behind the log's back, as an attacker with SQL access would."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL {audit.PRUNE_SETTING} = 'on'")
        cursor.execute(sql, params)


def problems() -> list[str]:
    return [str(problem) for problem in audit.verify()[1]]


# --- Appending ----------------------------------------------------------------------------


def test_entries_form_one_chain_that_verifies():
    entries = write(5)

    assert [e.pk for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert audit.verify() == (5, [])
    assert audit.head_hash() == (5, entries[-1].hash)


def test_only_ids_counts_and_short_codes_go_in():
    with pytest.raises(ValueError, match="free text or an address"):
        audit.record("test", note="The member called about her booking")
    with pytest.raises(ValueError, match="address"):
        audit.record("test", who="ana@example.com")
    with pytest.raises(TypeError):
        audit.record("test", member=object())

    entry = audit.record("test", subject=7, count=3, kind="export", ids=[1, 2])
    assert entry.details == {"count": 3, "kind": "export", "ids": [1, 2]}


def test_many_entries_chain_exactly_as_one_after_another():
    before = write(2)

    many = audit.record_many(
        audit.Pending("test.batch", subject=n, target=before[0], details={"n": n}) for n in range(3)
    )

    assert [e.pk for e in many] == [3, 4, 5]
    assert many[0].prev_hash == before[-1].hash
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(many))
    assert audit.verify() == (5, [])
    assert audit.head_hash() == (5, many[-1].hash)
    assert many[1].object_type == "privacy.auditentry" and many[1].object_id == "1"


def test_a_refused_detail_in_a_batch_writes_none_of_it():
    with pytest.raises(ValueError):
        audit.record_many(
            [
                audit.Pending("test.batch", subject=1),
                audit.Pending("test.batch", subject=2, details={"email": "a@example.com"}),
            ]
        )

    assert AuditEntry.objects.count() == 0
    assert audit.record_many([]) == []


def test_an_entry_rolls_back_with_the_action_it_records():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled_back")
        raise RuntimeError

    assert not AuditEntry.objects.exists()
    assert audit.verify() == (0, [])


# --- Tampering is found -------------------------------------------------------------------


def test_an_edited_entry_is_reported():
    write(4)

    tamper("UPDATE privacy_auditentry SET subject_id = 99 WHERE id = 2")

    assert problems() == ["#2: was changed after it was written"]


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_link_to_the_next():
    entries = write(4)
    forged = AuditEntry.objects.get(pk=2)
    forged.subject_id = 99
    new_hash = audit.entry_hash(forged)

    tamper("UPDATE privacy_auditentry SET subject_id = 99, hash = %s WHERE id = 2", [new_hash])

    assert problems() == ["#3: does not link to the previous entry"]
    assert entries[1].hash != new_hash


def test_a_rewritten_last_entry_no_longer_matches_the_head():
    write(3)
    forged = AuditEntry.objects.get(pk=3)
    forged.action = "test.innocent"
    tamper(
        "UPDATE privacy_auditentry SET action = %s, hash = %s WHERE id = 3",
        ["test.innocent", audit.entry_hash(forged)],
    )

    assert problems() == ["#3: does not match the hash the head recorded"]


def test_a_deleted_middle_entry_is_reported():
    write(5)

    tamper("DELETE FROM privacy_auditentry WHERE id = 3")

    assert problems() == ["#4: entries #3 to #3 are missing"]


def test_a_deleted_tail_is_reported():
    write(5)

    tamper("DELETE FROM privacy_auditentry WHERE id >= 4")

    assert problems() == ["#5: the log ends at #3: later entries are gone"]


def test_a_deleted_start_and_an_inserted_entry_are_reported():
    entries = write(3)

    tamper("DELETE FROM privacy_auditentry WHERE id = 1")
    assert problems() == ["#2: entries #1 to #1 are missing"]

    tamper(
        "INSERT INTO privacy_auditentry (id, at, action, object_type, object_id, details, "
        "prev_hash, hash) VALUES (4, %s, 'test.fake', '', '', '{}', %s, %s)",
        [timezone.now(), entries[-1].hash, "f" * 64],
    )
    assert "#4: was changed after it was written" in problems()
    assert "#4: entries after #3 were not written by the log" in problems()


def test_a_deleted_chain_head_is_reported():
    write(2)

    tamper("DELETE FROM privacy_auditchainhead")

    assert problems() == ["#2: the chain head is missing"]


@ON_POSTGRES
def test_postgresql_refuses_to_update_or_delete_entries():
    write(2)

    for sql in [
        "UPDATE privacy_auditentry SET action = 'x' WHERE id = 1",
        "DELETE FROM privacy_auditentry WHERE id = 2",
        "DELETE FROM privacy_auditchainhead",
    ]:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=1).delete()

    assert audit.verify() == (2, [])


# --- The command --------------------------------------------------------------------------


def test_audit_verify_prints_what_it_checked_and_exits_nonzero_on_any_problem():
    write(3)
    out = io.StringIO()

    call_command("audit_verify", stdout=out)
    assert "Checked 3 audit entries" in out.getvalue()
    assert "intact" in out.getvalue()

    tamper("UPDATE privacy_auditentry SET object_id = '7' WHERE id = 1")
    tamper("DELETE FROM privacy_auditentry WHERE id = 3")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 problem") as raised:
        call_command("audit_verify", stdout=out, stderr=err)

    assert raised.value.returncode == 1
    assert "Checked 2 audit entries" in out.getvalue()
    assert "PROBLEM #1: was changed after it was written" in err.getvalue()
    assert "PROBLEM #3: the log ends at #2" in err.getvalue()


def test_a_hash_recorded_earlier_reveals_even_a_rewrite_of_the_whole_chain():
    entries = write(3)
    recorded = f"3:{entries[-1].hash}"
    # A forger with full SQL access edits entry 1 and recomputes every hash after it.
    previous = audit.GENESIS
    for entry in AuditEntry.objects.order_by("id"):
        entry.subject_id = 99 if entry.pk == 1 else entry.subject_id
        entry.prev_hash = previous
        entry.hash = previous = audit.entry_hash(entry)
        tamper(
            "UPDATE privacy_auditentry SET subject_id = %s, prev_hash = %s, hash = %s "
            "WHERE id = %s",
            [entry.subject_id, entry.prev_hash, entry.hash, entry.pk],
        )
    tamper("UPDATE privacy_auditchainhead SET last_hash = %s", [previous])
    assert audit.verify() == (3, [])  # the chain alone cannot tell

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", "--expect", recorded, stdout=io.StringIO(), stderr=err)

    assert "PROBLEM #3: its hash differs from the one recorded earlier" in err.getvalue()
    call_command("audit_verify", "--expect", f"3:{previous}", stdout=io.StringIO())
    with pytest.raises(CommandError, match="ID:HASH"):
        call_command("audit_verify", "--expect", "3:nothex")


def test_audit_verify_refuses_a_bad_chunk_size():
    with pytest.raises(CommandError, match="chunk-size"):
        call_command("audit_verify", "--chunk-size", "0")


# --- Pruning (for retention) --------------------------------------------------------------


def write_at(monkeypatch, moment, n):
    monkeypatch.setattr(audit.timezone, "now", lambda: moment)
    entries = write(n)
    monkeypatch.undo()
    return entries


def test_pruning_deletes_old_entries_in_batches_and_the_rest_still_verifies(monkeypatch):
    now = timezone.now()
    write_at(monkeypatch, now - timedelta(days=400), 5)
    kept = write_at(monkeypatch, now - timedelta(days=10), 3)

    deleted = audit.prune_before(now - timedelta(days=365), batch_size=2)

    assert deleted == 5
    assert list(AuditEntry.objects.values_list("id", flat=True)) == [6, 7, 8, 9]
    head = AuditChainHead.objects.get()
    assert (head.first_id, head.first_prev_hash) == (6, kept[0].prev_hash)
    pruned = AuditEntry.objects.get(pk=9)
    assert (pruned.action, pruned.details) == ("audit.pruned", {"deleted": 5, "first_kept": 6})
    assert audit.verify() == (4, [])
    assert audit.prune_before(now - timedelta(days=365)) == 0  # nothing left to prune


def test_tampering_with_what_pruning_kept_is_still_found(monkeypatch):
    now = timezone.now()
    write_at(monkeypatch, now - timedelta(days=400), 3)
    write_at(monkeypatch, now, 3)
    audit.prune_before(now - timedelta(days=1))

    tamper("DELETE FROM privacy_auditentry WHERE id = 4")

    assert problems() == ["#5: entries #4 to #4 are missing"]


def test_pruning_everything_leaves_a_chain_that_continues(monkeypatch):
    write_at(monkeypatch, timezone.now() - timedelta(days=30), 4)

    assert audit.prune_before(timezone.now()) == 4

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["audit.pruned"]
    audit.record("test.after")
    assert audit.verify() == (2, [])


# --- Concurrent writers -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@ON_POSTGRES
def test_concurrent_appends_from_two_connections_keep_one_valid_chain():
    per_thread, errors = 25, []
    start = threading.Barrier(2)

    def append(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record("test.concurrent", worker=worker, number=i)
        except Exception as error:  # reported below: a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert audit.verify() == (2 * per_thread, [])
    workers = AuditEntry.objects.values_list("details__worker", flat=True)
    assert sorted(set(workers)) == [0, 1]


# --- Staff opening a member's data is logged ----------------------------------------------


@pytest.fixture
def officer():
    user = make_member(email="officer@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.PRIVACY_OFFICER))
    return user


def staff_entries(action="staff.viewed"):
    return list(
        AuditEntry.objects.filter(action=action).values_list(
            "actor_id", "subject_id", "object_type", "object_id", "details"
        )
    )


def test_opening_a_members_record_in_the_admin_is_logged_with_ids_only(client, officer):
    member = make_member(email="zhanar@example.com", first_name="Zhanar")
    client.force_login(officer)

    response = client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    assert response.status_code == 200
    assert staff_entries() == [
        (officer.pk, member.pk, "accounts.user", str(member.pk), {"view": "change"})
    ]
    entry = AuditEntry.objects.get(action="staff.viewed")
    assert "zhanar" not in str(entry.__dict__).lower()


def test_opening_a_booking_logs_whose_booking_it_is(client, officer):
    member = make_member()
    booking = make_booking(showtime=make_showtime(), user=member)
    client.force_login(officer)

    client.get(reverse("admin:cinema_booking_change", args=[booking.pk]))
    client.get(reverse("admin:cinema_booking_history", args=[booking.pk]))

    assert staff_entries() == [
        (officer.pk, member.pk, "cinema.booking", str(booking.pk), {"view": "change"}),
        (officer.pk, member.pk, "cinema.booking", str(booking.pk), {"view": "history"}),
    ]


def test_a_list_logs_each_member_shown_but_not_the_search_words(client, officer):
    zhanar = make_member(email="zhanar@example.com", first_name="Zhanar")
    make_member(email="other@example.com", first_name="Other")
    client.force_login(officer)

    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "zhanar"})

    assert response.status_code == 200
    assert "zhanar@example.com" in response.content.decode()
    assert staff_entries("staff.listed") == [
        (officer.pk, zhanar.pk, "accounts.user", str(zhanar.pk), {"searched": True, "page": 1})
    ]
    assert "zhanar" not in str(list(AuditEntry.objects.values())).lower()
    assert audit.verify()[1] == []


def test_a_list_of_bookings_logs_whose_booking_each_row_is(client, officer):
    first, second = make_member(), make_member()
    showtime = make_showtime()
    bookings = [make_booking(showtime=showtime, user=m) for m in (first, second)]
    client.force_login(officer)

    assert client.get(reverse("admin:cinema_booking_changelist")).status_code == 200

    logged = {
        (subject, object_id) for _a, subject, _t, object_id, _d in staff_entries("staff.listed")
    }
    assert logged == {(first.pk, str(bookings[0].pk)), (second.pk, str(bookings[1].pk))}


def test_the_log_leaves_list_views_out_until_asked_or_a_member_is_searched(client, officer):
    member = make_member()
    client.force_login(officer)
    client.get(reverse("admin:accounts_user_changelist"))  # staff.listed, one per row
    client.get(reverse("admin:accounts_user_change", args=[member.pk]))  # staff.viewed
    log = reverse("admin:privacy_auditentry_changelist")

    def shown(**params):
        response = client.get(log, params)
        return {entry.action for entry in response.context["cl"].result_list}

    assert shown() == {"staff.viewed"}
    assert shown(action="all") == {"staff.viewed", "staff.listed"}
    assert shown(action="staff.listed") == {"staff.listed"}
    assert shown(q=str(member.pk)) == {"staff.viewed", "staff.listed"}
    page = client.get(log).content.decode()
    assert "All but list views" in page
    assert "Staff saw a member on a list (staff.listed)" in page


def test_refused_pages_and_empty_lists_log_nothing(client, officer):
    member = make_member()
    client.force_login(officer)
    assert (
        client.get(
            reverse("admin:accounts_user_changelist"), {"q": "nobody-by-that-name"}
        ).status_code
        == 200
    )

    nobody = make_member(email="nobody@example.com", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("admin:accounts_user_change", args=[member.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403

    assert staff_entries() == []
    assert staff_entries("staff.listed") == []


def test_a_staff_change_to_a_member_is_logged_with_the_changed_field_names(client):
    admin_user = make_member(email="root@example.com", is_staff=True, is_superuser=True)
    member = make_member(first_name="Old")
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[member.pk])
    data = {
        "email": member.email,
        "first_name": "New",
        "last_name": member.last_name,
        "date_of_birth": "1990-01-01",
        "preferred_language": member.preferred_language,
        "is_active": "on",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.first_name == "New"
    [(actor, subject, *_rest, details)] = staff_entries("staff.changed")
    assert (actor, subject) == (admin_user.pk, member.pk)
    assert "first_name" in details["fields"]


def test_allauth_admins_that_show_a_members_data_are_logged_too(client, officer):
    member = make_member()
    address = EmailAddress.objects.get(user=member)
    client.force_login(officer)

    response = client.get(reverse("admin:account_emailaddress_change", args=[address.pk]))

    assert response.status_code == 200
    assert staff_entries() == [
        (officer.pk, member.pk, "account.emailaddress", str(address.pk), {"view": "change"})
    ]


def test_the_subject_of_a_row_comes_from_its_registry_declaration():
    member = make_member()
    req = workflow.open_request(PrivacyRequest.Type.ACCESS, user=member)
    event = RequestEvent.objects.filter(request=req).first()

    assert audit.subject_id_of(member) == member.pk  # "self"
    assert audit.subject_id_of(req) == member.pk  # "user"
    assert audit.subject_id_of(event) == member.pk  # "request__user"
    assert audit.subject_id_of(AuditChainHead.objects.get()) is None  # nobody's
