"""Shared arrangements of the erasure tests: a member with data in every corner."""

import io
import itertools
import json
import os
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import KnownDevice
from accounts.services import avatar as avatar_service
from cinema.models import Booking, MemberPreferences
from privacy.app_settings import app_settings
from privacy.models import DataExport, PrivacyRequest, TrackingEvent
from privacy.services import consent, requests, tracking
from tests.cinema.factories import make_booking, make_film, make_showtime
from tests.factories import PASSWORD, make_member

FIRST, LAST = "Zhanargul", "Erasova"


@dataclass
class Member:
    user: object
    email: str
    phone: str
    names: list[str]
    past_booking: Booking
    future_booking: Booking
    export: DataExport
    export_path: Path
    avatar_name: str
    extra: dict = field(default_factory=dict)


def tiny_jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile("me.jpg", buffer.getvalue(), content_type="image/jpeg")


_phones = itertools.count(1234567)


def make_rich_member(
    *, email: str, first_name: str = FIRST, last_name: str = LAST, phone: str = ""
) -> Member:
    """A member with rows in (nearly) every declared model and data outside the tables.

    Profile and a second email address, avatar file, a booking of a showtime that has
    happened and one still to come, consents, usage events (in the table and still in the
    buffer), a signed-in session, a social account with a token, a second factor, an export
    ZIP on disk, an open privacy request, a known device, cinema preferences, rate-limit
    entries in the cache (one from a failed sign-in).
    """
    phone = phone or f"+7701{next(_phones):07d}"
    user = make_member(email=email, first_name=first_name, last_name=last_name, phone=phone)
    EmailAddress.objects.create(user=user, email=f"alt.{email}", verified=True, primary=False)
    avatar_service.set_avatar(user, upload=tiny_jpeg(), actor=user)
    user.refresh_from_db()

    film = make_film(title=f"Film for {first_name}")
    past = make_showtime(film=film, starts_at=timezone.now() - timedelta(days=3))
    future = make_showtime(film=film, starts_at=timezone.now() + timedelta(days=3))
    past_booking = make_booking(
        showtime=past, user=user, seat_count=2, status="paid", card_last4="4242",
        payment_reference=f"PAY-{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    future_booking = make_booking(showtime=future, user=user, status="reserved")

    consent.record_choices(
        consent.Subject.of(user),
        {"analytics": True, consent.MARKETING_EMAIL: True},
        source=consent.Source.SETTINGS,
    )
    client = Client()
    client.force_login(user)
    for _ in range(3):
        client.get(reverse("cinema:film_detail", args=[film.slug]))
    client.get(reverse("cinema:film_search"), {"q": first_name})
    tracking.flush_buffer()
    client.get(reverse("cinema:film_detail", args=[film.slug]))  # still buffered
    assert TrackingEvent.objects.filter(user=user).exists()
    assert UserSession.objects.filter(user=user).exists()

    app, _ = SocialApp.objects.get_or_create(
        provider="google", defaults={"name": "Google", "client_id": "cid", "secret": "s"}
    )
    social = SocialAccount.objects.create(
        user=user, provider="google", uid=uuid.uuid4().hex, extra_data={"email": email}
    )
    SocialToken.objects.create(app=app, account=social, token=f"token-{uuid.uuid4().hex}")
    Authenticator.objects.create(user=user, type="totp", data={"secret": "encrypted"})

    export = DataExport.objects.create(user=user, status="ready")
    export.file_name = f"marquee-export-{export.public_id.hex}.zip"
    export.save(update_fields=["file_name"])
    export_dir = Path(app_settings.EXPORT_DIR)
    export_dir.mkdir(parents=True, exist_ok=True)
    export_path = export_dir / export.file_name
    with zipfile.ZipFile(export_path, "w") as archive:
        archive.writestr("profile.json", json.dumps({"email": email, "first_name": first_name}))
    requests.open_request(
        "rectification", user=user, description=f"Please fix my name {first_name} {last_name}"
    )
    KnownDevice.objects.create(user=user, fingerprint_hash=uuid.uuid4().hex)
    MemberPreferences.objects.create(user=user)

    # A failed sign-in leaves allauth's rate-limit entry, keyed by a hash of the address.
    Client().post(reverse("account_login"), {"login": email, "password": "wrong-password-1"})
    cache.set(f"allauth:rl:marquee:booking:10/60.0/user:user:{user.pk}", [1.0], 600)

    return Member(
        user=user,
        email=email,
        phone=phone,
        names=[first_name, last_name],
        past_booking=past_booking,
        future_booking=future_booking,
        export=export,
        export_path=export_path,
        avatar_name=user.avatar.name,
    )


def snapshot(user) -> dict:
    """Counts of a member's rows in the declared models (to prove they were not touched)."""
    from privacy.registry import registry

    counts = {}
    for policy in registry.personal():
        counts[policy.label] = policy.rows_of(user).count()
    counts["sessions"] = Session.objects.filter(
        session_key__in=UserSession.objects.filter(user=user).values("session_key")
    ).count()
    return counts


def sign_in(email: str, password: str = PASSWORD) -> Client:
    client = Client()
    client.post(reverse("account_login"), {"login": email, "password": password})
    return client


def open_request_count(user) -> int:
    return PrivacyRequest.objects.filter(user=user, status__in=PrivacyRequest.OPEN_STATUSES).count()


def migrated_sqlite_project(tmp_path: Path):
    """A SQLite database of its own in ``tmp_path``, migrated by a separate process.

    Returns ``run(*args)``: runs ``python *args`` from the project root against that
    database (test settings, tasks eager, no Redis), returning the completed process.
    """
    root = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cinema.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MARQUEE_DATA_DIR=str(tmp_path / "data"),
        MARQUEE_NO_BOOTSTRAP="1",
        MARQUEE_TASKS_EAGER="1",
        PYTHONPATH=str(root),
    )

    def run(*args):
        return subprocess.run(
            [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )

    migrated = run("manage.py", "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return run


def isolate_storage(settings, tmp_path):
    """Media, exports and the erasure journal of one test in its own folder, and no Redis
    (the usage buffer is a spool file): what an erasure touches outside the database."""
    settings.REDIS_URL = ""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.PRIVACY_ERASURE_JOURNAL_FILE = str(tmp_path / "journal.jsonl")
    return tmp_path
