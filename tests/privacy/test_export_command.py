"""``manage.py export_user EMAIL --out FILE``: the member's ZIP, for staff and operators."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from privacy.models import AuditEntry
from privacy.services import audit
from tests.privacy.test_export import BOLAT_TRACES, read_zip, seed_two_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def run(*args) -> str:
    out = io.StringIO()
    call_command("export_user", *args, stdout=out)
    return out.getvalue()


def test_it_writes_the_same_zip_a_member_downloads_and_audits_it(tmp_path):
    aruzhan, _bolat = seed_two_members()
    target = tmp_path / "aruzhan.zip"

    printed = run("ARUZHAN.Export@example.com", "--out", str(target))

    entries = read_zip(target)
    assert {"index.html", "README.txt", "schema.json", "data/bookings.csv"} <= set(entries)
    (profile,) = json.loads(entries["data/profile.json"])["sources"][0]["records"]
    assert profile["email"] == "aruzhan.export@example.com"
    everything = b"".join(entries.values())
    assert not [t for t in BOLAT_TRACES if t.encode() in everything]
    assert (target.stat().st_mode & 0o777) == 0o600
    assert f"member #{aruzhan.pk}" in printed and str(target) in printed
    assert "records in" in printed and "sha256" in printed
    assert "aruzhan" not in printed.lower().replace(str(target).lower(), "")
    entry = AuditEntry.objects.get(action=audit.Action.STAFF_EXPORTED)
    assert entry.subject_id == aruzhan.pk and entry.details["via"] == "command"
    assert entry.details["records"] > 5


def test_an_unknown_email_is_a_clear_error_and_writes_nothing(tmp_path):
    seed_two_members()
    target = tmp_path / "nobody.zip"

    with pytest.raises(CommandError, match="No member has that email address"):
        run("nobody@example.com", "--out", str(target))

    assert not list(tmp_path.glob("*nobody*"))
    assert not AuditEntry.objects.filter(action=audit.Action.STAFF_EXPORTED).exists()


def test_an_existing_file_is_kept_unless_forced(tmp_path):
    seed_two_members()
    target = tmp_path / "existing.zip"
    target.write_bytes(b"an earlier file")

    with pytest.raises(CommandError, match="already exists; use --force"):
        run("aruzhan.export@example.com", "--out", str(target))
    assert target.read_bytes() == b"an earlier file"

    run("aruzhan.export@example.com", "--out", str(target), "--force")
    assert "data/profile.json" in read_zip(target)


def test_a_missing_folder_is_a_clear_error(tmp_path):
    seed_two_members()

    with pytest.raises(CommandError, match="does not exist"):
        run("aruzhan.export@example.com", "--out", str(tmp_path / "no-such-folder" / "x.zip"))
