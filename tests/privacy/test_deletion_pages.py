"""Deleting one's account in the browser: re-authentication, the plan, the grace period."""

import importlib
import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialApp
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cinema.models import Booking
from privacy.models import ConsentRecord, ErasureJob, PrivacyRequest
from privacy.services import consent, erasure
from tests.accounts.test_mfa import SECRET
from tests.accounts.test_social_providers import (
    APPLE_CLIENT_ID,
    APPLE_P8,
    apple_calls_back,
)
from tests.accounts.test_social_providers import signup_data as social_signup_data
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import PASSWORD, make_member, totp_code
from tests.privacy.erasure_helpers import isolate_storage, make_rich_member

pytestmark = pytest.mark.django_db

User = get_user_model()
DELETE = reverse("privacy:delete_account")


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    isolate_storage(settings, tmp_path)
    settings.PRIVACY_DELETION_GRACE = timedelta(days=7)


def signed_in(email: str, password: str = PASSWORD) -> Client:
    """A browser that signed in with the password."""
    client = Client()
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302
    return client


def without_second_factor(member):
    """The rich member has a (fake) authenticator; these tests sign in with a password only."""
    Authenticator.objects.filter(user=member.user).delete()
    return member


def reauthenticated(email: str) -> Client:
    """A browser that signed in and just confirmed its password again (allauth re-auth)."""
    client = signed_in(email)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


def cancel_link(message) -> str:
    match = re.search(r"http://[^\s]+/privacy/delete-account/cancel/[^\s/]+/", message.body)
    return match.group(0)


def test_the_page_needs_a_sign_in_and_a_recent_re_authentication():
    member = make_member(email="reauth@example.com")
    anonymous = Client()
    assert anonymous.get(DELETE)["Location"].startswith(reverse("account_login"))

    stale = signed_in(member.email)  # signing in is not confirming the password again
    response = stale.get(DELETE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))

    stale.post(response["Location"], {"password": PASSWORD})
    assert stale.get(DELETE).status_code == 200


def test_the_page_shows_what_is_deleted_anonymized_and_kept_and_why():
    member = without_second_factor(make_rich_member(email="plan@example.com"))
    client = reauthenticated(member.email)

    page = client.get(DELETE).content.decode()

    assert "What we delete" in page and "What we must keep, for how long and why" in page
    assert "Pages and films you looked at" in page  # usage events: deleted
    assert "Your tickets: showing, seats, price and payment reference." in page
    assert "kept without your name or contact details for 5 years" in page
    assert "Bookings we cancel now" in page and member.future_booking.code in page
    assert member.past_booking.code not in page  # it happened: kept, not cancelled
    assert "Your photo." in page


def test_confirming_schedules_the_deletion_signs_out_and_shows_the_date(mailoutbox):
    member = without_second_factor(make_rich_member(email="confirm@example.com"))
    client = reauthenticated(member.email)

    refused = client.post(DELETE, {})
    assert refused.status_code == 200 and "Tick the box to confirm" in refused.content.decode()
    assert not ErasureJob.objects.exists()

    response = client.post(DELETE, {"confirm": "on"})

    assert response["Location"] == reverse("privacy:deletion_scheduled")
    job = ErasureJob.objects.get(user_id=member.user.pk)
    assert job.status == ErasureJob.Status.SCHEDULED and job.source == "member"
    page = client.get(response["Location"]).content.decode()
    assert "Your account will be deleted" in page and "Cancel the deletion" in page
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:profile")).status_code == 302  # signed out
    member.user.refresh_from_db()
    assert not member.user.is_active
    request = PrivacyRequest.objects.get(pk=job.request_id)
    assert request.type == "erasure" and request.self_service
    sent = [m for m in mailoutbox if "will be deleted" in m.subject]
    assert [m.to for m in sent] == [[member.email]]
    assert cancel_link(sent[0])


