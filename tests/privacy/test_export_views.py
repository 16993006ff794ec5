"""Download my data in the browser: the page, its progress, and who may download what."""

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse

from privacy.models import AuditEntry, DataExport
from privacy.services import audit, export
from tests.factories import PASSWORD
from tests.privacy.test_export import build_for, read_zip, seed_two_members

pytestmark = pytest.mark.django_db

Status = DataExport.Status


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def members():
    return seed_two_members()


def signed_in(client, member, *, reauthenticated=False):
    client.force_login(member)
    if reauthenticated:
        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302
    return client


def link_of(data_export) -> str:
    return export.download_path(data_export)


# --- The page -------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_member(client):
    response = client.get(reverse("privacy:export"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_asking_for_a_copy_builds_it_and_the_page_offers_the_download(
    client, members, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = members
    signed_in(client, aruzhan)
    page = client.get(reverse("privacy:export"))
    assert "You have not asked for a copy yet." in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(reverse("privacy:export"))
    body = client.get(asked["Location"]).content.decode()

    data_export = DataExport.objects.get(user=aruzhan)
    assert data_export.status == Status.READY
    assert "We are preparing a copy of your data." in body
    assert "Ready to download" in body
    assert "/privacy/export/download/" in body
    assert "export-progress.js" not in body  # nothing left to poll


def test_while_a_copy_is_prepared_the_page_shows_progress_and_polls(
    client, members, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = members
    signed_in(client, aruzhan)

    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("privacy:export"))
        again = client.post(reverse("privacy:export"), follow=True)

    data_export = DataExport.objects.get(user=aruzhan)  # one, not two
    DataExport.objects.filter(pk=data_export.pk).update(status=Status.BUILDING, progress=42)
    page = client.get(reverse("privacy:export")).content.decode()
    assert "Your copy is already being prepared." in again.content.decode()
    assert '<progress max="100" value="42"' in page
    assert "Being built" in page
    assert reverse("privacy:export_status", args=[data_export.public_id]) in page
    assert "marquee/export-progress.js" in page
    assert "Refresh to see the progress" in page  # and without JavaScript, a reload
    assert "/privacy/export/download/" not in page


def test_asking_is_rate_limited(client, members, django_capture_on_commit_callbacks):
    aruzhan, _bolat = members
    signed_in(client, aruzhan)

    answers = []
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(client.post(reverse("privacy:export")).status_code)

    assert answers == [302] * 5 + [429]
    assert DataExport.objects.filter(user=aruzhan).count() == 5


def test_the_progress_of_an_export_is_json_for_its_owner_only(client, members):
    aruzhan, bolat = members
    data_export = DataExport.objects.create(
        user=aruzhan, status=Status.BUILDING, progress=17, rows_written=1234
    )
    url = reverse("privacy:export_status", args=[data_export.public_id])

    mine = signed_in(client, aruzhan).get(url)
    assert mine.status_code == 200 and mine["Cache-Control"].startswith("max-age=0")
    assert mine.json() | {"id": None} == {
        "id": None,
        "status": "building",
        "status_label": "Being built",
        "progress": 17,
        "rows_written": 1234,
        "running": True,
        "ready": False,
        "download_url": None,
        "expires_at": None,
    }
    assert signed_in(client, bolat).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


# --- The download ---------------------------------------------------------------------------


def test_the_owner_downloads_after_re_authenticating(
    client, members, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = members
    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    link = link_of(data_export)
    signed_in(client, aruzhan)

    asked = client.get(link, follow=True)
    assert asked.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert DataExport.objects.get(pk=data_export.pk).downloaded_at is None

    # After confirming, the member is back on the export page, which starts the download.
    confirmed = client.post(asked.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert confirmed.redirect_chain[-1][0] == reverse("privacy:export")
    page = confirmed.content.decode()
    assert "Your download has started." in page
    assert f'<meta http-equiv="refresh" content="0;url={link}">' in page
    assert 'name="password"' not in page
    assert DataExport.objects.get(pk=data_export.pk).downloaded_at is None
    again = client.get(reverse("privacy:export")).content.decode()
    assert 'http-equiv="refresh"' not in again  # the download starts once
    response = client.get(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "marquee-data-" in disposition
    assert "aruzhan" not in disposition.lower()
    body = b"".join(response.streaming_content)
    assert body == export.file_path(data_export).read_bytes()
    assert DataExport.objects.get(pk=data_export.pk).downloaded_at is not None
    downloaded = AuditEntry.objects.get(action=audit.Action.EXPORT_DOWNLOADED)
    assert (downloaded.actor_id, downloaded.subject_id) == (aruzhan.pk, aruzhan.pk)


def test_another_members_link_is_a_404_without_asking_for_a_password(
    client, members, django_capture_on_commit_callbacks
):
    aruzhan, bolat = members
    link = link_of(build_for(aruzhan, django_capture_on_commit_callbacks))

    response = signed_in(client, bolat, reauthenticated=True).get(link)

    assert response.status_code == 404
    assert b"Aruzhan" not in response.content and b"aruzhan" not in response.content
    assert not AuditEntry.objects.filter(action=audit.Action.EXPORT_DOWNLOADED).exists()


def test_a_signed_out_visitor_is_sent_to_sign_in_first(
    client, members, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = members
    link = link_of(build_for(aruzhan, django_capture_on_commit_callbacks))

    response = client.get(link)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_tampered_link_is_a_404(client, members, django_capture_on_commit_callbacks):
    aruzhan, _bolat = members
    link = link_of(build_for(aruzhan, django_capture_on_commit_callbacks))
    signed_in(client, aruzhan, reauthenticated=True)

    assert client.get(link.rstrip("/")[:-3] + "AAA/").status_code == 404
    assert client.get(reverse("privacy:export_download", args=["nonsense"])).status_code == 404


def test_an_expired_link_says_so_and_offers_a_new_copy(
    client, members, monkeypatch, settings, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = members
    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    real_time = time.time
    signed_long_ago = (
        real_time() - (settings.PRIVACY_EXPORT_TTL + timedelta(hours=1)).total_seconds()
    )
    monkeypatch.setattr(signing.time, "time", lambda: signed_long_ago)
    old_link = link_of(data_export)
    monkeypatch.setattr(signing.time, "time", real_time)
    signed_in(client, aruzhan, reauthenticated=True)

    response = client.get(old_link)

    assert response.status_code == 410
    body = response.content.decode()
    assert "This download link has expired" in body
    assert reverse("privacy:export") in body


def test_an_expired_export_is_gone_even_with_a_fresh_link(
    client, members, django_capture_on_commit_callbacks
):
    aruzhan, _bolat = members
    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    export.expire_exports(now=data_export.expires_at + timedelta(seconds=1))
    data_export.refresh_from_db()
    signed_in(client, aruzhan, reauthenticated=True)

    response = client.get(link_of(data_export))

    assert response.status_code == 410
    assert not export.file_path(data_export).exists()


def test_the_downloaded_zip_is_the_members_export(
    client, members, django_capture_on_commit_callbacks, tmp_path
):
    aruzhan, _bolat = members
    data_export = build_for(aruzhan, django_capture_on_commit_callbacks)
    signed_in(client, aruzhan, reauthenticated=True)

    response = client.get(link_of(data_export))
    saved = tmp_path / "download.zip"
    saved.write_bytes(b"".join(response.streaming_content))

    entries = read_zip(saved)
    assert b"aruzhan.export@example.com" in entries["data/profile.json"]
    assert b"bolat" not in b"".join(entries.values()).lower()
