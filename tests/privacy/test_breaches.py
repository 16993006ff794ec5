"""The data-breach register: deadline countdown, affected members, one action to tell them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from privacy import roles
from privacy.models import AuditEntry, BreachAffectedMember, DataBreach, PrivacyRequest
from privacy.registry import Category
from privacy.services import breaches
from privacy.services import requests as workflow
from tests.factories import make_member

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
ADD_URL = "/admin/privacy/databreach/add/"
CHANGELIST_URL = "/admin/privacy/databreach/"
PREFIX = "breachaffectedmember_set"


@pytest.fixture(autouse=True)
def _deployment(settings):
    settings.PRIVACY_BREACH_NOTIFICATION_DEADLINE = "72 hours"
    settings.PRIVACY_HOLIDAYS_COUNTRY = ""
    settings.TIME_ZONE = "UTC"
    mail.outbox.clear()


@pytest.fixture
def officer(client):
    user = make_member(email="officer@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.PRIVACY_OFFICER))
    client.force_login(user)
    return user


def form_data(breach=None, **fields):
    """What the admin form posts: the breach's fields and the affected-members inline."""
    affected = list(breach.breachaffectedmember_set.order_by("pk")) if breach else []
    data = {
        "title": "Booking export left on a public share",
        "description": "A staff export of bookings was reachable by link for two days.",
        "categories": ["identity", "contact"],
        "risk": "high",
        "status": "open",
        "discovered_at_0": "2026-11-20",
        "discovered_at_1": "15:00:00",
        "authority_notified_at_0": "",
        "authority_notified_at_1": "",
        "add_members": "",
        f"{PREFIX}-TOTAL_FORMS": str(len(affected)),
        f"{PREFIX}-INITIAL_FORMS": str(len(affected)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(affected):
        data[f"{PREFIX}-{index}-id"] = str(row.pk)
        data[f"{PREFIX}-{index}-breach"] = str(breach.pk)
    data.update(fields)
    return data


def make_breach(*, discovered_at=None, actor=None, **fields) -> DataBreach:
    breach = DataBreach(
        title=fields.pop("title", "Leaked newsletter list"),
        description=fields.pop("description", "A mailing list was exposed."),
        categories=fields.pop("categories", ["contact"]),
        discovered_at=discovered_at or timezone.now(),
        **fields,
    )
    breaches.save_breach(breach, actor=actor)
    return breach


# --- Recording and the deadline -----------------------------------------------------------


def test_staff_record_a_breach_and_the_authority_deadline_is_computed(client, officer):
    response = client.post(ADD_URL, form_data())

    assert response.status_code == 302, response.context["adminform"].form.errors
    breach = DataBreach.objects.get()
    assert breach.discovered_at == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert breach.notification_due_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert breach.recorded_by == officer
    assert breach.categories == ["identity", "contact"]
    entry = AuditEntry.objects.get(action="breach.recorded")
    assert (entry.actor_id, entry.object_id) == (officer.pk, str(breach.pk))


def test_in_kazakhstan_the_authority_must_know_by_the_end_of_the_next_business_day(
    client, officer, settings
):
    settings.PRIVACY_BREACH_NOTIFICATION_DEADLINE = "1 business day"
    settings.PRIVACY_HOLIDAYS_COUNTRY = "KZ"

    client.post(ADD_URL, form_data())  # discovered on Friday 20 November, 15:00

    breach = DataBreach.objects.get()
    assert breach.notification_due_at == datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)


def test_moving_the_discovery_time_moves_the_deadline(client, officer):
    breach = make_breach(discovered_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC), actor=officer)

    response = client.post(
        reverse("admin:privacy_databreach_change", args=[breach.pk]),
        form_data(breach, discovered_at_0="2026-11-02", discovered_at_1="08:00:00"),
    )

    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.notification_due_at == datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    changed = AuditEntry.objects.get(action="breach.changed")
    assert "discovered_at" in changed.details["fields"]


def test_the_add_page_asks_only_for_what_staff_know_before_saving(client, officer):
    page = client.get(ADD_URL).content.decode()

    assert "Add affected members" in page
    assert "affected members and when they were told" not in page  # no list yet
    assert "Recorded by" not in page and "Members notified" not in page
    assert client.post(ADD_URL, form_data()).status_code == 302  # and it still saves

    breach = DataBreach.objects.get()
    page = client.get(reverse("admin:privacy_databreach_change", args=[breach.pk])).content
    assert "affected members and when they were told" in page.decode().lower()
    assert "Recorded by" in page.decode()


