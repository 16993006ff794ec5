"""Download my data: what the ZIP holds, and how an export is built, retried and expired.

The helpers at the top arrange two members with data in every exported area; the other
export test modules import them.
"""

import csv
import io
import json
import uuid
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation
from PIL import Image

from accounts.services import avatar as avatar_service
from privacy.models import AuditEntry, DataExport, PrivacyRequest, TrackingEvent
from privacy.registry import registry
from privacy.services import audit, consent, export
from privacy.services import requests as request_service
from tests.cinema.factories import make_booking, make_film, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db

Status = DataExport.Status


# --- Arranging members and reading exports --------------------------------------------------


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")


def seed_member(*, email, first_name, last_name, film_title, code_prefix, marker, **fields):
    """A member with a profile, two bookings, consents and usage events.

    ``marker`` goes into their search terms and page paths, so that a test can look for it.
    """
    member = make_member(email=email, first_name=first_name, last_name=last_name, **fields)
    showtime = make_showtime(film=make_film(title=film_title))
    for n in (1, 2):
        make_booking(showtime=showtime, user=member, seat_count=2, code=f"{code_prefix}{n}")
    consent.record_choices(
        consent.Subject.of(member),
        {"analytics": True, consent.MARKETING_EMAIL: False},
        source=consent.Source.SETTINGS,
    )
    for n in range(3):
        TrackingEvent.objects.create(
            event_id=uuid.uuid4(),
            kind=TrackingEvent.Kind.SEARCH,
            user=member,
            path=f"/films/{marker}-{n}/",
            search_query=f"{marker} search",
            device_class=TrackingEvent.DeviceClass.DESKTOP,
            browser_family="Firefox",
            ip_prefix="203.0.113.0/24",
            created_at=timezone.now() - timedelta(minutes=n),
        )
    return member


def seed_two_members():
    """Aruzhan (whose data we export) and Bolat (whose data must never appear in it)."""
    aruzhan = seed_member(
        email="aruzhan.export@example.com",
        first_name="Aruzhan",
        last_name="Exportova",
        patronymic="Serikovna",
        phone="+77011234567",
        film_title="Steppe Wind",
        code_prefix="ARU00",
        marker="aruzhan-trail",
    )
    bolat = seed_member(
        email="bolat.other@example.com",
        first_name="Bolat",
        last_name="Otherov",
        film_title="Paper Moons",
        code_prefix="BOL00",
        marker="bolat-trail",
    )
    return aruzhan, bolat


BOLAT_TRACES = [
    "bolat.other@example.com",
    "Bolat",
    "Otherov",
    "BOL001",
    "BOL002",
    "Paper Moons",
    "bolat-trail",
]


def build_for(member, django_capture_on_commit_callbacks) -> DataExport:
    """Ask for an export the way the page does and let the (eager) task build it."""
    with django_capture_on_commit_callbacks(execute=True):
        data_export = export.request_export(member)
    data_export.refresh_from_db()
    assert data_export.status == Status.READY, data_export.error
    return data_export


def read_zip(path) -> dict[str, bytes]:
    """Every entry of the ZIP, decompressed."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def records(entries: dict[str, bytes], section: str, model: str | None = None) -> list[dict]:
    """The records of a section's JSON document as dicts, whichever layout they have."""
    document = json.loads(entries[f"data/{section}.json"], parse_float=Decimal)
    assert document["schema_version"] == export.SCHEMA_VERSION
    sources = document["sources"]
    if model:
        sources = [s for s in sources if s["model"] == model]
    return [record for s in sources for record in records_of(s)]


def records_of(source: dict) -> list[dict]:
    """A table's rows are arrays under its field names; other sources hold objects."""
    if "rows" in source:
        assert "records" not in source
        found = [dict(zip(source["fields"], row, strict=True)) for row in source["rows"]]
    else:
        found = source["records"]
    assert source["record_count"] == len(found)
    return found


def csv_rows(entries: dict[str, bytes], name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(entries[name].decode())))


# --- What the ZIP holds -----------------------------------------------------------------------


