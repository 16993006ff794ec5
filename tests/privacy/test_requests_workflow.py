"""The data-subject request workflow: every step, its trail, its audit entry, its email."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from privacy.models import AuditEntry, PrivacyRequest, RequestEvent, VerificationCode
from privacy.services import requests
from privacy.services.requests import RequestError
from tests.factories import make_member

pytestmark = pytest.mark.django_db

Status = PrivacyRequest.Status
Event = RequestEvent.Action


@pytest.fixture(autouse=True)
def _deployment(settings):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "1 month", "erasure": "7 working days"}
    settings.PRIVACY_REQUEST_EXTENSION = "2 months"
    settings.PRIVACY_HOLIDAYS_COUNTRY = ""
    settings.PRIVACY_EXTRA_HOLIDAYS = []
    settings.PRIVACY_VERIFICATION_CODE_ATTEMPTS = 3
    settings.PRIVACY_VERIFICATION_CODE_TTL = timedelta(minutes=15)
    settings.PRIVACY_UNVERIFIED_REQUEST_TTL = timedelta(days=14)
    settings.TIME_ZONE = "UTC"
    mail.outbox.clear()


def staff(**fields):
    return make_member(is_staff=True, **fields)


def trail(req) -> list[str]:
    return list(req.events.order_by("at", "pk").values_list("action", flat=True))


def audit_actions(req) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="privacy.privacyrequest", object_id=str(req.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def mail_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def html_of(message) -> str:
    return message.alternatives[0][0]


def code_in(message) -> str:
    # The code stands on a line of its own (the reference PR-000042 has six digits too).
    return re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE).group(1)


def open_public(**fields):
    fields.setdefault("email", "visitor@example.com")
    fields.setdefault("name", "Dana Visitor")
    fields.setdefault("description", "Did my data leak?")
    return requests.open_request(PrivacyRequest.Type.LEAK_REPORT, **fields)


# --- Opening ------------------------------------------------------------------------------


def test_a_members_request_is_verified_and_acknowledged_at_once_in_their_language():
    member = make_member(preferred_language="ru")
    received = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("UTC"))

    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=member, received_at=received)

    assert req.status == Status.RECEIVED
    assert req.verification == PrivacyRequest.Verification.SIGNED_IN
    assert req.due_at == datetime(2026, 12, 16, 23, 59, 59, tzinfo=ZoneInfo("UTC"))
    [ack] = mail_to(member.email)
    assert req.reference in ack.subject
    assert 'lang="ru"' in html_of(ack)
    assert "16 декабря 2026" in ack.body  # the due date, written the Russian way
    assert str(req.public_id) in ack.body  # the link to follow it
    assert trail(req) == [Event.RECEIVED, Event.EMAILED]
    entry = AuditEntry.objects.get(action="request.opened")
    assert (entry.actor_id, entry.subject_id) == (member.pk, member.pk)
    assert entry.object_id == str(req.pk)
    assert entry.details == {"type": "access"}


def test_an_erasure_request_is_due_in_seven_working_days():
    member = make_member()
    friday = datetime(2026, 11, 20, 16, 0, tzinfo=ZoneInfo("UTC"))

    req = requests.open_request(PrivacyRequest.Type.ERASURE, user=member, received_at=friday)

    assert req.due_at == datetime(2026, 12, 1, 23, 59, 59, tzinfo=ZoneInfo("UTC"))


def test_self_service_rights_are_recorded_completed_and_counted_without_email():
    member = make_member()

    req = requests.record_self_service(
        PrivacyRequest.Type.EXPORT, user=member, details={"format": "zip"}
    )

    assert req.status == Status.COMPLETED
    assert req.self_service and req.closed_at is not None
    assert trail(req) == [Event.RECEIVED, Event.COMPLETED]
    assert audit_actions(req) == ["request.opened", "request.status"]
    assert mail.outbox == []


def test_an_unknown_type_or_a_request_without_member_or_address_is_refused():
    with pytest.raises(ValueError, match="Unknown request type"):
        requests.open_request("gossip", user=make_member())
    with pytest.raises(ValueError, match="email address"):
        requests.open_request(PrivacyRequest.Type.INQUIRY)
    assert not PrivacyRequest.objects.exists()


# --- Verification by code -----------------------------------------------------------------


def test_a_visitor_confirms_their_address_with_the_code_and_is_then_acknowledged():
    req = open_public(language="kk")

    assert req.status == Status.AWAITING_VERIFICATION
    [code_mail] = mail_to("visitor@example.com")
    assert "15" in code_mail.body  # minutes the code works
    assert 'lang="kk"' in html_of(code_mail)
    mail.outbox.clear()

    assert requests.check_code(req, code_in(code_mail)) is True

    req.refresh_from_db()
    assert req.status == Status.RECEIVED
    assert req.verification == PrivacyRequest.Verification.EMAIL_CODE
    [ack] = mail_to("visitor@example.com")
    assert req.reference in ack.subject
    with translation.override("kk"):
        received = gettext("We received your privacy request %(ref)s") % {"ref": req.reference}
    assert ack.subject.endswith(received)
    assert trail(req) == [
        Event.RECEIVED,
        Event.CODE_SENT,
        Event.EMAILED,
        Event.VERIFIED,
        Event.EMAILED,
    ]
    assert "request.verified" in audit_actions(req)
    assert VerificationCode.objects.get(request=req).code_hash != code_in(code_mail)


def test_wrong_codes_are_counted_and_after_the_last_attempt_even_the_right_one_fails():
    req = open_public()
    code = code_in(mail.outbox[0])
    wrong = "000000" if code != "000000" else "111111"

    results = [requests.check_code(req, wrong) for _ in range(3)]

    assert results == [False, False, False]
    assert requests.check_code(req, code) is False
    req.refresh_from_db()
    assert req.status == Status.AWAITING_VERIFICATION
    assert trail(req).count(Event.VERIFICATION_FAILED) == 3


def test_an_expired_code_fails_and_a_new_code_replaces_the_old_one():
    req = open_public()
    first = code_in(mail.outbox[0])
    VerificationCode.objects.filter(request=req).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert requests.check_code(req, first) is False

    second = requests.send_code(req)
    assert second == code_in(mail.outbox[-1])
    if second != first:
        assert requests.check_code(req, first) is False  # the old one was retired
    assert requests.check_code(req, second) is True


def test_a_code_is_only_for_requests_waiting_for_one():
    req = requests.open_request(PrivacyRequest.Type.INQUIRY, user=make_member())

    with pytest.raises(RequestError):
        requests.send_code(req)
    assert requests.check_code(req, "123456") is True  # already verified: nothing to do


def test_unverified_requests_close_themselves_after_the_set_time_once_and_silently():
    now = timezone.now()
    stale = open_public(received_at=now - timedelta(days=15))
    fresh = open_public(email="fresh@example.com", received_at=now - timedelta(days=13))
    verified = requests.open_request(
        PrivacyRequest.Type.INQUIRY, user=make_member(), received_at=now - timedelta(days=30)
    )
    mail.outbox.clear()

    assert requests.expire_unverified(now=now) == 1
    assert requests.expire_unverified(now=now) == 0

    stale.refresh_from_db()
    fresh.refresh_from_db()
    verified.refresh_from_db()
    assert stale.status == Status.EXPIRED and stale.closed_at is not None
    assert fresh.status == Status.AWAITING_VERIFICATION
    assert verified.status == Status.RECEIVED
    assert trail(stale)[-1] == Event.EXPIRED
    assert mail.outbox == []


def test_the_beat_task_expires_unverified_requests(settings):
    stale = open_public(received_at=timezone.now() - timedelta(days=20))
    from privacy import tasks

    tasks.expire_unverified_requests.delay()

    stale.refresh_from_db()
    assert stale.status == Status.EXPIRED
    entry = settings.CELERY_BEAT_SCHEDULE["expire-unverified-requests"]
    assert entry["task"] == "privacy.expire_unverified_requests"
    assert entry["schedule"] == timedelta(hours=1)


# --- Staff steps --------------------------------------------------------------------------


def test_staff_verify_a_visitor_approve_and_complete_with_an_answer():
    officer = staff()
    req = open_public(language="ru")
    mail.outbox.clear()

    with pytest.raises(RequestError, match="identity"):
        requests.start(req, actor=officer)
    requests.verify_identity(req, actor=officer, note="Called back")
    requests.start(req, actor=officer)
    requests.complete(req, actor=officer, resolution="Nothing of yours leaked.")

    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert req.verification == PrivacyRequest.Verification.STAFF
    assert req.assignee == officer  # starting takes the request
    received, completed = mail_to("visitor@example.com")
    assert 'lang="ru"' in html_of(received) and 'lang="ru"' in html_of(completed)
    assert "Nothing of yours leaked." in completed.body
    assert trail(req) == [
        Event.RECEIVED,
        Event.CODE_SENT,
        Event.EMAILED,
        Event.VERIFIED,
        Event.EMAILED,
        Event.STARTED,
        Event.COMPLETED,
        Event.EMAILED,
    ]
    assert audit_actions(req) == [
        "request.opened",
        "request.verified",
        "request.status",
        "request.status",
    ]


def test_rejecting_needs_a_reason_which_is_emailed():
    officer = staff()
    member = make_member()
    req = requests.open_request(PrivacyRequest.Type.ERASURE, user=member)
    mail.outbox.clear()

    for reason in ["", "   "]:
        with pytest.raises(RequestError, match="reason"):
            requests.reject(req, actor=officer, reason=reason)
    req.refresh_from_db()
    assert req.is_open and mail.outbox == []

    requests.reject(req, actor=officer, reason="An open booking dispute needs the data.")

    req.refresh_from_db()
    assert req.status == Status.REJECTED
    [rejected] = mail_to(member.email)
    assert "An open booking dispute needs the data." in rejected.body
    assert "complain" in rejected.body
    assert RequestEvent.objects.get(request=req, action=Event.REJECTED).actor == officer


def test_text_emails_carry_what_people_wrote_unescaped_and_html_emails_escaped():
    member = make_member()
    req = requests.open_request(PrivacyRequest.Type.GUARDIAN_REPORT, user=member)
    mail.outbox.clear()

    requests.reject(req, actor=staff(), reason="O'Neil & Sons' <b>records</b> must stay.")

    [rejected] = mail_to(member.email)
    assert "O'Neil & Sons' <b>records</b> must stay." in rejected.body
    assert "child's account" in rejected.body.lower() + rejected.subject.lower()
    assert "&#x27;" not in rejected.body + rejected.subject and "&amp;" not in rejected.body
    html = rejected.alternatives[0][0]
    assert "O&#x27;Neil &amp; Sons&#x27; &lt;b&gt;records&lt;/b&gt; must stay." in html


def test_a_refusal_names_the_authority_to_complain_to_when_the_deployment_does(settings):
    settings.PRIVACY_AUTHORITY_NAME = "the Information Commissioner's Office"
    settings.PRIVACY_AUTHORITY_URL = "https://ico.org.uk/make-a-complaint/"
    member = make_member()
    req = requests.open_request(PrivacyRequest.Type.ERASURE, user=member)
    mail.outbox.clear()

    requests.reject(req, actor=staff(), reason="A booking dispute is open.")

    [rejected] = mail_to(member.email)
    assert (
        "you may complain to the data-protection authority, "
        "the Information Commissioner's Office." in rejected.body
    )
    assert "https://ico.org.uk/make-a-complaint/" in rejected.body
    assert 'href="https://ico.org.uk/make-a-complaint/"' in rejected.alternatives[0][0]


def test_request_emails_greet_the_member_and_are_signed_by_the_privacy_team():
    member = make_member(first_name="Aru", preferred_language="en")
    mail.outbox.clear()

    requests.open_request(PrivacyRequest.Type.ACCESS, user=member)

    [received] = mail_to(member.email)
    assert received.body.startswith("Hello Aru,")
    assert received.body.rstrip().endswith("The privacy team, Marquee")
    assert "Hello Aru," in received.alternatives[0][0]


def test_a_deadline_is_extended_once_with_the_reason_emailed():
    officer = staff()
    member = make_member(preferred_language="ru")
    received = timezone.now().replace(microsecond=0)
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=member, received_at=received)
    first_due = req.due_at
    mail.outbox.clear()

    requests.extend(req, actor=officer, reason="Records from three cinemas must be joined.")

    req.refresh_from_db()
    # Two months more, counted from the first deadline's day, to the end of that day.
    assert req.due_at.date() == first_due.date() + relativedelta(months=2)
    assert req.due_at.time() == first_due.time() == time(23, 59, 59)
    assert req.extended_at is not None
    [extended] = mail_to(member.email)
    assert "Records from three cinemas must be joined." in extended.body
    assert 'lang="ru"' in html_of(extended)
    with pytest.raises(RequestError, match="already extended"):
        requests.extend(req, actor=officer, reason="Still more time")
    assert audit_actions(req).count("request.extended") == 1


def test_the_extension_adds_the_deployments_period_to_the_first_deadline(settings):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "45 days"}
    settings.PRIVACY_REQUEST_EXTENSION = "45 days"
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=make_member())
    first_due = req.due_at

    requests.extend(req, actor=staff(), reason="Complex")

    req.refresh_from_db()
    assert req.due_at == first_due + timedelta(days=45)


def test_an_extension_needs_a_reason_and_must_come_before_the_deadline():
    officer = staff()
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=make_member())

    with pytest.raises(RequestError, match="reason"):
        requests.extend(req, actor=officer, reason=" ")
    PrivacyRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - timedelta(hours=1))
    req.refresh_from_db()
    with pytest.raises(RequestError, match="deadline has passed"):
        requests.extend(req, actor=officer, reason="Too late")
    req.refresh_from_db()
    assert req.extended_at is None


def test_closed_requests_take_no_more_steps():
    officer = staff()
    req = requests.record_self_service(PrivacyRequest.Type.OBJECTION, user=make_member())

    for step in [
        lambda: requests.start(req, actor=officer),
        lambda: requests.complete(req, actor=officer),
        lambda: requests.reject(req, actor=officer, reason="No"),
        lambda: requests.extend(req, actor=officer, reason="More"),
        lambda: requests.verify_identity(req, actor=officer),
        lambda: requests.assign(req, assignee=officer, actor=officer),
        lambda: requests.withdraw(req, actor=officer),
    ]:
        with pytest.raises(RequestError):
            step()


def test_assigning_is_recorded_and_only_staff_can_be_assigned():
    officer, colleague = staff(), staff()
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=make_member())

    requests.assign(req, assignee=colleague, actor=officer)
    with pytest.raises(RequestError, match="staff"):
        requests.assign(req, assignee=make_member(), actor=officer)

    req.refresh_from_db()
    assert req.assignee == colleague
    entry = AuditEntry.objects.get(action="request.assigned")
    assert (entry.actor_id, entry.details) == (officer.pk, {"assignee": colleague.pk})


def test_notes_stay_internal_and_cannot_be_empty():
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=make_member())
    mail.outbox.clear()

    requests.add_note(req, actor=staff(), note="Asked the Almaty cinema for the paper forms.")
    with pytest.raises(RequestError):
        requests.add_note(req, actor=staff(), note="")

    assert trail(req)[-1] == Event.NOTE
    assert mail.outbox == []


def test_a_step_whose_email_fails_changes_nothing(monkeypatch):
    officer = staff()
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=make_member())
    events_before = trail(req)
    audit_before = AuditEntry.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(requests, "send_templated_email", broken)
    with pytest.raises(RuntimeError):
        requests.reject(req, actor=officer, reason="Not possible")

    req.refresh_from_db()
    assert req.status == Status.RECEIVED and req.closed_at is None and req.resolution == ""
    assert trail(req) == events_before
    assert AuditEntry.objects.count() == audit_before


def test_the_requester_may_withdraw_an_open_request():
    member = make_member()
    req = requests.open_request(PrivacyRequest.Type.RECTIFICATION, user=member)

    requests.withdraw(req, actor=member)

    req.refresh_from_db()
    assert req.status == Status.WITHDRAWN and not req.is_open


def test_overdue_means_open_and_past_its_deadline():
    req = requests.open_request(PrivacyRequest.Type.ACCESS, user=make_member())
    PrivacyRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    req.refresh_from_db()
    assert req.is_overdue

    requests.complete(req, actor=staff(), resolution="Done late")
    req.refresh_from_db()
    assert not req.is_overdue
