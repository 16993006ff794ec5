"""The queue, continued: requests entered by hand, and carrying out approved ones.

Staff enter requests that came by post, phone, in person or email; they attach a request
sent without an account to the member whose verified address it came from; and they
apply an approved restriction or objection, or build the export of an access request,
from the queue or from the request's page. Everything through the admin, as staff do it.
"""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from privacy import roles
from privacy.models import (
    AuditEntry,
    DataExport,
    PrivacyRequest,
    ProcessingRestriction,
    RequestEvent,
)
from privacy.services import audit, consent, export, restriction
from privacy.services import requests as workflow
from tests.factories import make_member

pytestmark = pytest.mark.django_db

Type = PrivacyRequest.Type
Status = PrivacyRequest.Status
Event = RequestEvent.Action
QUEUE = "/admin/privacy/privacyrequest/"
ADD = f"{QUEUE}add/"


@pytest.fixture(autouse=True)
def _deployment(settings, tmp_path):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "1 month"}
    settings.PRIVACY_HOLIDAYS_COUNTRY = ""
    settings.PRIVACY_EXTRA_HOLIDAYS = []
    settings.TIME_ZONE = "UTC"
    settings.SITE_URL = "https://marquee.example"
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def member():
    return make_member(email="asel@example.com", first_name="Asel", last_name="Nurova")


def step_url(req, step):
    return reverse("admin:privacy_privacyrequest_step", args=[req.pk, step])


def change_url(req):
    return reverse("admin:privacy_privacyrequest_change", args=[req.pk])


def action(client, name, reqs, **extra):
    data = {"action": name, "_selected_action": [str(r.pk) for r in reqs], **extra}
    return client.post(QUEUE, data, follow=True)


def messages_of(response, level: str = "") -> list[str]:
    return [str(m) for m in response.context["messages"] if not level or m.level_tag == level]


def approved(type_, user, **fields):
    """A member's request of ``type_``, verified and approved by a colleague."""
    req = workflow.open_request(type_, user=user, **fields)
    workflow.start(req, actor=make_member(is_staff=True))
    req.refresh_from_db()
    return req


def entry(**fields):
    """The add form's fields for a letter from a visitor, overridden by ``fields``."""
    data = {
        "type": Type.ACCESS,
        "channel": "post",
        "received_on": timezone.localdate().isoformat(),
        "name": "Dana Letter",
        "email": "dana@example.com",
        "description": "Please send me what you hold about me.",
        "acknowledge": "on",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def last_friday_before(day):
    back = (day.weekday() - 4) % 7 or 7
    return day - timedelta(days=back)


# --- Entering a request by hand -----------------------------------------------------------


def test_a_letter_from_a_member_is_due_counted_from_the_day_it_came(
    client, officer, member, settings
):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "1 month", "access": "2 working days"}
    received = last_friday_before(timezone.localdate() - timedelta(days=3))
    mail.outbox.clear()

    response = client.post(
        ADD,
        entry(user=str(member.pk), email="", name="", received_on=received.isoformat()),
        follow=True,
    )

    req = PrivacyRequest.objects.get()
    assert response.redirect_chain[-1][0] == change_url(req)
    assert (req.type, req.channel, req.user, req.self_service) == ("access", "post", member, False)
    assert timezone.localdate(req.received_at) == received
    # Friday + 2 working days = Tuesday, end of the day: counted from the letter, not today.
    assert req.due_at == timezone.make_aware(
        datetime.combine(received + timedelta(days=4), time(23, 59, 59))
    )
    assert (req.status, req.verification) == (Status.RECEIVED, "pending")
    received_event = req.events.get(action=Event.RECEIVED)
    assert received_event.actor == officer and "post" in received_event.note
    opened = AuditEntry.objects.get(action=audit.Action.REQUEST_OPENED)
    assert (opened.actor_id, opened.subject_id) == (officer.pk, member.pk)
    assert opened.details["channel"] == "post"
    [ack] = mail.outbox
    assert ack.to == [member.email] and req.reference in ack.subject
    assert any(f"{req.reference} entered" in m for m in messages_of(response, "success"))
    # The page shows how it came and offers the identity check, not the approval yet.
    page = response.content.decode()
    assert '<div class="readonly">Post</div>' in page
    assert step_url(req, "verify") in page and step_url(req, "start") not in page