def test_each_date_and_time_input_is_named_after_its_field(client, officer):
    # Two date-time fields on one page: "Time:" twice would not tell them apart.
    page = client.get(ADD_URL).content.decode()

    for name in ("Discovered: date", "Discovered: time", "Authority notified: time"):
        assert f'aria-label="{name}"' in page, name

    officer.preferred_language = "ru"
    officer.save(update_fields=["preferred_language"])
    with translation.override("en"):  # restores the test's language after the request
        page = client.get(ADD_URL).content.decode()
    assert 'aria-label="Дата обнаружения: время"' in page


def test_the_deadline_counts_down_in_hours_then_shows_how_late_it_is():
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    breach = DataBreach(notification_due_at=now + timedelta(hours=41, minutes=20))

    assert breaches.countdown(breach, now=now) == "due in 41 h"
    breach.notification_due_at = now - timedelta(hours=3, minutes=5)
    assert breaches.countdown(breach, now=now) == "overdue by 3 h"
    assert breaches.is_overdue(breach, now=now)
    breach.notification_due_at = now + timedelta(minutes=25)
    assert breaches.countdown(breach, now=now) == "due in 25 min"
    breach.notification_due_at = now + timedelta(days=5)
    assert breaches.countdown(breach, now=now) == "due in 5 days"
    breach.authority_notified_at = now
    assert breaches.countdown(breach, now=now) == "authority notified"
    assert not breaches.is_overdue(breach, now=now)


def test_the_register_highlights_breaches_whose_deadline_passed(client, officer):
    make_breach(title="Late one", discovered_at=timezone.now() - timedelta(hours=80))
    make_breach(title="Fresh one", discovered_at=timezone.now() - timedelta(minutes=30))

    body = client.get(CHANGELIST_URL).content.decode()

    assert '<span class="privacy-overdue">overdue by 8 h</span>' in body
    assert "due in 71 h" in body
    assert "admin/privacy.css" in body


def test_the_register_keeps_its_entries(client, officer):
    breach = make_breach()

    response = client.post(reverse("admin:privacy_databreach_delete", args=[breach.pk]))

    assert response.status_code == 403
    assert DataBreach.objects.filter(pk=breach.pk).exists()


def test_only_leak_reports_can_be_linked(client, officer):
    member = make_member()
    leak = workflow.open_request(PrivacyRequest.Type.LEAK_REPORT, user=member)
    workflow.open_request(PrivacyRequest.Type.ACCESS, user=member)

    choices = client.get(ADD_URL).context["adminform"].form.fields["reports"].queryset

    assert list(choices) == [leak]
    response = client.post(ADD_URL, form_data(reports=[str(leak.pk)]))
    assert response.status_code == 302
    assert list(DataBreach.objects.get().reports.all()) == [leak]


# --- Affected members ---------------------------------------------------------------------


def test_members_are_found_by_id_or_address_and_the_rest_is_named():
    ana = make_member(email="Ana@Example.com")
    bo = make_member(email="bo@example.com")

    found = breaches.find_members(f"#{ana.pk}, ana@example.COM\n{bo.pk};nobody@example.com x12")

    assert found.members == [ana, bo]
    assert found.unknown == ["nobody@example.com", "x12"]


def test_affected_members_are_added_by_pasting_ids_and_addresses(client, officer):
    breach = make_breach(actor=officer)
    ana, bo, cy = (make_member(email=f"{n}@example.com") for n in ("ana", "bo", "cy"))

    response = client.post(
        reverse("admin:privacy_databreach_change", args=[breach.pk]),
        form_data(breach, add_members=f"{ana.pk}\nBO@example.com, #{cy.pk} {ana.pk}"),
        follow=True,
    )

    assert set(breach.affected_members.all()) == {ana, bo, cy}
    assert "3 affected members added." in response.content.decode()
    assert AuditEntry.objects.get(action="breach.members_added").details == {"count": 3}


