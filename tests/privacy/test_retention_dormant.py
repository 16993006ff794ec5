"""Dormant accounts: one notice after years without a sign-in, then erasure unless they sign in."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from privacy.models import AuditEntry, DormantNotice
from privacy.models.erasure import ErasureJob
from privacy.services import dormant, retention
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

User = get_user_model()
YEARS_3 = timedelta(days=3 * 365)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def member_last_seen(ago: timedelta, *, now, **fields):
    member = make_member(**fields)
    User.objects.filter(pk=member.pk).update(last_login=now - ago, date_joined=now - ago * 2)
    member.refresh_from_db()
    return member


def test_a_member_without_a_sign_in_for_three_years_gets_one_notice_with_the_date(now):
    dormant_member = member_last_seen(YEARS_3 + timedelta(days=1), now=now, first_name="Dana")
    active = member_last_seen(YEARS_3 - timedelta(days=1), now=now)

    (run,) = retention.run_rule("dormant-notice", now=now)
    (again,) = retention.run_rule("dormant-notice", now=now)

    notice = DormantNotice.objects.get()
    assert notice.user == dormant_member
    assert notice.erase_after == now + timedelta(days=30)
    assert notice.inactive_since == dormant_member.last_login
    assert not DormantNotice.objects.filter(user=active).exists()
    assert (run.action, run.rows, again.rows) == ("notify", 1, 0)
    (message,) = mail.outbox
    assert message.to == [dormant_member.email]
    date = date_format(notice.erase_after, "DATE_FORMAT")
    assert message.subject == f"[Marquee] Your account will be deleted on {date} unless you sign in"
    assert "Hello Dana," in message.body
    assert f"sign in before {date}" in message.body
    assert "http://127.0.0.1:8000/accounts/login/" in message.body
    html = message.alternatives[0][0]
    assert 'href="http://127.0.0.1:8000/accounts/login/"' in html
    assert AuditEntry.objects.filter(
        action=dormant.NOTICE_SENT, subject_id=dormant_member.pk
    ).exists()


def test_members_who_never_signed_in_count_from_sign_up(now):
    member = make_member()
    User.objects.filter(pk=member.pk).update(
        last_login=None, date_joined=now - YEARS_3 - timedelta(days=2)
    )

    retention.run_rule("dormant-notice", now=now)

    assert DormantNotice.objects.get().user_id == member.pk


def test_staff_superusers_held_and_inactive_accounts_are_never_swept(now):
    long_ago = YEARS_3 + timedelta(days=100)
    staff = member_last_seen(long_ago, now=now, is_staff=True)
    member_last_seen(long_ago, now=now, is_superuser=True)
    member_last_seen(long_ago, now=now, is_active=False)
    held = member_last_seen(long_ago, now=now)
    retention.place_hold(held, actor=staff, reason="dispute")

    (run,) = retention.run_rule("dormant-notice", now=now)

    assert run.rows == 0
    assert not DormantNotice.objects.exists()
    assert mail.outbox == []


def test_signing_in_with_the_password_cancels_the_notice(client, now):
    member = member_last_seen(YEARS_3 + timedelta(days=1), now=now)
    retention.run_rule("dormant-notice", now=now)
    assert DormantNotice.objects.filter(user=member).exists()

    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response.status_code == 302
    assert not DormantNotice.objects.filter(user=member).exists()
    assert AuditEntry.objects.filter(action=dormant.NOTICE_CANCELLED, subject_id=member.pk).exists()
    # The notice period passes: the member signed in, so nothing is erased.
    (run,) = retention.run_rule("dormant-erase", now=now + timedelta(days=31))
    assert run.rows == 0
    assert not ErasureJob.objects.exists()


def test_after_the_notice_period_the_still_dormant_member_is_handed_to_erasure(now):
    member = member_last_seen(YEARS_3 + timedelta(days=1), now=now)
    other = member_last_seen(timedelta(days=2), now=now)
    retention.run_rule("dormant-notice", now=now)
    notice = DormantNotice.objects.get(user=member)

    (too_early,) = retention.run_rule("dormant-erase", now=notice.erase_after)
    assert too_early.rows == 0

    after = notice.erase_after + timedelta(seconds=1)
    (run,) = retention.run_rule("dormant-erase", now=after)
    (again,) = retention.run_rule("dormant-erase", now=after)

    assert (run.action, run.rows, again.rows) == ("erase", 1, 0)
    notice.refresh_from_db()
    assert notice.erasure_requested_at == after
    job = ErasureJob.objects.get(user_id=member.pk)
    assert (job.source, job.reason) == ("dormant", "dormant")
    assert job.due_at <= after  # no grace period: the notice period was the grace
    member.refresh_from_db()
    other.refresh_from_db()
    assert (member.is_active, other.is_active) == (False, True)


def test_a_sign_in_the_signal_missed_still_keeps_the_account(now):
    member = member_last_seen(YEARS_3 + timedelta(days=1), now=now)
    retention.run_rule("dormant-notice", now=now)
    # E.g. a session refreshed by another path: last_login moved, the notice stayed.
    User.objects.filter(pk=member.pk).update(last_login=now + timedelta(days=1))

    (run,) = retention.run_rule("dormant-erase", now=now + timedelta(days=31))

    assert run.rows == 0
    assert not ErasureJob.objects.exists()


def test_the_sweep_is_off_when_the_setting_is_zero(now, settings):
    settings.PRIVACY_DORMANT_AFTER = timedelta(0)
    member_last_seen(YEARS_3 * 2, now=now)

    assert retention.run_rule("dormant-notice", now=now) == []
    assert retention.run_rule("dormant-erase", now=now) == []
    assert not DormantNotice.objects.exists()


def test_a_shorter_dormancy_set_by_the_deployment_applies(now):
    member = member_last_seen(timedelta(days=2 * 365 + 1), now=now)
    retention.set_override(
        "dormant-notice", period=timedelta(days=2 * 365), reason="local law", actor=None
    )

    retention.run_rule("dormant-notice", now=now)

    assert DormantNotice.objects.get().user_id == member.pk