def test_the_signed_out_member_keeps_their_language_and_cookie_answers():
    member = make_member(email="ru.delete@example.com", preferred_language="ru")
    consent.record_choices(
        consent.Subject.of(member),
        {"functional": True, "analytics": False, "advertising": False, "marketing_email": True},
        source="banner",
    )
    client = reauthenticated(member.email)

    with translation.override("en"):
        response = client.post(DELETE, {"confirm": "on"})
        cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
        assert cookie.value == "ru" and not cookie["max-age"]  # for this browser session
        page = client.get(response["Location"]).content.decode()
        assert '<html lang="ru"' in page  # the "scheduled" page speaks Russian
        assert 'id="consent-banner"' not in page  # and does not ask about cookies again
        cancel = client.get(reverse("privacy:cancel_deletion")).content.decode()
        assert '<html lang="ru"' in cancel

    visitor = client.cookies[consent.VISITOR_COOKIE].value
    assert visitor
    handed = ConsentRecord.objects.filter(user=None, source="sign_out")
    assert {(r.purpose, r.granted) for r in handed} == {
        ("functional", True),
        ("analytics", False),
        ("advertising", False),
    }  # the banner answers only, not marketing


def test_the_browser_that_deleted_can_cancel_at_once():
    member = make_member(email="oops@example.com")
    client = reauthenticated(member.email)
    client.post(DELETE, {"confirm": "on"})

    response = client.post(reverse("privacy:cancel_deletion"), follow=True)

    # Signed in again at once (no second password prompt), told the deletion is cancelled.
    assert response.redirect_chain == [(reverse("privacy:center"), 302)]
    assert "The deletion is cancelled and your account is active again." in (
        response.content.decode()
    )
    assert client.session["_auth_user_id"] == str(member.pk)
    member.refresh_from_db()
    assert member.is_active
    assert ErasureJob.objects.get().status == ErasureJob.Status.CANCELLED
    assert "_auth_user_id" in signed_in(member.email).session


def test_the_emailed_link_cancels_after_a_confirmation_click(mailoutbox):
    member = make_member(email="link@example.com")
    reauthenticated(member.email).post(DELETE, {"confirm": "on"})
    link = cancel_link(next(m for m in mailoutbox if "will be deleted" in m.subject))
    visitor = Client()

    page = visitor.get(link)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "Cancel the deletion" in page.content.decode()
    assert ErasureJob.objects.get().status == ErasureJob.Status.SCHEDULED

    visitor.post(link)

    member.refresh_from_db()
    assert member.is_active and ErasureJob.objects.get().status == ErasureJob.Status.CANCELLED
    assert any("cancelled" in m.subject for m in mailoutbox)
    again = visitor.get(link)
    assert again.status_code == 404 and "no longer works" in again.content.decode()
    assert Client().get(link[:-5] + "xxxx/").status_code == 404


def test_signing_in_during_the_grace_period_offers_only_the_cancellation():
    member = make_member(email="comeback@example.com")
    reauthenticated(member.email).post(DELETE, {"confirm": "on"})

    client = Client()
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response["Location"] == reverse("privacy:cancel_deletion")
    assert "_auth_user_id" not in client.session  # the account is not opened
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert client.get(reverse("cinema:booking_list")).status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "scheduled for deletion" in page

    response = client.post(reverse("privacy:cancel_deletion"))

    assert response["Location"] == reverse("privacy:center")
    assert client.session["_auth_user_id"] == str(member.pk)  # no second sign-in
    assert client.get(reverse("accounts:profile")).status_code == 200
    member.refresh_from_db()
    assert member.is_active
    assert "_auth_user_id" in signed_in(member.email).session


def test_a_cancel_ticket_works_once_and_in_a_fresh_session():
    member = make_member(email="once@example.com")
    reauthenticated(member.email).post(DELETE, {"confirm": "on"})
    client = Client()
    client.get(reverse("account_login"))
    before = client.session.session_key

    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert client.session.session_key != before  # the ticket is not in a fixed session
    ticketed = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("privacy:cancel_deletion"))["Location"] == reverse("privacy:center")
    client.post(reverse("account_logout"))

    # Replaying the ticketed session, or the ticket after its use, opens nothing.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = ticketed
    response = replay.post(reverse("privacy:cancel_deletion"))
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in replay.session
    erasure.schedule_deletion(member, source="member", actor=member)
    assert client.post(reverse("privacy:cancel_deletion"))["Location"] == reverse("account_login")
    assert ErasureJob.objects.filter(status=ErasureJob.Status.SCHEDULED).count() == 1