def test_unknown_members_are_reported_and_nothing_is_lost(client, officer):
    breach = make_breach(actor=officer, title="Before")
    ana = make_member(email="ana@example.com")
    pasted = f"{ana.pk}\n99999999\nghost@example.com"

    response = client.post(
        reverse("admin:privacy_databreach_change", args=[breach.pk]),
        form_data(breach, title="After", add_members=pasted),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["add_members"]
    assert errors == [
        "No member has these ids or addresses: 99999999, ghost@example.com. Correct or remove them."
    ]
    assert pasted in response.content.decode()  # still in the box, to correct
    breach.refresh_from_db()
    assert breach.title == "Before"
    assert not breach.affected_members.exists()


# --- Telling the members ------------------------------------------------------------------


def notify_through_admin(client, breach, django_capture_on_commit_callbacks):
    action = {"action": "notify_members", "_selected_action": [str(breach.pk)]}
    confirm = client.post(CHANGELIST_URL, action)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(CHANGELIST_URL, {**action, "apply": "1"}, follow=True)
    return confirm, done


def test_notifying_is_one_action_that_emails_every_affected_member_once(
    client, officer, django_capture_on_commit_callbacks
):
    breach = make_breach(actor=officer, categories=["contact", "financial"])
    kazakh = make_member(email="aigerim@example.com", preferred_language="kk")
    english = make_member(email="tom@example.com", preferred_language="en")
    breaches.add_affected_members(breach, [kazakh, english], actor=officer)

    confirm, done = notify_through_admin(client, breach, django_capture_on_commit_callbacks)

    assert "2 members to email" in confirm.content.decode()
    assert "2 members are being emailed." in done.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["aigerim@example.com", "tom@example.com"]
    to_kazakh = next(m for m in mail.outbox if m.to == ["aigerim@example.com"])
    assert 'lang="kk"' in to_kazakh.alternatives[0][0]
    assert breach.title in to_kazakh.body
    with translation.override("kk"):
        category = str(Category.FINANCIAL.label)
    assert category in to_kazakh.body  # the category, in words, in Kazakh
    assert "/privacy/contact/" in to_kazakh.body
    breach.refresh_from_db()
    assert breach.members_notified_at is not None
    assert not BreachAffectedMember.objects.filter(breach=breach, notified_at=None).exists()
    entry = AuditEntry.objects.get(action="breach.notified")
    assert (entry.actor_id, entry.details) == (officer.pk, {"notified": 2, "remaining": 0})

    mail.outbox.clear()
    _, again = notify_through_admin(client, breach, django_capture_on_commit_callbacks)
    assert "every affected member was already told" in again.content.decode()
    assert mail.outbox == []


def test_the_confirmation_page_sends_nothing(client, officer, django_capture_on_commit_callbacks):
    breach = make_breach(actor=officer)
    breaches.add_affected_members(breach, [make_member()], actor=officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST_URL, {"action": "notify_members", "_selected_action": [str(breach.pk)]}
        )

    assert response.status_code == 200
    assert mail.outbox == []


def test_sending_is_batched_idempotent_and_reaches_members_added_later():
    breach = make_breach()
    first = [make_member() for _ in range(3)]
    breaches.add_affected_members(breach, first, actor=None)

    result = breaches.notify_affected_members(breach.pk, batch_size=2)

    assert (result.notified, result.remaining) == (3, 0)
    assert len(mail.outbox) == 3
    assert breaches.notify_affected_members(breach.pk, batch_size=2).notified == 0
    assert len(mail.outbox) == 3

    late = make_member()
    breaches.add_affected_members(breach, [*first, late], actor=None)  # the others: no-op
    assert breaches.notify_affected_members(breach.pk).notified == 1
    assert [m.to for m in mail.outbox[3:]] == [[late.email]]


def test_nothing_is_sent_when_the_action_rolls_back(django_capture_on_commit_callbacks):
    breach = make_breach()
    breaches.add_affected_members(breach, [make_member()], actor=None)

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert breaches.start_member_notification(breach, actor=None) == 1
        raise RuntimeError

    assert callbacks == []
    assert mail.outbox == []


def test_the_task_for_a_breach_that_is_gone_does_nothing():
    from privacy import tasks

    tasks.notify_breach_members.delay(424242)

    assert mail.outbox == []


# --- Notifying from the breach's own page -------------------------------------------------


def notify_url(breach):
    return reverse("admin:privacy_databreach_notify", args=[breach.pk])


def change_url(breach):
    return reverse("admin:privacy_databreach_change", args=[breach.pk])


def test_the_change_page_offers_to_notify_only_members_not_told_yet(client, officer):
    breach = make_breach(actor=officer, risk=DataBreach.Risk.HIGH)

    assert notify_url(breach) not in client.get(change_url(breach)).content.decode()  # nobody

    told, waiting = make_member(), make_member()
    breaches.add_affected_members(breach, [told, waiting], actor=officer)
    BreachAffectedMember.objects.filter(user=told).update(notified_at=timezone.now())
    page = client.get(change_url(breach)).content.decode()
    assert f'<a href="{notify_url(breach)}"' in page
    assert "Notify 1 affected member by email" in page

    BreachAffectedMember.objects.update(notified_at=timezone.now())
    assert notify_url(breach) not in client.get(change_url(breach)).content.decode()


def test_the_button_confirms_then_emails_the_pending_members_once_and_comes_back(
    client, officer, django_capture_on_commit_callbacks
):
    breach = make_breach(actor=officer, risk=DataBreach.Risk.HIGH)
    told = make_member(email="told@example.com")
    breaches.add_affected_members(breach, [told], actor=officer)
    BreachAffectedMember.objects.update(notified_at=timezone.now())
    ana, bo = make_member(email="ana@example.com"), make_member(email="bo@example.com")
    breaches.add_affected_members(breach, [ana, bo], actor=officer)

    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.get(notify_url(breach))
    assert confirm.status_code == 200
    assert "2 members to email" in confirm.content.decode()
    assert f'href="{change_url(breach)}" class="closelink"' in confirm.content.decode()
    assert mail.outbox == []  # the confirmation page sends nothing

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(notify_url(breach), {"apply": "1"}, follow=True)

    assert done.redirect_chain == [(change_url(breach), 302)]
    assert "2 members are being emailed." in done.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "bo@example.com"]
    later = client.get(change_url(breach)).content.decode()  # once the task has run
    assert notify_url(breach) not in later  # nobody left to tell

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(notify_url(breach), {"apply": "1"}, follow=True)
    assert "every affected member was already told" in again.content.decode()
    assert mail.outbox == []


