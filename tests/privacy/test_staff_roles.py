"""Staff roles: the privacy officer works requests and the audit log; support sees less."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from privacy import roles
from privacy.models import PrivacyRequest
from privacy.services import audit
from privacy.services import requests as workflow
from tests.cinema.factories import make_booking, make_showtime
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def staff_in(group_name, email):
    user = make_member(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def perms(group_name) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.fixture
def member_with_data():
    member = make_member(email="zhanar@example.com", first_name="Zhanar")
    booking = make_booking(showtime=make_showtime(), user=member)
    request = workflow.open_request(PrivacyRequest.Type.ACCESS, user=member)
    mail.outbox.clear()
    return member, booking, request


def test_the_roles_exist_after_migrating_with_their_permissions():
    support = perms(roles.SUPPORT)
    officer = perms(roles.PRIVACY_OFFICER)

    assert support == {"accounts.view_user", "cinema.view_booking", "account.view_emailaddress"}
    assert support < officer
    every_privacy_permission = {
        f"privacy.{codename}"
        for codename in Permission.objects.filter(content_type__app_label="privacy").values_list(
            "codename", flat=True
        )
    }
    assert every_privacy_permission <= officer
    assert {
        "privacy.handle_privacyrequest",
        "privacy.verify_auditentry",
        "privacy.view_auditentry",
        "privacy.change_databreach",
        "privacy.view_consentrecord",
        "privacy.change_consentrecord",
        "privacy.view_dataexport",
    } <= officer
    assert "accounts.change_user" not in officer  # no editing accounts (or staff rights)


def test_syncing_gives_back_what_the_definition_grants_and_keeps_additions():
    group = Group.objects.get(name=roles.SUPPORT)
    group.permissions.remove(Permission.objects.get(codename="view_booking"))
    group.permissions.add(Permission.objects.get(codename="view_film"))

    roles.sync_roles(apps)
    roles.sync_roles(apps)

    assert perms(roles.SUPPORT) == {
        "accounts.view_user",
        "cinema.view_booking",
        "account.view_emailaddress",
        "cinema.view_film",  # added by an operator: kept
    }
    assert Group.objects.filter(name__in=list(roles.ROLES)).count() == 2


def test_removing_the_roles_removes_only_them():
    Group.objects.create(name="Box office")

    roles.remove_roles(apps)

    assert list(Group.objects.values_list("name", flat=True)) == ["Box office"]
    roles.sync_roles(apps)  # as migrating forward again does
    assert Group.objects.count() == 3


def test_support_opens_a_member_and_their_bookings_and_nothing_of_the_privacy_work(
    client, member_with_data
):
    member, booking, request = member_with_data
    client.force_login(staff_in(roles.SUPPORT, "support@example.com"))

    allowed = [
        reverse("admin:accounts_user_change", args=[member.pk]),
        reverse("admin:cinema_booking_change", args=[booking.pk]),
        reverse("admin:cinema_booking_changelist") + f"?user__id__exact={member.pk}",
        reverse("admin:account_emailaddress_changelist"),
    ]
    refused = [
        reverse("admin:privacy_dataexport_changelist"),
        reverse("admin:privacy_consentrecord_changelist"),
        reverse("admin:privacy_auditentry_changelist"),
        reverse("admin:privacy_auditentry_verify"),
        reverse("admin:privacy_privacyrequest_changelist"),
        reverse("admin:privacy_privacyrequest_change", args=[request.pk]),
        reverse("admin:privacy_privacyrequest_dashboard"),
        reverse("admin:privacy_privacyrequest_step", args=[request.pk, "reject"]),
        reverse("admin:privacy_databreach_changelist"),
    ]

    for url in allowed:
        assert client.get(url).status_code == 200, url
    for url in refused:
        assert client.get(url).status_code == 403, url
    assert b"zhanar@example.com" in client.get(allowed[0]).content
    index = client.get(reverse("admin:index")).content.decode()
    assert "Privacy requests" not in index and "Audit log" not in index


def test_support_cannot_change_a_member(client, member_with_data):
    member, _booking, _request = member_with_data
    client.force_login(staff_in(roles.SUPPORT, "support@example.com"))

    response = client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        {"email": "taken@example.com", "first_name": "Changed"},
    )

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.first_name == "Zhanar"


def test_a_privacy_officer_works_the_queue_and_reads_and_verifies_the_audit_log(
    client, member_with_data
):
    member, _booking, request = member_with_data
    officer = staff_in(roles.PRIVACY_OFFICER, "officer@example.com")
    client.force_login(officer)

    assert client.get(reverse("admin:privacy_privacyrequest_changelist")).status_code == 200
    response = client.post(
        reverse("admin:privacy_privacyrequest_step", args=[request.pk, "complete"]),
        {"text": "Your data is attached."},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.COMPLETED

    log = client.get(reverse("admin:privacy_auditentry_changelist"), {"q": str(member.pk)})
    assert log.status_code == 200
    assert {entry.action for entry in log.context["cl"].result_list} >= {
        "request.opened",
        "request.status",
    }
    verified = client.get(reverse("admin:privacy_auditentry_verify"))
    assert "The audit log is intact" in verified.content.decode()
    for url in [
        reverse("admin:privacy_dataexport_changelist"),
        reverse("admin:privacy_consentrecord_changelist"),
        reverse("admin:privacy_databreach_add"),
        reverse("admin:accounts_user_change", args=[member.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_nobody_edits_the_audit_log_in_the_admin_not_even_a_superuser(client):
    root = make_member(email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(root)
    entry = audit.record("test.entry", subject=1)

    change = reverse("admin:privacy_auditentry_change", args=[entry.pk])
    page = client.get(change)
    client.post(change, {"action": "test.forged"})
    deleted = client.post(reverse("admin:privacy_auditentry_delete", args=[entry.pk]))

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get(reverse("admin:privacy_auditentry_add")).status_code == 403
    assert deleted.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "test.entry"
