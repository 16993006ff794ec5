"""A member asks for a copy of their data, watches it being prepared, and downloads it."""

import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from privacy import tasks
from privacy.models import DataExport
from privacy.services import export
from tests.factories import PASSWORD
from tests.privacy.test_export import BOLAT_TRACES, seed_two_members

pytestmark = pytest.mark.django_db(transaction=True)


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def test_member_requests_waits_for_and_downloads_their_data(
    page: Page, live_server, settings, tmp_path, monkeypatch, mailoutbox, snap
):
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    aruzhan, _bolat = seed_two_members()
    # Hold the build back (tasks run eagerly in tests), so the page has progress to show.
    queued = []
    monkeypatch.setattr(tasks.build_export, "delay", queued.append)

    page.goto(f"{live_server.url}/accounts/login/")
    field(page, "Email").fill(aruzhan.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My account")

    page.goto(f"{live_server.url}/privacy/export/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    expect(page.get_by_text("You have not asked for a copy yet.")).to_be_visible()
    snap(page, "01-export-page")
    page.get_by_role("button", name="Prepare a copy of my data").click()

    expect(page.get_by_role("status").first).to_contain_text("We are preparing a copy of your data")
    row = page.locator("#export-list tbody tr").first
    expect(row).to_contain_text("Waiting to start")
    expect(row.locator("progress")).to_have_attribute("value", "0")
    snap(page, "02-waiting")

    # The worker builds it; the page, polling its status, notices and offers the download.
    [export_id] = queued
    export.build_export(export_id)
    download_button = page.get_by_role("link", name="Download")
    expect(download_button).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("Ready to download")
    snap(page, "03-ready")
    assert len(mailoutbox) == 1 and "/privacy/export/download/" in mailoutbox[0].body

    # Downloading asks for the password again first, then the browser saves the ZIP.
    download_button.click()
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    field(page, "Password").fill(PASSWORD)
    snap(page, "04-confirm-access")
    with page.expect_download() as started:
        page.get_by_role("button", name="Confirm").click()
    download = started.value
    # The member is back on the export page, told the download started.
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    expect(page.get_by_text("Your download has started.")).to_be_visible()
    assert re.fullmatch(r"marquee-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    with zipfile.ZipFile(saved) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}

    def records(section):
        # Tables hold rows (arrays) under their field names; other sources hold objects.
        document = json.loads(entries[f"data/{section}.json"])
        found = []
        for source in document["sources"]:
            if "rows" in source:
                found += [dict(zip(source["fields"], row, strict=True)) for row in source["rows"]]
            else:
                found += source["records"]
        return found

    (profile,) = records("profile")
    assert (profile["email"], profile["first_name"]) == (aruzhan.email, "Aruzhan")
    assert sorted(b["code"] for b in records("bookings")) == ["ARU001", "ARU002"]
    assert {c["purpose"] for c in records("consents")} == {"analytics", "marketing_email"}
    assert len(records("activity")) == 3
    assert "data/activity.csv" in entries and "index.html" in entries
    everything = b"".join(entries.values())
    assert not [trace for trace in BOLAT_TRACES if trace.encode() in everything]
    assert DataExport.objects.get(pk=export_id).downloaded_at is not None

    # The ZIP's index.html reads offline in the browser, with the member's bookings.
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(saved) as archive:
        archive.extractall(folder)
    page.goto((folder / "index.html").as_uri())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your data at")
    expect(page.get_by_role("region", name="Bookings")).to_contain_text("ARU001")
    snap(page, "05-index-offline")