def test_a_phone_call_from_a_visitor_already_verified_without_an_acknowledgement(client, officer):
    mail.outbox.clear()

    client.post(
        ADD,
        entry(
            type=Type.INQUIRY,
            channel="phone",
            identity_verified="on",
            verification_note="Called back on the number on file",
            acknowledge=None,
            language="ru",
        ),
    )

    req = PrivacyRequest.objects.get()
    assert (req.channel, req.user, req.email, req.name) == (
        "phone",
        None,
        "dana@example.com",
        "Dana Letter",
    )
    assert (req.status, req.verification, req.language) == (Status.RECEIVED, "staff", "ru")
    verified = req.events.get(action=Event.VERIFIED)
    assert (verified.actor, verified.note) == (officer, "Called back on the number on file")
    assert AuditEntry.objects.filter(
        action=audit.Action.REQUEST_VERIFIED, actor_id=officer.pk
    ).exists()
    assert mail.outbox == []
    # Entered requests never wait for an emailed code, so they never expire unanswered.
    assert workflow.expire_unverified(now=timezone.now() + timedelta(days=90)) == 0


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"received_on": "2999-01-01"}, "received_on", "cannot be in the future"),
        ({"type": "telepathy"}, "type", "Select a valid choice"),
        ({"channel": "online"}, "channel", "Select a valid choice"),
        ({"email": "", "name": "Dana"}, "email", "Give the requester's email address"),
        ({"name": ""}, "name", "Give the requester's name"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"member": True, "email": "someone.else@example.com"}, "email", "not one of"),
        ({"type": Type.OBJECTION}, "objections", "Choose what they object to"),
        ({"objections": ["marketing"]}, "objections", "Only objection requests"),
        ({"identity_verified": "on"}, "verification_note", "Say how the identity"),
    ],
)
def test_bad_input_is_a_form_error_and_records_nothing(
    client, officer, member, fields, field, says
):
    if fields.pop("member", False):
        fields["user"] = str(member.pk)
    mail.outbox.clear()

    response = client.post(ADD, entry(**fields))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and says in " ".join(errors[field]), errors
    assert "Please correct the errors below." in response.content.decode()
    assert not PrivacyRequest.objects.exists()
    assert mail.outbox == []


def test_a_members_second_verified_address_is_accepted_as_theirs(client, officer, member):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=member, email="asel.work@example.com", verified=True)

    client.post(ADD, entry(user=str(member.pk), email="asel.work@example.com"))

    req = PrivacyRequest.objects.get()
    assert (req.user, req.contact_email) == (member, "asel.work@example.com")


def test_the_member_box_searches_members_for_request_handlers_only(client, officer, member):
    search = reverse("admin:privacy_privacyrequest_member_search")
    make_member(email="bolat@example.com", first_name="Bolat")

    found = client.get(search, {"term": "asel"}).json()["results"]
    by_id = client.get(search, {"term": f"#{member.pk}"}).json()["results"]

    assert found == [
        {"id": str(member.pk), "text": f"#{member.pk} · Asel Nurova · asel@example.com"}
    ]
    assert by_id == found
    assert 'data-ajax--url="' + search in client.get(ADD).content.decode()
    support = make_member(email="support@example.com", is_staff=True)
    support.groups.add(Group.objects.get(name=roles.SUPPORT))
    client.force_login(support)
    assert client.get(search, {"term": "asel"}).status_code == 403
    assert client.get(ADD).status_code == 403


