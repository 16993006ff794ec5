"""Staff record disclosures to authorities in the admin (G5)."""

import pytest
from django.contrib.auth.models import Permission

from privacy.models import Disclosure
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_staff_records_a_disclosure_with_its_ground_and_categories(client):
    officer = make_member(email="officer@example.com", is_staff=True)
    officer.user_permissions.add(*Permission.objects.filter(codename__endswith="disclosure"))
    member = make_member(email="member@example.com")
    client.force_login(officer)

    response = client.post(
        "/admin/privacy/disclosure/add/",
        {
            "disclosed_on": "2026-11-02",
            "authority": "Almaty city police",
            "legal_ground": "Court order 12/2026",
            "request_reference": "REQ-77",
            "categories": ["identity", "financial"],
            "member": member.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    disclosure = Disclosure.objects.get()
    assert disclosure.recorded_by == officer
    assert disclosure.categories == ["identity", "financial"]
    assert [str(label) for label in disclosure.category_labels()] == [
        "Identity",
        "Payments and purchases",
    ]


def test_members_cannot_reach_the_disclosure_register(client):
    client.force_login(make_member())

    response = client.get("/admin/privacy/disclosure/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