def test_the_emailed_link_cancels_without_signing_in(mailoutbox):
    member = make_member(email="nosignin@example.com")
    reauthenticated(member.email).post(DELETE, {"confirm": "on"})
    link = cancel_link(next(m for m in mailoutbox if "will be deleted" in m.subject))
    visitor = Client()

    response = visitor.post(link)

    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in visitor.session  # the mailbox alone is no sign-in
    assert ErasureJob.objects.get().status == ErasureJob.Status.CANCELLED


@pytest.fixture
def apple_sign_in():
    """Staff configured Sign in with Apple; the policies a sign-up accepts are published."""
    importlib.import_module("privacy.migrations.0005_seed_policies").seed(django_apps, None)
    SocialApp.objects.create(
        provider="apple",
        name="Apple",
        client_id=APPLE_CLIENT_ID,
        secret="KEYID12345",
        key="TEAMID6789",
        settings={"certificate_key": APPLE_P8},
    )


def test_signing_in_with_the_provider_during_the_grace_period_offers_only_the_cancellation(
    apple_sign_in,
):
    # A member who signed up with Apple (no password of their own) deletes their account,
    # then signs in with Apple again: the same offer as a password sign-in, nothing more.
    browser = Client()
    assert apple_calls_back(browser)["Location"] == reverse("socialaccount_signup")
    browser.post(
        reverse("socialaccount_signup"), social_signup_data(email="grace@privaterelay.appleid.com")
    )
    member = User.objects.get(email="grace@privaterelay.appleid.com")
    assert not member.has_usable_password()
    # Just signed in through the provider: that counts as a recent authentication.
    response = browser.post(DELETE, {"confirm": "on"})
    assert response["Location"] == reverse("privacy:deletion_scheduled")
    job = ErasureJob.objects.get(user_id=member.pk)
    assert job.status == ErasureJob.Status.SCHEDULED

    client = Client()
    response = apple_calls_back(client)

    assert response["Location"] == reverse("privacy:cancel_deletion")
    assert "_auth_user_id" not in client.session  # the account is not opened
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert client.get(reverse("privacy:center")).status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "scheduled for deletion" in page

    client.post(reverse("privacy:cancel_deletion"))

    assert client.session["_auth_user_id"] == str(member.pk)
    member.refresh_from_db()
    assert member.is_active
    assert ErasureJob.objects.get(pk=job.pk).status == ErasureJob.Status.CANCELLED
    again = Client()
    apple_calls_back(again)
    assert again.session["_auth_user_id"] == str(member.pk)


def test_a_wrong_password_during_the_grace_period_gets_no_ticket():
    member = make_member(email="intruder@example.com")
    reauthenticated(member.email).post(DELETE, {"confirm": "on"})

    client = Client()
    client.post(reverse("account_login"), {"login": member.email, "password": "not-the-password"})

    assert client.get(reverse("privacy:cancel_deletion"))["Location"] == reverse("account_login")
    assert client.post(reverse("privacy:cancel_deletion")).status_code == 302
    assert ErasureJob.objects.get().status == ErasureJob.Status.SCHEDULED


def test_a_member_with_a_second_factor_must_pass_it_before_the_cancellation():
    member = make_member(email="mfa.grace@example.com")
    TOTP.activate(member, SECRET)
    erasure.schedule_deletion(member, source="member", actor=member)

    client = Client()
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("privacy:cancel_deletion"))["Location"] == reverse("account_login")

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})

    assert response["Location"] == reverse("privacy:cancel_deletion")
    assert "_auth_user_id" not in client.session
    assert client.post(response["Location"])["Location"] == reverse("privacy:center")
    assert client.session["_auth_user_id"] == str(member.pk)