def test_a_visitor_verified_at_entry_from_a_members_address_is_attached_to_them(
    client, officer, member
):
    response = client.post(
        ADD,
        entry(
            type=Type.RESTRICTION,
            email="ASEL@example.com",
            identity_verified="on",
            verification_note="Letter signed, ID copy enclosed",
        ),
        follow=True,
    )

    req = PrivacyRequest.objects.get()
    assert req.user == member
    assert req.events.filter(action=Event.LINKED, actor=officer).exists()
    assert any("attached to them" in m for m in messages_of(response, "success"))


# --- Attaching a visitor's request to the member ------------------------------------------


def test_verifying_a_visitors_request_from_a_members_verified_address_attaches_it(
    client, officer, member
):
    req = workflow.enter_request(
        Type.ACCESS,
        actor=officer,
        channel="email",
        received_at=timezone.now(),
        email="asel@example.com",
        name="Asel",
        acknowledge=False,
    )

    form = client.get(step_url(req, "verify")).content.decode()
    assert f"Attach the request to member #{member.pk}" in form

    client.post(step_url(req, "verify"), {"text": "Replied to the address", "attach": "on"})

    req.refresh_from_db()
    assert req.user == member and req.verification == "staff"
    linked = req.events.get(action=Event.LINKED)
    assert (linked.actor, linked.note) == (officer, f"#{member.pk}")
    entry_ = AuditEntry.objects.get(action=audit.Action.REQUEST_LINKED)
    assert (entry_.actor_id, entry_.subject_id) == (officer.pk, member.pk)
    # Now what it asks can be done on the account.
    client.post(step_url(req, "start"))
    assert step_url(req, "export") in client.get(change_url(req)).content.decode()


def test_verifying_without_the_box_ticked_leaves_the_request_unattached(client, officer, member):
    req = workflow.open_request(Type.INQUIRY, email="asel@example.com", name="Asel")

    client.post(step_url(req, "verify"), {"text": "Called back"})

    req.refresh_from_db()
    assert req.user is None and req.verification == "staff"
    # Still offered as its own step afterwards.
    assert step_url(req, "link") in client.get(change_url(req)).content.decode()
    client.post(step_url(req, "link"))
    req.refresh_from_db()
    assert req.user == member


def test_an_unverified_or_unknown_address_offers_no_attachment(client, officer):
    make_member(email="unconfirmed@example.com", verified=False)
    unconfirmed = workflow.open_request(Type.INQUIRY, email="unconfirmed@example.com")
    stranger = workflow.open_request(Type.INQUIRY, email="stranger@example.com")

    for req in (unconfirmed, stranger):
        assert "Attach" not in client.get(step_url(req, "verify")).content.decode()
        client.post(step_url(req, "verify"), {"text": "Checked", "attach": "on"})
        req.refresh_from_db()
        assert req.user is None
        assert step_url(req, "link") not in client.get(change_url(req)).content.decode()
        response = client.post(step_url(req, "link"), follow=True)
        assert any("No member has the address" in m for m in messages_of(response, "error"))


def test_verifying_several_at_once_offers_the_attachment_too(client, officer, member):
    waiting = workflow.open_request(Type.INQUIRY, email="asel@example.com", name="Asel")
    stranger = workflow.open_request(Type.INQUIRY, email="stranger@example.com")
    page = action(client, "verify_selected", [waiting, stranger])
    assert f"Attach the request to member #{member.pk}" in page.content.decode()

    action(client, "verify_selected", [waiting, stranger], apply="1", text="Checked", attach="on")

    waiting.refresh_from_db()
    stranger.refresh_from_db()
    assert waiting.user == member and stranger.user is None
    assert stranger.verification == waiting.verification == "staff"


# --- Carrying out approved requests -------------------------------------------------------