def test_the_export_holds_the_members_data_and_nothing_of_another_member(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()

    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    entries = read_zip(export.file_path(data_export))

    assert {"index.html", "README.txt", "schema.json"} <= set(entries)
    (profile,) = records(entries, "profile")
    assert profile["email"] == "aruzhan.export@example.com"
    assert (profile["first_name"], profile["patronymic"], profile["last_name"]) == (
        "Aruzhan",
        "Serikovna",
        "Exportova",
    )
    assert profile["phone"] == "+77011234567"
    assert profile["date_of_birth"] == "1990-01-01"

    bookings = records(entries, "bookings")
    assert sorted(b["code"] for b in bookings) == ["ARU001", "ARU002"]
    assert {b["showtime_film"] for b in bookings} == {"Steppe Wind"}
    assert bookings[0]["seat_count"] == 2 and len(bookings[0]["seats"]) == 2
    assert sorted(r["code"] for r in csv_rows(entries, "data/bookings.csv")) == ["ARU001", "ARU002"]

    consents = records(entries, "consents")
    assert {(c["purpose"], c["granted"]) for c in consents} == {
        ("analytics", True),
        (consent.MARKETING_EMAIL, False),
    }
    activity = records(entries, "activity")
    assert sorted(a["path"] for a in activity) == [f"/films/aruzhan-trail-{n}/" for n in range(3)]
    assert {a["search_query"] for a in activity} == {"aruzhan-trail search"}
    assert len(csv_rows(entries, "data/activity.csv")) == 3

    everything = b"\n".join(entries.values())
    for trace in BOLAT_TRACES:
        assert trace.encode() not in everything, trace


def test_every_exported_declaration_of_the_registry_has_its_document():
    declared = {p.export.section for p in registry.personal() if p.export}

    sections = export.plan()

    assert {s.key for s in sections} == declared
    for section in sections:
        for source in section.sources:
            assert source.tabular == source.policy.export.tabular
            assert source.columns[0].key == "id"
            assert len({c.key for c in source.columns}) == len(source.columns)


def test_json_is_valid_dates_are_iso_8601_and_csv_matches_json(
    tmp_path, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = seed_two_members()

    entries = read_zip(export.file_path(build_for(aruzhan, django_capture_on_commit_callbacks)))
    schema = json.loads(entries["schema.json"])

    checked_dates = 0
    for section in schema["sections"]:
        document = json.loads(entries[section["json"]], parse_float=Decimal)
        for source, described in zip(document["sources"], section["sources"], strict=True):
            assert source["model"] == described["model"]
            types = {f["key"]: f["type"] for f in described["fields"]}
            # Tables (the sources with a CSV file) as rows under their keys, others as objects.
            assert ("rows" in source) == bool(described["csv"])
            assert described["layout"] == ("rows" if described["csv"] else "records")
            if described["csv"]:
                assert source["fields"] == list(types)
            for record in records_of(source):
                assert list(record) == list(types)
                for key, value in record.items():
                    if value is None:
                        continue
                    if types[key] == "datetime":
                        parsed = datetime.fromisoformat(value)
                        assert parsed.utcoffset() == timedelta(0)
                        checked_dates += 1
                    elif types[key] == "date":
                        date.fromisoformat(value)
            if described["csv"]:
                rows = csv_rows(entries, described["csv"])
                assert len(rows) == len(source["rows"])
                for row, record in zip(rows, records_of(source), strict=True):
                    assert list(row) == list(record)
                    assert row == {k: _as_csv(v) for k, v in record.items()}
    assert checked_dates > 10


def _as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)  # numbers: Decimal keeps the digits as written ("2500.00")


def test_secrets_are_withheld_and_the_profile_photo_is_included(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()
    Authenticator.objects.create(
        user=aruzhan, type=Authenticator.Type.TOTP, data={"secret": "TOTPSEEDWHICHMUSTNOTLEAK"}
    )
    picture = io.BytesIO()
    Image.new("RGB", (48, 48), (200, 30, 40)).save(picture, format="JPEG")
    upload = SimpleUploadedFile("me.jpg", picture.getvalue(), content_type="image/jpeg")
    avatar_service.set_avatar(aruzhan, upload=upload, actor=aruzhan)
    aruzhan.refresh_from_db()

    entries = read_zip(export.file_path(build_for(aruzhan, django_capture_on_commit_callbacks)))

    (profile,) = records(entries, "profile")
    assert profile["password"] == export.WITHHELD
    (factor,) = records(entries, "second_factors")
    assert factor["type"] == "totp" and factor["data"] == export.WITHHELD
    everything = b"\n".join(entries.values())
    assert aruzhan.password.encode() not in everything
    assert b"TOTPSEEDWHICHMUSTNOTLEAK" not in everything
    assert profile["avatar"] == f"files/profile/avatar-{aruzhan.pk}.jpg"
    with aruzhan.avatar.open("rb") as stored:
        assert entries[profile["avatar"]] == stored.read()
    assert f'src="{profile["avatar"]}"'.encode() in entries["index.html"]


def test_index_is_self_contained_readable_offline_and_in_the_members_language(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()
    aruzhan.preferred_language = "ru"
    aruzhan.save(update_fields=["preferred_language"])

    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    entries = read_zip(export.file_path(data_export))
    index = entries["index.html"].decode()

    assert '<html lang="ru">' in index
    generated = data_export.finished_at or timezone.now()
    with translation.override("ru"):
        russian_day = formats.date_format(timezone.localtime(generated), "j E Y")
    assert russian_day in index and any(m in russian_day for m in ("января", "ноября", "мая"))
    for external in ("http://", "https://", "<script", "<link", "@import"):
        assert external not in index, external
    for section in json.loads(entries["schema.json"])["sections"]:
        assert f'href="{section["json"]}"' in index
        for source in section["sources"]:
            if source["csv"]:
                assert f'href="{source["csv"]}"' in index
    # The facts of each section come from the registry: purpose, legal basis, recipients.
    assert "ARU001" in index and "Steppe Wind" in index
    schema = json.loads(entries["schema.json"])
    bookings = next(s for s in schema["sections"] if s["key"] == "bookings")["sources"][0]
    assert bookings["purpose"]["legal_basis"] == "contract"
    assert {r["key"] for r in bookings["recipients"]} == {
        "partner-cinemas",
        "payment-provider",
        "hosting",
    }
    assert schema["language"] == "ru" and schema["member_id"] == aruzhan.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
@pytest.mark.parametrize(
    ("piece_bytes", "scanned_backslashes", "careful_pieces"),
    [
        # Pieces of ~1 row: clean rows the fast way (their escapes and nulls undone by
        # scanning, or by replacing), the two awkward ones carefully.
        (64, 1000, 2),
        (64, 0, 2),
        (1 << 20, 2, 1),  # one piece: all the activity rows carefully, other tables fast
    ],
)
def test_postgresql_copy_and_the_portable_path_write_the_same(
    tmp_path, monkeypatch, piece_bytes, scanned_backslashes, careful_pieces
):
    aruzhan, _bolat = seed_two_members()
    film = make_film(title='Null, "null" \\ null')
    awkward = [
        ('/films/"quoted"\\back\nslash\t/', "Ёлки 草原 \x01 \u2028", None),  # control bytes
        ("/films/record\x1eseparator/", "null", None),  # a control byte the fast way never sees
        ('/films/"quotes" and \\ backslashes\\/', 'a,null,b "null",null\\', film),  # escaped
        ('/films/\\"\\\\"/', "null,null", None),  # backslashes next to quotes
    ]
    for path, search_query, event_film in awkward:
        TrackingEvent.objects.create(
            event_id=uuid.uuid4(),
            kind=TrackingEvent.Kind.SEARCH,
            user=aruzhan,
            path=path,
            search_query=search_query,
            film=event_film,  # none: a null among strings that say "null"
            created_at=timezone.now().replace(microsecond=120000),
            time_on_page_ms=1500,
        )
    now = timezone.now()
    monkeypatch.setattr(export, "FLUSH_BYTES", piece_bytes)
    monkeypatch.setattr(export, "SCANNED_BACKSLASHES", scanned_backslashes)
    careful = []
    real_careful = export._careful_rows
    monkeypatch.setattr(
        export, "_careful_rows", lambda rows: careful.append(rows) or real_careful(rows)
    )

    export.write_export(aruzhan, tmp_path / "copy.zip", now=now)
    assert len(careful) == careful_pieces  # control bytes; quotes and nulls need no help
    monkeypatch.setattr(export, "COPY_ENABLED", False)
    export.write_export(aruzhan, tmp_path / "portable.zip", now=now)

    by_copy, portable = read_zip(tmp_path / "copy.zip"), read_zip(tmp_path / "portable.zip")
    assert set(by_copy) == set(portable)
    for name in by_copy:
        if name.endswith(".json"):
            assert by_copy[name] == portable[name], name
        elif name.endswith(".csv"):
            assert _parsed_csv(by_copy[name]) == _parsed_csv(portable[name]), name
    # Nulls are empty cells, and text that says "null" (even between commas) stays text.
    activity = records(by_copy, "activity")
    assert {a["search_query"] for a in activity} >= {'a,null,b "null",null\\', "null,null"}
    assert {a["film_title"] for a in activity} == {None, 'Null, "null" \\ null'}
    assert csv_rows(by_copy, "data/activity.csv") == [
        {key: _as_csv(value) for key, value in a.items()} for a in activity
    ]


def _parsed_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def test_rows_are_streamed_in_small_pieces_with_progress(tmp_path, monkeypatch):
    aruzhan, _bolat = seed_two_members()
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            event_id=uuid.uuid4(), kind="page_view", user=aruzhan, path=f"/p/{n}/", city="Almaty"
        )
        for n in range(40)
    )
    monkeypatch.setattr(export, "FLUSH_BYTES", 64)
    monkeypatch.setattr(export, "CHUNK_SIZE", 7)
    monkeypatch.setattr(export, "PROGRESS_EVERY", 10)
    reports = []

    summary = export.write_export(
        aruzhan, tmp_path / "small.zip", report=lambda *p: reports.append(p)
    )

    entries = read_zip(tmp_path / "small.zip")
    activity = records(entries, "activity")
    assert len(activity) == 43 == len(csv_rows(entries, "data/activity.csv"))
    assert len({a["id"] for a in activity}) == 43
    assert summary.records == sum(
        len(records(entries, s["key"])) for s in json.loads(entries["schema.json"])["sections"]
    )
    percents = [p for p, _records in reports]
    assert len(reports) >= 5 and percents == sorted(percents) and max(percents) <= 99


def test_the_number_of_queries_does_not_grow_with_the_rows(tmp_path):
    aruzhan, _bolat = seed_two_members()

    def queries_of_an_export() -> int:
        # Query logging on (as with DEBUG): the COPY path must work with it too.
        with CaptureQueriesContext(connection) as logged:
            export.write_export(aruzhan, tmp_path / "export.zip")
        return len(logged.captured_queries)

    few = queries_of_an_export()
    TrackingEvent.objects.bulk_create(
        TrackingEvent(event_id=uuid.uuid4(), kind="page_view", user=aruzhan, path=f"/p/{n}/")
        for n in range(3 * export.CHUNK_SIZE)
    )
    assert queries_of_an_export() == few
    assert len(records(read_zip(tmp_path / "export.zip"), "activity")) == 3 * export.CHUNK_SIZE + 3


# --- Requesting and building ------------------------------------------------------------------


def test_asking_twice_gives_the_running_export_and_records_the_right(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = export.request_export(aruzhan)
        second = export.request_export(aruzhan)

    assert first == second and first.status == Status.QUEUED and len(callbacks) == 1
    req = first.request
    assert (req.type, req.self_service, req.status) == (
        PrivacyRequest.Type.EXPORT,
        True,
        PrivacyRequest.Status.RECEIVED,
    )
    assert DataExport.objects.count() == 1


def test_a_built_export_is_ready_audited_its_request_completed_and_the_member_emailed(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://marquee.example"
    aruzhan, _bolat = seed_two_members()
    aruzhan.preferred_language = "ru"
    aruzhan.save(update_fields=["preferred_language"])

    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)

    path = export.file_path(data_export)
    assert data_export.progress == 100 and data_export.attempts == 1
    assert data_export.size_bytes == path.stat().st_size
    assert data_export.sha256 == export._sha256(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert data_export.rows_written >= 1 + 2 + 2 + 3
    assert data_export.expires_at == data_export.finished_at + settings.PRIVACY_EXPORT_TTL
    assert data_export.request.status == PrivacyRequest.Status.COMPLETED
    built = AuditEntry.objects.get(action=audit.Action.EXPORT_BUILT)
    assert built.subject_id == aruzhan.pk and built.object_id == str(data_export.pk)
    assert built.details["records"] == data_export.rows_written
    (message,) = mail.outbox
    assert message.to == [aruzhan.email]
    link = next(w for w in message.body.split() if "/privacy/export/download/" in w)
    assert link.startswith("https://marquee.example/privacy/export/download/")
    assert export.export_for_token(link.rstrip("/").rsplit("/", 1)[1], user=aruzhan) == data_export
    html, _mimetype = message.alternatives[0]
    assert '<html lang="ru">' in html  # rendered in the member's language
    assert not list(path.parent.glob("*.part"))


def test_a_staff_handled_access_request_completes_with_its_export_in_one_email(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()
    req = request_service.open_request(PrivacyRequest.Type.ACCESS, user=aruzhan)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        data_export = export.request_export(aruzhan, privacy_request=req)

    req.refresh_from_db()
    assert DataExport.objects.get(pk=data_export.pk).status == Status.READY
    assert req.status == PrivacyRequest.Status.COMPLETED
    assert req.events.filter(note=f"export #{data_export.pk} ready").exists()
    (message,) = mail.outbox  # the request's completion email, with the download link
    assert message.to == [aruzhan.email] and req.reference in message.subject
    assert "/privacy/export/download/" in message.body


def test_an_unverified_request_only_gets_a_note_when_its_export_is_ready(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()
    req = request_service.open_request(PrivacyRequest.Type.ACCESS, user=aruzhan)
    PrivacyRequest.objects.filter(pk=req.pk).update(
        verification=PrivacyRequest.Verification.PENDING
    )
    req.refresh_from_db()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        data_export = export.request_export(aruzhan, privacy_request=req)

    req.refresh_from_db()
    assert req.status == PrivacyRequest.Status.RECEIVED
    assert req.events.filter(note=f"export #{data_export.pk} ready").exists()
    (message,) = mail.outbox  # the member still gets the usual "ready" email
    assert "/privacy/export/download/" in message.body


def test_building_again_is_harmless_and_a_stale_build_is_redone_from_scratch(
    django_capture_on_commit_callbacks,
):
    aruzhan, _bolat = seed_two_members()
    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    ready_file = export.file_path(data_export)

    assert export.build_export(data_export.pk) is None  # a redelivered message
    data_export.refresh_from_db()
    assert data_export.status == Status.READY and data_export.attempts == 1
    assert ready_file.exists()

    # A worker died mid-build long ago: its half-written file is still there.
    stale = DataExport.objects.create(
        user=aruzhan,
        status=Status.BUILDING,
        attempts=1,
        progress=40,
        started_at=timezone.now() - export.STALE_AFTER - timedelta(minutes=1),
    )
    leftover = export.export_dir() / f"{stale.public_id}.1.part"
    leftover.write_bytes(b"half a zip")
    fresh = DataExport.objects.create(
        user=aruzhan, status=Status.BUILDING, attempts=1, started_at=timezone.now()
    )

    assert stale.pk in export.stale_exports() and fresh.pk not in export.stale_exports()
    assert export.build_export(fresh.pk) is None  # someone is building it right now
    export.build_export(stale.pk)

    stale.refresh_from_db()
    assert (stale.status, stale.attempts, stale.progress) == (Status.READY, 2, 100)
    assert not leftover.exists()
    assert export.file_path(stale).name == f"{stale.public_id}-2.zip"
    read_zip(export.file_path(stale))


def test_a_failed_attempt_is_queued_again_and_the_last_one_fails(monkeypatch):
    aruzhan, _bolat = seed_two_members()
    data_export = DataExport.objects.create(user=aruzhan)

    def broken(user, path, **kwargs):
        with open(path, "wb") as half:
            half.write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "write_export", broken)
    for attempt in range(1, export.MAX_ATTEMPTS + 1):
        with pytest.raises(RuntimeError):
            export.build_export(data_export.pk)
        data_export.refresh_from_db()
        assert data_export.attempts == attempt and data_export.error == "RuntimeError"
        assert not list(export.export_dir().iterdir())
    assert data_export.status == Status.FAILED
    assert export.build_export(data_export.pk) is None


def test_a_queued_export_whose_message_was_lost_is_picked_up_by_the_sweeper():
    aruzhan, _bolat = seed_two_members()
    lost = DataExport.objects.create(
        user=aruzhan, created_at=timezone.now() - export.QUEUED_GRACE - timedelta(seconds=1)
    )
    just_queued = DataExport.objects.create(user=aruzhan)

    assert export.stale_exports() == [lost.pk]
    assert just_queued.pk not in export.stale_exports()


def test_expiry_deletes_the_file_and_marks_the_export(django_capture_on_commit_callbacks):
    aruzhan, bolat = seed_two_members()
    old = build_for(aruzhan, django_capture_on_commit_callbacks)
    recent = build_for(bolat, django_capture_on_commit_callbacks)
    old_file, recent_file = export.file_path(old), export.file_path(recent)

    later = old.expires_at + timedelta(seconds=1)
    DataExport.objects.filter(pk=recent.pk).update(expires_at=later + timedelta(days=1))
    assert export.expire_exports(now=later) == 1
    assert export.expire_exports(now=later) == 0  # twice is harmless

    old.refresh_from_db()
    assert old.status == Status.EXPIRED and not old_file.exists()
    assert not export.is_downloadable(old)
    assert recent_file.exists()
    assert DataExport.objects.get(pk=recent.pk).status == Status.READY


def test_a_build_stops_and_cleans_up_when_its_export_disappears(monkeypatch):
    aruzhan, _bolat = seed_two_members()
    data_export = DataExport.objects.create(user=aruzhan)
    real_write = export.write_export
    monkeypatch.setattr(export, "PROGRESS_EVERY", 1)

    def member_erased_meanwhile(user, path, **kwargs):
        DataExport.objects.filter(pk=data_export.pk).delete()  # the rows cascade at erasure
        return real_write(user, path, **kwargs)

    monkeypatch.setattr(export, "write_export", member_erased_meanwhile)

    assert export.build_export(data_export.pk) is None

    assert not list(export.export_dir().iterdir())
    assert not mail.outbox
    assert not AuditEntry.objects.filter(action=audit.Action.EXPORT_BUILT).exists()


def test_a_full_disk_fails_the_attempt_cleanly(monkeypatch):
    aruzhan, _bolat = seed_two_members()
    data_export = DataExport.objects.create(user=aruzhan)

    def no_space(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile._ZipWriteFile, "write", no_space)

    with pytest.raises(OSError, match="No space left"):
        export.build_export(data_export.pk)

    data_export.refresh_from_db()
    assert (data_export.status, data_export.error) == (Status.QUEUED, "OSError")
    assert not list(export.export_dir().iterdir())


def test_a_disk_filling_up_in_the_middle_of_a_table_fails_the_attempt_cleanly(monkeypatch):
    aruzhan, _bolat = seed_two_members()
    TrackingEvent.objects.bulk_create(
        TrackingEvent(event_id=uuid.uuid4(), kind="page_view", user=aruzhan, path=f"/p/{n}/")
        for n in range(300)
    )
    data_export = DataExport.objects.create(user=aruzhan)
    monkeypatch.setattr(export, "FLUSH_BYTES", 1024)  # many pieces: rows still to come
    real_write = zipfile._ZipWriteFile.write

    def full_after_a_few_pieces(self, data):
        if self._zinfo.filename == "data/activity.json" and self._file_size > 4096:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(zipfile._ZipWriteFile, "write", full_after_a_few_pieces)

    with pytest.raises(OSError, match="No space left"):
        export.build_export(data_export.pk)

    # The half-read rows were let go: the failure was recorded, and the next attempt works.
    data_export.refresh_from_db()
    assert (data_export.status, data_export.error) == (Status.QUEUED, "OSError")
    assert not list(export.export_dir().iterdir())
    monkeypatch.setattr(zipfile._ZipWriteFile, "write", real_write)
    export.build_export(data_export.pk)
    data_export.refresh_from_db()
    assert data_export.status == Status.READY
    assert len(records(read_zip(export.file_path(data_export)), "activity")) == 303