def test_after_the_erasure_the_old_credentials_fail():
    member = make_member(email="erased.login@example.com")
    job = erasure.schedule_deletion(member, source="member", actor=member)
    erasure.run_erasure(job.pk, now=job.due_at + timedelta(minutes=1))

    client = Client()
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("privacy:cancel_deletion"))["Location"] == reverse("account_login")


def test_staff_cannot_delete_their_account_here():
    staff = make_member(email="staff.self@example.com", is_staff=True)
    client = reauthenticated(staff.email)

    page = client.get(DELETE).content.decode()
    client.post(DELETE, {"confirm": "on"})

    assert "closed by an administrator" in page
    assert not ErasureJob.objects.exists()


# --- Staff erase a member in the admin ----------------------------------------------------


def officer(*perms: str):
    staff = make_member(email=f"officer{len(perms)}@example.com", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "change_user", *perms])
    )
    client = Client()
    client.force_login(staff)
    return staff, client


def test_staff_with_the_permission_erase_a_member_with_a_reason(django_capture_on_commit_callbacks):
    child = make_member(email="child@example.com")
    booking = make_booking(
        showtime=make_showtime(starts_at=timezone.now() - timedelta(days=1)), user=child
    )
    report = PrivacyRequest.objects.create(
        type="guardian_report",
        email="parent@example.com",
        description="My child child@example.com is 12",
        due_at=timezone.now() + timedelta(days=30),
        verification="staff",
        status="in_progress",
    )
    _staff, client = officer("erase_member")
    changelist = reverse("admin:accounts_user_changelist")
    data = {"action": "erase_members", "_selected_action": [child.pk]}

    form = client.post(changelist, data)
    assert form.status_code == 200 and "Reason" in form.content.decode()
    missing = client.post(changelist, {**data, "apply": "1", "reason": ""})
    assert missing.status_code == 200 and User.objects.get(pk=child.pk).is_active

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            changelist,
            {
                **data,
                "apply": "1",
                "reason": "guardian report",
                "request_reference": f"PR-{report.pk:06d}",
            },
        )

    assert done.status_code == 302
    job = ErasureJob.objects.get()
    assert (job.source, job.reason, job.request_id, job.status) == (
        "staff", "guardian report", report.pk, ErasureJob.Status.DONE,
    )  # fmt: skip
    assert not User.objects.filter(pk=child.pk).exists()
    booking.refresh_from_db()
    assert booking.user_id is None and booking.tombstone == job.tombstone
    report.refresh_from_db()
    assert report.status == "completed" and report.email == "parent@example.com"
    assert "child@example.com" not in report.description


def test_staff_without_the_permission_do_not_get_the_action():
    member = make_member(email="safe@example.com")
    _unused, client = officer()
    changelist = reverse("admin:accounts_user_changelist")

    assert "erase_members" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "erase_members", "_selected_action": [member.pk],
                             "apply": "1", "reason": "x"})  # fmt: skip

    assert User.objects.filter(pk=member.pk).exists() and not ErasureJob.objects.exists()


def test_upcoming_bookings_are_cancelled_when_the_deletion_is_confirmed(
    django_capture_on_commit_callbacks,
):
    member = make_member(email="upcoming@example.com")
    booking = make_booking(showtime=make_showtime(), user=member)
    client = reauthenticated(member.email)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(DELETE, {"confirm": "on"})

    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_the_erasure_jobs_are_read_only_in_the_admin_with_their_report():
    member = make_member(email="reported@example.com")
    job = erasure.erase_now(member, reason="verified request")
    _staff, client = officer("view_erasurejob", "view_erasurejournal")

    listing = client.get(reverse("admin:privacy_erasurejob_changelist")).content.decode()
    detail = client.get(reverse("admin:privacy_erasurejob_change", args=[job.pk]))

    assert str(job.tombstone) in listing
    page = detail.content.decode()
    assert detail.status_code == 200 and "cinema.Booking" in page and "accounts.User" in page
    assert "reported@example.com" not in page and 'name="_save"' not in page
    journal = client.get(reverse("admin:privacy_erasurejournal_changelist"))
    assert journal.status_code == 200 and str(job.tombstone) in journal.content.decode()
    assert client.get(reverse("admin:privacy_erasurejob_add")).status_code == 403