def test_apply_restriction_restricts_completes_and_emails_and_a_second_click_does_nothing(
    client, officer, member
):
    req = approved(Type.RESTRICTION, member, description="Stop everything, please.")
    other = approved(Type.ACCESS, member)
    mail.outbox.clear()

    response = action(client, "apply_restriction_selected", [req, other])

    req.refresh_from_db()
    assert restriction.is_restricted(type(member).objects.get(pk=member.pk))
    assert ProcessingRestriction.objects.get().request == req
    assert req.status == Status.COMPLETED
    assert req.events.get(action=Event.COMPLETED).actor == officer
    [done] = mail.outbox
    assert done.to == [member.email] and req.reference in done.subject
    assert "restricted the processing of your data" in done.body
    on = AuditEntry.objects.get(action=audit.Action.RESTRICTION_ON)
    assert (on.actor_id, on.subject_id) == (officer.pk, member.pk)
    errors = messages_of(response, "error")
    assert any(other.reference in m and "this action is for" in m for m in errors)
    assert any("1 request skipped" in m and other.reference in m for m in errors)
    assert "Apply the restriction: 1 request done." in messages_of(response, "success")
    other.refresh_from_db()
    assert other.status == Status.IN_PROGRESS

    again = action(client, "apply_restriction_selected", [req])

    assert any("already closed" in m for m in messages_of(again, "error"))
    assert ProcessingRestriction.objects.count() == 1
    assert AuditEntry.objects.filter(action=audit.Action.RESTRICTION_ON).count() == 1
    assert len(mail.outbox) == 1
    assert not PrivacyRequest.objects.filter(self_service=True).exists()


def test_the_restriction_button_appears_once_approved_and_works_from_the_page(
    client, officer, member
):
    req = workflow.open_request(Type.RESTRICTION, user=member)

    assert step_url(req, "restrict") not in client.get(change_url(req)).content.decode()
    refused = client.post(step_url(req, "restrict"), follow=True)
    assert any("Approve the request first" in m for m in messages_of(refused, "error"))
    assert not ProcessingRestriction.objects.exists()

    client.post(step_url(req, "start"))
    page = client.get(change_url(req)).content.decode()
    assert step_url(req, "restrict") in page
    assert step_url(req, "object") not in page and step_url(req, "export") not in page
    confirm = client.get(step_url(req, "restrict")).content.decode()
    assert "Stops all non-essential processing" in confirm

    done = client.post(step_url(req, "restrict"), follow=True)

    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert any("Apply the restriction — done." in m for m in messages_of(done, "success"))


def test_apply_objection_stops_what_the_request_names(client, officer, member):
    every_optional = {p: True for p in consent.PURPOSES if p != consent.ESSENTIAL}
    consent.record_choices(consent.Subject.of(member), every_optional, source="settings")
    req = approved(Type.OBJECTION, member, details={"objections": ["profiling", "marketing"]})
    unnamed = approved(Type.OBJECTION, member)
    mail.outbox.clear()

    response = action(client, "apply_objection_selected", [req, unnamed])

    fresh = type(member).objects.get(pk=member.pk)
    for purpose in (consent.RECOMMENDATIONS, consent.ADVERTISING, consent.MARKETING_EMAIL):
        assert not consent.allows(fresh, purpose), purpose
    assert consent.allows(fresh, consent.ANALYTICS)  # not objected to
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    objections = AuditEntry.objects.filter(action=audit.Action.OBJECTION)
    assert sorted(e.details["objection"] for e in objections) == ["marketing", "profiling"]
    assert {e.actor_id for e in objections} == {officer.pk}
    assert not PrivacyRequest.objects.filter(self_service=True).exists()
    [done] = mail.outbox
    assert done.to == [member.email] and "Marketing by email and SMS" in done.body
    assert any(
        unnamed.reference in m and "does not say what" in m for m in messages_of(response, "error")
    )
    unnamed.refresh_from_db()
    assert unnamed.status == Status.IN_PROGRESS


