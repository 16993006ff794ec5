"""``manage.py forget_check``: it finds a member anywhere, and nothing after an erasure."""

import io
import json
import textwrap
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import CommandError, call_command

from cinema.models import Cinema
from privacy.services import erasure, forget
from tests.cinema.factories import make_cinema
from tests.factories import make_member
from tests.privacy.erasure_helpers import isolate_storage, make_rich_member, migrated_sqlite_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    isolate_storage(settings, tmp_path)
    return tmp_path


def run_check(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("forget_check", *args, stdout=out)
    except CommandError as exc:
        return 1, out.getvalue() + str(exc)
    return 0, out.getvalue()


def erase_now(user):
    job = erasure.schedule_deletion(user, source="staff", grace=timedelta(0), enqueue=False)
    return erasure.run_erasure(job.pk)


def test_a_member_who_exists_is_found_and_the_values_are_never_printed():
    member = make_rich_member(email="findable.person@example.com")

    code, out = run_check(member.email, "--phone", member.phone, "--name", "Zhanargul Erasova")

    assert code == 1
    assert "FOUND db: accounts_user.email: 1 rows" in out
    assert "FOUND db: account_emailaddress.email" in out
    assert "FOUND account: accounts_user (the account itself)" in out
    assert "FOUND cache" in out  # the failed sign-in's rate-limit entry
    assert "FOUND file: exports/" in out  # inside the export ZIP
    assert member.email not in out and member.phone not in out and "Zhanargul" not in out


def test_after_an_erasure_nothing_is_found_by_email_or_by_tombstone():
    member = make_rich_member(email="forgotten.person@example.com")
    job = erase_now(member.user)

    code, out = run_check(member.email, "--phone", member.phone, "--name", "Zhanargul Erasova")
    assert code == 0, out
    assert "Nothing of this member was found." in out

    code, out = run_check(str(job.tombstone))
    assert code == 0, out
    assert "and the account id" in out


def test_it_searches_tables_the_registry_does_not_know_and_every_kind_of_store(
    isolated_storage,
):
    member = make_member(email="hidden.copy@example.com")
    erase_now(member)
    assert run_check(member.email)[0] == 0
    # Copies the registry knows nothing about: a public text column, an admin log message,
    # a cache value, a file in the media folder, a member inside a ZIP in the export folder.
    make_cinema(name="Cinema of hidden.copy@example.com")
    LogEntry.objects.create(
        user=make_member(is_staff=True),
        content_type=ContentType.objects.get_for_model(Cinema),
        object_id="1",
        object_repr="x",
        action_flag=CHANGE,
        change_message="Wrote to Hidden.Copy@Example.com",
    )
    cache.set("notes", {"to": "hidden.copy@example.com"}, 60)
    media = Path(isolated_storage, "media", "notes")
    media.mkdir(parents=True)
    (media / "list.txt").write_text("hidden.copy@example.com\n")
    exports = Path(isolated_storage, "exports")
    exports.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(exports / "old.zip", "w") as archive:
        archive.writestr("data.json", json.dumps({"email": "hidden.copy@example.com"}))

    code, out = run_check(member.email)

    assert code == 1
    for where in (
        "db: cinema_cinema.name: 1 rows",
        "db: django_admin_log.change_message: 1 rows",
        "cache: cache 'default': 1 entries",
        "file: media/notes/list.txt",
        "file: exports/old.zip",
    ):
        assert where in out, where


def test_non_ascii_names_are_found_in_json_columns_too():
    member = make_member(email="json.name@example.com")
    erase_now(member)
    from privacy.services import requests

    requests.open_request("inquiry", email="someone@example.com", details={"who": "Жанаргүл"})

    report = forget.check(member.email, names=["Жанаргүл"])

    assert [h.location for h in report.hits] == ["privacy_privacyrequest.details"]


def test_user_ids_are_matched_only_where_unambiguous():
    member = make_member(email="by.id@example.com")
    job = erase_now(member)
    # The old id as a number in free text is not a hit (it would match everything)...
    make_cinema(name=f"Hall {job.user_id}")
    assert forget.check(str(job.tombstone)).clean
    # ...but a cache key naming the account, or a restored account with its address, is.
    cache.set(f"allauth:rl:marquee:booking:10/60.0/user:user:{job.user_id}", [1.0], 60)
    cache.set(f"allauth:rl:marquee:booking:10/60.0/user:user:{job.user_id}0", [1.0], 60)
    report = forget.check(str(job.tombstone))
    assert [str(h) for h in report.hits] == ["cache: cache 'default': 1 entries"]
    cache.clear()
    make_member(email="BY.ID@example.com")
    assert [h.where for h in forget.check(str(job.tombstone)).hits] == ["account"]


def test_bad_input_is_refused_with_a_clear_message():
    assert run_check("not-an-address") == (1, "Give an email address or a tombstone id.")
    code, out = run_check("2b1e7c7e-0000-4000-8000-000000000000")
    assert code == 1 and "No erasure with this tombstone id." in out


def test_json_output_for_scripts():
    member = make_member(email="scripted@example.com")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("forget_check", member.email, "--json", stdout=out)

    result = json.loads(out.getvalue())

    assert result["clean"] is False and result["mode"] == "email"
    assert {"where": "db", "location": "accounts_user.email", "count": 1} in result["hits"]


SQLITE_SCRIPT = textwrap.dedent(
    """
    import django, json
    django.setup()
    from django.test.utils import setup_test_environment
    setup_test_environment()
    from tests.privacy.erasure_helpers import make_rich_member
    member = make_rich_member(email="sqlite.member@example.com", first_name="Sqlita")
    print(json.dumps({"email": member.email, "phone": member.phone}))
    """
)


def test_erase_user_and_forget_check_on_sqlite(tmp_path):
    """The same erasure and check on SQLite, in separate processes with their own database."""
    run = migrated_sqlite_project(tmp_path)
    made = run("-c", SQLITE_SCRIPT)
    assert made.returncode == 0, made.stderr[-3000:]
    member = json.loads(made.stdout.strip().splitlines()[-1])
    check = ("manage.py", "forget_check", member["email"], "--phone", member["phone"],
             "--name", "Sqlita Erasova")  # fmt: skip

    before = run(*check)
    assert before.returncode == 1
    assert "FOUND db: accounts_user.email: 1 rows" in before.stdout
    assert member["email"] not in before.stdout + before.stderr

    erased = run("manage.py", "erase_user", member["email"], "--reason", "test on SQLite")
    assert erased.returncode == 0, erased.stdout + erased.stderr[-3000:]
    assert "cinema.Booking: 2 rows keep" in erased.stdout

    after = run(*check)
    assert after.returncode == 0, after.stdout + after.stderr[-3000:]
    assert "Nothing of this member was found." in after.stdout
