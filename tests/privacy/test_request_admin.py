"""The privacy officer's queue in the admin: filters, steps, the trail, the dashboard."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from privacy.models import AuditEntry, PrivacyRequest, RequestEvent
from privacy.services import requests as workflow
from tests.factories import make_member

pytestmark = pytest.mark.django_db

Type = PrivacyRequest.Type
Status = PrivacyRequest.Status
QUEUE = "/admin/privacy/privacyrequest/"


@pytest.fixture(autouse=True)
def _deployment(settings):
    settings.PRIVACY_REQUEST_DEADLINES = {"default": "1 month"}
    settings.PRIVACY_HOLIDAYS_COUNTRY = ""
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def member():
    return make_member(email="asel@example.com", first_name="Asel")


def step_url(req, step):
    return reverse("admin:privacy_privacyrequest_step", args=[req.pk, step])


def change_url(req):
    return reverse("admin:privacy_privacyrequest_change", args=[req.pk])


def listed(response) -> list[str]:
    """References of the requests in a changelist response, in order."""
    return [req.reference for req in response.context["cl"].result_list]


def overdue(req):
    PrivacyRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - timedelta(days=2))
    req.refresh_from_db()
    return req


def action(client, name, reqs, **extra):
    data = {"action": name, "_selected_action": [str(r.pk) for r in reqs], **extra}
    return client.post(QUEUE, data, follow=True)


def messages_of(response, level: str = "") -> list[str]:
    return [str(m) for m in response.context["messages"] if not level or m.level_tag == level]


# --- The queue ----------------------------------------------------------------------------


def test_the_queue_shows_each_request_and_highlights_the_overdue(client, officer, member):
    late = overdue(workflow.open_request(Type.ACCESS, user=member))
    public = workflow.open_request(Type.INQUIRY, email="visitor@example.com")

    response = client.get(QUEUE)

    body = response.content.decode()
    assert response.status_code == 200
    assert set(listed(response)) == {late.reference, public.reference}
    assert re.search(r'<span class="privacy-overdue">[^<]*overdue</span>', body)
    assert body.count("privacy-overdue") == 1
    assert "no account" in body
    assert f'href="/admin/accounts/user/{member.pk}/change/"' in body
    assert "admin/privacy.css" in body
    assert reverse("admin:privacy_privacyrequest_dashboard") in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("deadline=overdue", ["late"]),
        ("deadline=on_time", ["open", "mine"]),
        ("assignee=mine", ["mine"]),
        ("assignee=nobody", ["late", "open", "closed"]),
        ("type__exact=erasure", ["open"]),
        ("status__exact=completed", ["closed"]),
        ("verification__exact=pending", []),
    ],
)
def test_the_queue_filters_by_deadline_assignee_type_and_status(
    client, officer, member, query, expected
):
    reqs = {
        "late": overdue(workflow.open_request(Type.ACCESS, user=member)),
        "open": workflow.open_request(Type.ERASURE, user=member),
        "mine": workflow.open_request(Type.RECTIFICATION, user=member),
        "closed": workflow.record_self_service(Type.EXPORT, user=member),
    }
    workflow.assign(reqs["mine"], assignee=officer, actor=officer)

    response = client.get(f"{QUEUE}?{query}")

    assert sorted(listed(response)) == sorted(reqs[name].reference for name in expected)


def test_the_queue_finds_a_request_by_reference_public_id_or_requester_address(
    client, officer, member
):
    wanted = workflow.open_request(Type.ACCESS, user=member)
    workflow.open_request(Type.INQUIRY, email="someone@example.com")

    for term in [wanted.reference, str(wanted.pk), str(wanted.public_id), "ASEL@example.com"]:
        assert listed(client.get(QUEUE, {"q": term})) == [wanted.reference], term
    assert listed(client.get(QUEUE, {"q": "nothing-like-it"})) == []


# --- A request's page ---------------------------------------------------------------------


def test_a_requests_page_shows_what_was_asked_the_trail_and_the_steps(client, officer):
    req = workflow.open_request(
        Type.LEAK_REPORT, email="dana@example.com", name="Dana", description="My card leaked?"
    )
    workflow.add_note(req, actor=officer, note="Checking the payment logs")

    response = client.get(change_url(req))

    body = response.content.decode()
    assert "My card leaked?" in body and "dana@example.com" in body
    assert "Checking the payment logs" in body  # the trail, inline
    assert "Verification code sent" in body
    for step in ["verify", "assign", "reject", "extend", "note"]:
        assert step_url(req, step) in body
    for step in ["start", "complete"]:  # not before the identity is verified
        assert step_url(req, step) not in body
    assert 'name="_save"' not in body  # nothing is edited as a row
    viewed = AuditEntry.objects.get(action="staff.viewed")
    assert (viewed.actor_id, viewed.object_id) == (officer.pk, str(req.pk))


def test_the_buttons_follow_the_state_of_the_request(client, officer, member):
    req = workflow.open_request(Type.ACCESS, user=member)
    workflow.extend(req, actor=officer, reason="Large")

    body = client.get(change_url(req)).content.decode()
    assert step_url(req, "start") in body and step_url(req, "complete") in body
    assert step_url(req, "verify") not in body and step_url(req, "extend") not in body

    workflow.complete(req, actor=officer, resolution="Sent")
    body = client.get(change_url(req)).content.decode()
    assert "/step/" not in body


def test_open_requests_come_first_most_urgent_on_top(client, officer, member):
    done = workflow.record_self_service(Type.EXPORT, user=member)
    PrivacyRequest.objects.filter(pk=done.pk).update(due_at=timezone.now() - timedelta(days=9))
    later = workflow.open_request(Type.ACCESS, user=member)
    sooner = overdue(workflow.open_request(Type.ERASURE, user=member))

    assert listed(client.get(QUEUE)) == [sooner.reference, later.reference, done.reference]


def test_an_overdue_request_says_so_on_its_page(client, officer, member):
    req = overdue(workflow.open_request(Type.ACCESS, user=member))

    assert "Overdue: the answer was due by" in client.get(change_url(req)).content.decode()


def test_staff_who_do_not_handle_requests_see_the_queue_without_what_people_wrote(client):
    viewer = make_member(email="analyst@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_privacyrequest"))
    client.force_login(viewer)
    req = workflow.open_request(
        Type.COMPLAINT, email="dana@example.com", name="Dana Secret", description="Rude staff"
    )

    queue = client.get(QUEUE).content.decode()
    page = client.get(change_url(req)).content.decode()

    assert req.reference in queue
    for secret in ["dana@example.com", "Dana Secret", "Rude staff"]:
        assert secret not in page
    assert step_url(req, "reject") not in page
    assert client.get(step_url(req, "reject")).status_code == 403
    assert 'value="verify_selected"' not in queue  # no actions either
    assert client.get(f"{QUEUE}add/").status_code == 403  # nor entering requests
    assert client.get(QUEUE, {"q": "dana@example.com"}).context["cl"].result_count == 0


def test_a_requests_page_names_the_requester_assignee_language_and_trail_for_handlers(
    client, officer, member
):
    member.last_name = "Nurlanova"
    member.save()
    req = workflow.open_request(Type.ACCESS, user=member, language="en")
    workflow.assign(req, assignee=officer, actor=officer)

    queue = client.get(QUEUE).content.decode()
    page = client.get(change_url(req)).content.decode()

    member_page = reverse("admin:accounts_user_change", args=[member.pk])
    for body in (queue, page):
        assert f'href="{member_page}"' in body
        assert "Asel Nurlanova" in body and "asel@example.com" in body
        assert "Olga" in body  # assigned to
    assert "User #" not in page
    assert "English" in page
    # The trail: the email's kind and the assignee in words, not codes.
    notes = re.findall(r'field-note_text">\s*<p>([^<]*)</p>', page)
    assert "Acknowledgement of receipt" in notes
    assert any(note.startswith("Olga") for note in notes)
    assert not any(note.startswith("#") or note == "received" for note in notes)


def test_a_guardian_reports_details_read_as_labelled_lines(client, officer):
    req = workflow.open_request(
        Type.GUARDIAN_REPORT,
        email="galina@example.org",
        name="Galina Parent",
        details={"relationship": "parent", "child": "timur.kid@example.org"},
    )

    page = client.get(change_url(req)).content.decode()

    assert "The requester is the child&#x27;s: Parent" in page
    assert "The child&#x27;s account: timur.kid@example.org" in page
    assert '{"relationship"' not in page and "&quot;relationship&quot;" not in page
    assert "Galina Parent · galina@example.org (no account)" in client.get(QUEUE).content.decode()


def test_view_only_staff_get_no_names_of_members_or_assignees_details(client, member):
    viewer = make_member(email="analyst@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_privacyrequest"))
    client.force_login(viewer)
    req = workflow.open_request(
        Type.GUARDIAN_REPORT, user=member, name="Asel", details={"child": "kid@example.org"}
    )

    queue = client.get(QUEUE).content.decode()
    page = client.get(change_url(req)).content.decode()

    for body in (queue, page):
        assert "asel@example.com" not in body and "kid@example.org" not in body
        assert f"member #{member.pk}" in body


# --- Steps --------------------------------------------------------------------------------


def test_rejecting_asks_for_the_reason_and_emails_it(client, officer, member):
    req = workflow.open_request(Type.ERASURE, user=member)
    mail.outbox.clear()

    form = client.get(step_url(req, "reject"))
    empty = client.post(step_url(req, "reject"), {"text": "  "})
    done = client.post(step_url(req, "reject"), {"text": "A dispute is open."}, follow=True)

    assert "Reason" in form.content.decode()
    assert empty.status_code == 200 and empty.context["form"].errors["text"]
    req.refresh_from_db()
    assert req.status == Status.REJECTED and req.resolution == "A dispute is open."
    assert done.redirect_chain[-1][0] == change_url(req)
    assert any("done" in m for m in messages_of(done))
    [rejected] = mail.outbox
    assert rejected.to == [member.email] and "A dispute is open." in rejected.body


def test_a_refused_step_is_shown_as_an_error_and_changes_nothing(client, officer, member):
    req = workflow.open_request(Type.ACCESS, user=member)
    workflow.extend(req, actor=officer, reason="Large request")
    req.refresh_from_db()
    due = req.due_at

    response = client.post(step_url(req, "extend"), {"text": "Even more time"}, follow=True)

    assert any("already extended once" in m for m in messages_of(response, "error"))
    req.refresh_from_db()
    assert req.due_at == due


def test_verify_approve_assign_note_and_complete_through_the_steps(client, officer, member):
    colleague = make_member(email="colleague@example.com", is_staff=True)
    req = workflow.open_request(Type.GUARDIAN_REPORT, email="parent@example.com")
    mail.outbox.clear()

    client.post(step_url(req, "verify"), {"text": "Called the parent back"})
    client.post(step_url(req, "start"))
    client.post(step_url(req, "assign"), {"assignee": str(colleague.pk)})
    client.post(step_url(req, "note"), {"text": "Child account found and closed"})
    client.post(step_url(req, "complete"), {"text": "We closed the account."})

    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert req.assignee == colleague
    actions = list(req.events.values_list("action", "actor_id"))
    assert (RequestEvent.Action.VERIFIED, officer.pk) in actions
    assert (RequestEvent.Action.STARTED, officer.pk) in actions
    assert (RequestEvent.Action.NOTE, officer.pk) in actions
    assert [m.to for m in mail.outbox] == [["parent@example.com"], ["parent@example.com"]]
    assert "We closed the account." in mail.outbox[-1].body


def test_an_unknown_step_or_request_is_a_404(client, officer, member):
    req = workflow.open_request(Type.ACCESS, user=member)

    assert client.get(step_url(req, "delete")).status_code == 404
    missing = reverse("admin:privacy_privacyrequest_step", args=[9999, "start"])
    assert client.get(missing).status_code == 404


# --- Actions on several requests ----------------------------------------------------------


def test_approve_many_starts_the_verified_and_names_the_unverified(client, officer, member):
    verified = workflow.open_request(Type.ACCESS, user=member)
    unverified = workflow.open_request(Type.INQUIRY, email="visitor@example.com")

    response = action(client, "start_selected", [verified, unverified])

    verified.refresh_from_db()
    unverified.refresh_from_db()
    assert verified.status == Status.IN_PROGRESS and verified.assignee == officer
    assert unverified.status == Status.AWAITING_VERIFICATION
    shown = messages_of(response)
    assert f"{unverified.reference}: Verify the requester's identity first." in shown
    assert "Approve and start work: 1 request done." in shown


def test_reject_many_asks_once_for_the_reason(client, officer):
    reqs = [workflow.open_request(Type.INQUIRY, user=make_member()) for _ in range(2)]
    mail.outbox.clear()

    page = action(client, "reject_selected", reqs)
    assert page.status_code == 200
    assert all(r.reference in page.content.decode() for r in reqs)
    assert PrivacyRequest.objects.filter(status=Status.REJECTED).count() == 0

    done = action(client, "reject_selected", reqs, apply="1", text="Duplicate of PR-000001")

    assert PrivacyRequest.objects.filter(status=Status.REJECTED).count() == 2
    assert len(mail.outbox) == 2
    assert "Reject the request: 2 requests done." in messages_of(done)


def test_assign_to_me(client, officer, member):
    reqs = [workflow.open_request(Type.ACCESS, user=member) for _ in range(2)]

    action(client, "assign_selected_to_me", reqs)

    assert set(PrivacyRequest.objects.values_list("assignee", flat=True)) == {officer.pk}


def test_requests_cannot_be_edited_or_deleted_as_rows_and_adding_is_manual_entry(
    client, officer, member
):
    req = workflow.open_request(Type.ACCESS, user=member)

    add_page = client.get(f"{QUEUE}add/")
    assert add_page.status_code == 200
    assert 'name="channel"' in add_page.content.decode()  # the entry form, not a row form
    assert 'name="status"' not in add_page.content.decode()
    delete_url = reverse("admin:privacy_privacyrequest_delete", args=[req.pk])
    assert client.post(delete_url).status_code == 403
    client.post(change_url(req), {"status": "completed"})
    req.refresh_from_db()
    assert req.status == Status.RECEIVED


# --- Dashboard ----------------------------------------------------------------------------


def test_the_dashboard_counts_requests_and_draws_the_weeks(client, officer, member):
    late = overdue(workflow.open_request(Type.ACCESS, user=member))
    workflow.open_request(Type.ERASURE, user=member)
    closed = workflow.open_request(Type.ACCESS, user=member)
    PrivacyRequest.objects.filter(pk=closed.pk).update(
        received_at=timezone.now() - timedelta(days=4)
    )
    closed.refresh_from_db()
    workflow.complete(closed, actor=officer, resolution="Sent")

    response = client.get(reverse("admin:privacy_privacyrequest_dashboard"))

    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.open_count, figures.overdue_count, figures.unassigned_count) == (2, 1, 2)
    assert dict(response.context["by_status"])["Received"] == 2
    assert len(figures.weeks) == 12
    this_week = figures.weeks[-1]
    assert this_week.received >= 2 and this_week.closed == 1
    assert this_week.mean_days == this_week.median_days == 4.0
    body = response.content.decode()
    assert body.count("<svg") >= 2 and "<title>" in body
    assert "style=" not in body.split('id="content-main"')[1]  # CSP: no inline styles
    assert late.reference not in body  # figures only


def test_the_closing_chart_tells_a_same_day_close_from_a_week_with_none(client, officer, member):
    same_day = workflow.open_request(Type.ACCESS, user=member)
    workflow.complete(same_day, actor=officer, resolution="Sent")

    response = client.get(reverse("admin:privacy_privacyrequest_dashboard"))

    closing = response.context["closing_chart"].bars
    assert closing[-1].value == 0.0  # closed the day it came: 0 days, not "no data"
    assert closing[0].value is None  # twelve weeks ago nothing was closed
    body = response.content.decode()
    assert f"<title>{closing[-1].label}: 0.0</title>" in body
    assert f"<title>{closing[0].label}: —</title>" in body


def test_staff_without_the_request_permission_get_no_dashboard(client):
    client.force_login(make_member(email="x@example.com", is_staff=True))

    assert client.get(reverse("admin:privacy_privacyrequest_dashboard")).status_code == 403