def test_build_the_export_completes_the_request_when_the_zip_is_ready(
    client, officer, member, django_capture_on_commit_callbacks
):
    req = approved(Type.ACCESS, member)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # the (eager) worker builds it
        response = action(client, "build_export_selected", [req])

    data_export = DataExport.objects.get()
    assert data_export.request == req and data_export.status == DataExport.Status.READY
    assert export.file_path(data_export).is_file()
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    [done] = mail.outbox  # one email: the completion, with the link to the download
    assert done.to == [member.email] and req.reference in done.subject
    assert "https://marquee.example/privacy/export/download/" in done.body
    assert "https://marquee.example/privacy/export/" in done.body
    started = AuditEntry.objects.get(action=audit.Action.EXPORT_REQUESTED)
    assert (started.actor_id, started.subject_id, started.details["export_id"]) == (
        officer.pk,
        member.pk,
        data_export.pk,
    )
    assert any("the export is being built" in m for m in messages_of(response, "info"))

    again = action(client, "build_export_selected", [req])

    assert any("already closed" in m for m in messages_of(again, "error"))
    assert DataExport.objects.count() == 1


def test_a_second_click_while_the_export_is_built_starts_nothing(client, officer, member):
    req = approved(Type.EXPORT, member)

    client.post(step_url(req, "export"))  # the task is queued on commit, never here
    response = client.post(step_url(req, "export"), follow=True)

    assert DataExport.objects.filter(request=req).count() == 1
    assert any("already being built" in m for m in messages_of(response, "success"))
    assert AuditEntry.objects.filter(action=audit.Action.EXPORT_REQUESTED).count() == 1
    req.refresh_from_db()
    assert req.status == Status.IN_PROGRESS


def test_an_export_the_member_started_themselves_is_not_taken_over(client, officer, member):
    own = export.request_export(member)  # queued, for their self-service request
    req = approved(Type.ACCESS, member)

    response = action(client, "build_export_selected", [req])

    assert any("already being built for another" in m for m in messages_of(response, "error"))
    assert list(DataExport.objects.all()) == [own]


def test_requests_without_an_account_or_not_approved_are_skipped_with_the_reason(
    client, officer, member
):
    visitor = workflow.enter_request(
        Type.ACCESS,
        actor=officer,
        channel="post",
        received_at=timezone.now(),
        email="dana@example.com",
        name="Dana",
        verified_note="ID shown",
        acknowledge=False,
    )
    workflow.start(visitor, actor=officer)
    waiting = workflow.open_request(Type.ACCESS, user=member)

    response = action(client, "build_export_selected", [visitor, waiting])

    errors = messages_of(response, "error")
    assert any(visitor.reference in m and "not attached to a member" in m for m in errors)
    assert any(waiting.reference in m and "Approve the request first" in m for m in errors)
    assert any("2 requests skipped" in m for m in errors)
    assert not DataExport.objects.exists()


def test_only_privacy_officers_see_and_use_the_actions(client, member):
    req = approved(Type.RESTRICTION, member)
    support = make_member(email="support@example.com", is_staff=True)
    support.groups.add(Group.objects.get(name=roles.SUPPORT))
    viewer = make_member(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_privacyrequest"))

    client.force_login(support)
    assert client.get(QUEUE).status_code == 403
    assert client.post(step_url(req, "restrict")).status_code == 403
    assert client.post(QUEUE, {"action": "apply_restriction_selected"}).status_code == 403

    client.force_login(viewer)
    queue = client.get(QUEUE).content.decode()
    for name in ("apply_restriction_selected", "apply_objection_selected", "build_export_selected"):
        assert f'value="{name}"' not in queue
    assert step_url(req, "restrict") not in client.get(change_url(req)).content.decode()
    assert client.post(step_url(req, "restrict")).status_code == 403
    action(client, "apply_restriction_selected", [req])

    req.refresh_from_db()
    assert req.status == Status.IN_PROGRESS
    assert not ProcessingRestriction.objects.exists()


def test_the_export_not_yet_possible_is_shown_with_what_comes_first(client, officer, member):
    req = workflow.open_request(Type.ACCESS, user=member)

    page = client.get(change_url(req)).content.decode()
    assert step_url(req, "export") not in page
    assert "Build the export: not possible yet. Approve the request first" in page
    assert "Apply the restriction" not in page  # not a step of an access request

    client.post(step_url(req, "start"))
    page = client.get(change_url(req)).content.decode()
    assert step_url(req, "export") in page
    assert "not possible yet" not in page