def test_without_the_change_permission_there_is_no_button_and_no_sending(
    client, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    viewer = make_member(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_databreach"))
    client.force_login(viewer)
    breach = make_breach()
    breaches.add_affected_members(breach, [make_member()], actor=None)

    page = client.get(change_url(breach))
    assert page.status_code == 200
    assert notify_url(breach) not in page.content.decode()
    assert client.get(notify_url(breach)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(notify_url(breach), {"apply": "1"}).status_code == 403
    assert mail.outbox == []
    assert not BreachAffectedMember.objects.filter(notified_at__isnull=False).exists()


def test_sending_from_the_change_page_needs_the_csrf_token(officer):
    from django.test import Client

    breach = make_breach(actor=officer)
    breaches.add_affected_members(breach, [make_member()], actor=officer)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(officer)

    assert strict.post(notify_url(breach), {"apply": "1"}).status_code == 403
    assert not BreachAffectedMember.objects.filter(notified_at__isnull=False).exists()


# --- How the page reads -------------------------------------------------------------------


def test_recorded_by_names_the_staff_member(client, officer):
    officer.first_name, officer.last_name = "Oskar", "Berg"
    officer.save(update_fields=["first_name", "last_name"])
    breach = make_breach(actor=officer)

    page = client.get(change_url(breach)).content.decode()

    assert "Oskar Berg &lt;officer@example.com&gt;" in page
    assert f"User #{officer.pk}" not in page


def test_the_register_is_called_data_breaches(client, officer):
    page = client.get(CHANGELIST_URL).content.decode()

    assert "0 data breaches" in page
    assert "Select data breach to change" in page
    assert "data-breach register" not in page.lower()


def test_the_description_help_says_it_is_emailed_to_the_members(client, officer):
    page = client.get(ADD_URL).content.decode()

    assert "Emailed to the affected members: write it for them, in plain words." in page
    assert "Facts, effects and remedial action" not in page
