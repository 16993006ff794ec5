"""The cookie banner, the cookie settings page, browser signals and the GPC declaration."""

import gzip
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from privacy.models import ConsentPurpose, ConsentRecord, ConsentState, PolicyVersion
from privacy.services import consent, policies
from tests.accounts.test_signup import signup_data
from tests.factories import make_member

pytestmark = pytest.mark.django_db

BANNER = reverse("privacy:consent_banner")
SETTINGS = reverse("privacy:cookie_settings")
HONOURED = "Opt-out preference signal honoured"
OVERRIDE_LABEL = "I want this although my browser sends an opt-out signal"
NON_ESSENTIAL_COOKIES = {c for names in consent.PURPOSE_COOKIES.values() for c in names}


def ledger():
    return list(ConsentRecord.objects.order_by("pk").values_list("purpose", "granted", "source"))


def visitor_states():
    return dict(ConsentState.objects.filter(user__isnull=True).values_list("purpose", "granted"))


def set_cookies(response):
    """Names of the cookies the response stores (not the ones it deletes)."""
    return {name for name, morsel in response.cookies.items() if morsel["max-age"] != 0}


def test_first_visit_shows_the_banner_with_three_equal_buttons_and_sets_no_optional_cookie(
    client,
):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert 'role="region" aria-labelledby="consent-banner-title"' in html
    assert "Your cookie choices" in html
    for label in ("Accept all", "Reject all", "Customise"):
        assert f'class="consent-button">{label}</button>' in html or (
            f'class="consent-button" data-consent-toggle="consent-customise">{label}' in html
        )
    # Customise lists every banner purpose, essential shown as always on.
    assert 'id="banner-essential" aria-describedby="banner-essential-help"' in html
    assert "Essential (always on)" in html
    for key in consent.BANNER_PURPOSES:
        assert f'name="purposes" value="{key}"' in html
    assert "marquee/consent.js" in html and "marquee/consent.css" in html
    # Before a choice: at most the CSRF token and a session, nothing optional.
    assert set_cookies(response) <= {"csrftoken", settings.SESSION_COOKIE_NAME}
    assert not set_cookies(response) & (NON_ESSENTIAL_COOKIES | {consent.VISITOR_COOKIE})
    assert not ConsentRecord.objects.exists()


def test_reject_all_declines_every_banner_purpose_and_sets_only_the_visitor_cookie(client):
    response = client.post(BANNER, {"choice": "reject", "next": "/programme/"})

    assert response.status_code == 302
    assert response["Location"] == "/programme/"
    assert ledger() == [(p, False, "banner") for p in consent.BANNER_PURPOSES]
    assert set_cookies(response) == {consent.VISITOR_COOKIE}
    record = ConsentRecord.objects.first()
    assert record.user_id is None and record.visitor_id is not None
    # Recorded under the cookie policy version in force (the seeded one, if any).
    assert record.policy_version == policies.current_version_label(policies.COOKIES)


def test_choices_name_the_policy_version_they_were_made_under(client):
    for document, label in (("cookies", "cookies-test-v9"), ("privacy", "privacy-test-v9")):
        PolicyVersion.objects.create(
            document=document,
            language="en",
            version=label,
            title="Policy",
            body="Text.",
            effective_from=timezone.localdate(),
            published_at=timezone.now(),
        )
    member = make_member()
    client.force_login(member)

    client.post(SETTINGS, {"purposes": ["analytics", "location"]})

    versions = dict(
        ConsentRecord.objects.filter(user=member).values_list("purpose", "policy_version")
    )
    assert versions == {
        "functional": "cookies-test-v9",
        "analytics": "cookies-test-v9",
        "advertising": "cookies-test-v9",
        "recommendations": "privacy-test-v9",
        "location": "privacy-test-v9",
    }


def test_banner_is_not_shown_once_a_choice_is_made(client):
    client.post(BANNER, {"choice": "reject", "next": "/"})

    html = client.get(reverse("home")).content.decode()

    assert "consent-banner" not in html
    assert "marquee/consent.js" not in html
    assert f'href="{SETTINGS}"' in html  # the footer's way back to the choices


def test_accept_all_grants_every_banner_purpose(client):
    client.post(BANNER, {"choice": "accept", "next": "/"})

    assert ledger() == [(p, True, "banner") for p in consent.BANNER_PURPOSES]
    assert visitor_states() == dict.fromkeys(consent.BANNER_PURPOSES, True)


def test_customise_records_exactly_the_ticked_purposes(client):
    client.post(BANNER, {"choice": "custom", "purposes": ["analytics"], "next": "/"})

    assert visitor_states() == {"functional": False, "analytics": True, "advertising": False}
    assert {r[2] for r in ledger()} == {"banner"}


def test_customise_without_javascript_goes_to_the_settings_page_and_records_nothing(client):
    response = client.post(BANNER, {"choice": "customise", "next": "/programme/?cinema=2"})

    assert response.status_code == 302
    assert response["Location"] == f"{SETTINGS}?next=%2Fprogramme%2F%3Fcinema%3D2"
    assert not ConsentRecord.objects.exists()
    settings_page = client.get(response["Location"])
    assert 'name="next" value="/programme/?cinema=2"' in settings_page.content.decode()

    saved = client.post(SETTINGS, {"purposes": ["functional"], "next": "/programme/?cinema=2"})

    assert saved["Location"] == "/programme/?cinema=2"
    assert visitor_states() == {"functional": True, "analytics": False, "advertising": False}


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_redirect_after_a_choice_never_leaves_the_site(client, next_url):
    response = client.post(BANNER, {"choice": "accept", "next": next_url})

    assert response["Location"] == reverse("home")


@pytest.mark.parametrize(
    "data",
    [
        {"choice": "custom", "purposes": ["tracking"]},
        {"choice": "custom", "purposes": ["essential"]},
        {"choice": "custom", "purposes": ["recommendations"]},
        {"choice": "everything"},
        {},
    ],
)
def test_bad_banner_input_is_refused_clearly_and_nothing_is_recorded(client, data):
    response = client.post(BANNER, data)

    assert response.status_code == 400
    assert "Your cookie choices were not saved" in response.content.decode()
    assert not ConsentRecord.objects.exists()
    assert consent.VISITOR_COOKIE not in response.cookies


def test_banner_view_accepts_only_post(client):
    response = client.get(BANNER)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not ConsentRecord.objects.exists()


def test_visitor_choice_is_carried_into_the_new_account_at_sign_up(client):
    client.post(BANNER, {"choice": "custom", "purposes": ["analytics", "functional"]})

    response = client.post(reverse("account_signup"), signup_data())

    assert response.status_code == 302
    member = get_user_model().objects.get()
    assert consent.allows(member, "analytics")
    assert consent.allows(member, "functional")
    assert not consent.allows(member, "advertising")
    carried = ConsentRecord.objects.filter(user=member, source="carry_over")
    assert set(carried.values_list("purpose", flat=True)) == set(consent.BANNER_PURPOSES)


def test_gpc_keeps_advertising_off_without_a_click_and_after_the_header_is_gone(client):
    home = client.get(reverse("home"), HTTP_SEC_GPC="1").content.decode()
    # The banner says so and locks the advertising box.
    assert f"{HONOURED}: Personalised advertising" in home
    assert 'name="purposes" value="advertising" disabled' in home
    page = client.get(SETTINGS, HTTP_SEC_GPC="1").content.decode()
    assert HONOURED in page
    assert 'id="setting-advertising"' in page
    assert 'name="purposes" value="advertising"' not in page
    assert OVERRIDE_LABEL not in page  # visitors cannot override; members can

    # Even "Accept all" leaves advertising to the signal, which the ledger names.
    client.post(BANNER, {"choice": "accept"}, HTTP_SEC_GPC="1")

    assert visitor_states() == {"functional": True, "analytics": True, "advertising": False}
    assert ("advertising", False, "gpc") in ledger()
    assert ("advertising", True, "banner") not in ledger()
    later = client.get(SETTINGS).content.decode()
    assert HONOURED not in later
    assert 'name="purposes" value="advertising" aria' not in later
    assert "advertising" not in client.get(SETTINGS).context["ticked"]


def test_a_visitor_cannot_override_the_signal(client):
    response = client.post(SETTINGS, {"overrides": ["advertising"]}, HTTP_SEC_GPC="1")

    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()


def test_member_confirms_advertising_despite_gpc_and_it_stays_on(client):
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"advertising": True}, source="banner")
    client.force_login(member)

    page = client.get(SETTINGS, HTTP_SEC_GPC="1").content.decode()

    # The signal withdrew the earlier grant, and the page says why advertising is off.
    assert not consent.allows(member, "advertising")
    assert HONOURED in page and OVERRIDE_LABEL in page

    response = client.post(
        SETTINGS,
        {"purposes": ["analytics"], "overrides": ["advertising"]},
        HTTP_SEC_GPC="1",
    )

    assert response.status_code == 302
    override = ConsentRecord.objects.get(user=member, purpose="advertising", source="settings")
    assert override.overrides_signal is True
    client.get(reverse("home"), HTTP_SEC_GPC="1")
    assert consent.allows(member, "advertising")
    page = client.get(SETTINGS, HTTP_SEC_GPC="1").content.decode()
    assert HONOURED not in page
    assert 'name="purposes" value="advertising" checked' in page

    # Saving again with advertising still ticked keeps the explicit confirmation.
    client.post(SETTINGS, {"purposes": ["analytics", "advertising"]}, HTTP_SEC_GPC="1")
    client.get(reverse("home"), HTTP_SEC_GPC="1")
    assert consent.allows(member, "advertising")
    assert (
        not ConsentRecord.objects.filter(user=member, source="gpc", granted=False)
        .exclude(pk__lt=override.pk)
        .exists()
    )


def test_member_sees_account_purposes_with_legal_basis_and_state(client):
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"recommendations": True}, source="signup")
    client.force_login(member)

    response = client.get(SETTINGS)

    html = response.content.decode()
    for key in ("essential", *consent.BANNER_PURPOSES, "recommendations", "location"):
        assert f'id="setting-{key}"' in html
    assert "marketing_email" not in html and "marketing_sms" not in html
    assert "Legal basis" in html and "Consent" in html and "Contract" in html
    assert "Always on" in html
    assert response.context["ticked"] == {"recommendations"}
    assert "Your account" in html
    assert f'href="{reverse("privacy:marketing")}"' in html  # marketing has its own page

    client.post(SETTINGS, {"purposes": ["location", "analytics"]})

    member_states = consent.current_choices(consent.Subject.of(member))
    assert member_states["location"] and member_states["analytics"]
    assert not member_states["recommendations"] and not member_states["advertising"]
    assert set(
        ConsentRecord.objects.filter(user=member, source="settings").values_list(
            "purpose", flat=True
        )
    ) == {*consent.BANNER_PURPOSES, "recommendations", "location"}


def test_visitors_are_not_asked_about_account_purposes(client):
    response = client.get(SETTINGS)
    assert 'id="setting-recommendations"' not in response.content.decode()

    bad = client.post(SETTINGS, {"purposes": ["recommendations"]})

    assert bad.status_code == 400
    assert "is not one of the cookie purposes on this form" in bad.content.decode()
    assert not ConsentRecord.objects.exists()


def test_settings_page_uses_the_texts_staff_wrote(client):
    ConsentPurpose.objects.filter(key="analytics").update(
        name="Audience measurement", description="We count visits to plan screenings."
    )

    html = client.get(SETTINGS).content.decode()

    assert "Audience measurement" in html
    assert "We count visits to plan screenings." in html


def test_profile_links_to_the_privacy_settings(client):
    client.force_login(make_member())

    html = client.get(reverse("accounts:profile")).content.decode()

    assert "Privacy settings" in html
    assert f'href="{SETTINGS}"' in html


def test_gpc_well_known_file():
    from django.test import Client

    response = Client().get("/.well-known/gpc.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["gpc"] is True
    assert len(body["lastUpdate"]) == 10 and body["lastUpdate"][4] == "-"
    assert not response.cookies


def test_banner_script_and_styles_stay_under_five_kilobytes_gzipped():
    static = Path(settings.BASE_DIR) / "static" / "marquee"
    size = sum(
        len(gzip.compress((static / name).read_bytes(), compresslevel=9))
        for name in ("consent.js", "consent.css")
    )

    assert size < 5120


def test_banner_makes_no_third_party_request():
    static = Path(settings.BASE_DIR) / "static" / "marquee"
    templates = Path(settings.BASE_DIR) / "templates" / "privacy"
    files = [static / "consent.js", static / "consent.css"]
    files += [templates / "_consent_banner.html", templates / "cookie_settings.html"]
    for path in files:
        text = path.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_ledger_in_the_admin_is_read_only_and_filterable(admin_client):
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"analytics": True}, source="banner")
    other = make_member()
    consent.record_choices(consent.Subject.of(other), {"analytics": False}, source="settings")
    record = ConsentRecord.objects.get(user=member)
    changelist = reverse("admin:privacy_consentrecord_changelist")

    assert admin_client.get(changelist).status_code == 200
    found = admin_client.get(changelist, {"q": str(member.pk)}).context["cl"].result_list
    assert [r.pk for r in found] == [record.pk]
    assert admin_client.get(changelist, {"q": "not-an-id"}).status_code == 200
    filtered = admin_client.get(changelist, {"source__exact": "settings"}).context["cl"]
    assert [r.user_id for r in filtered.result_list] == [other.pk]
    assert admin_client.get(reverse("admin:privacy_consentrecord_add")).status_code == 403
    delete_url = reverse("admin:privacy_consentrecord_delete", args=[record.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    change_url = reverse("admin:privacy_consentrecord_change", args=[record.pk])
    admin_client.post(change_url, {"granted": "", "purpose": "advertising"})
    record.refresh_from_db()
    assert (record.purpose, record.granted) == ("analytics", True)


def test_staff_edit_purpose_texts_but_not_keys(admin_client):
    purpose = ConsentPurpose.objects.get(key="functional")
    url = reverse("admin:privacy_consentpurpose_change", args=[purpose.pk])

    response = admin_client.post(
        url,
        {
            "key": "tracking",
            "name": "Conveniences",
            "description": "Remembers your cinema.",
            "position": 1,
        },
    )

    assert response.status_code == 302
    purpose.refresh_from_db()
    assert (purpose.key, purpose.name) == ("functional", "Conveniences")
    assert admin_client.get(reverse("admin:privacy_consentpurpose_add")).status_code == 403


# --- Choices made before signing in -------------------------------------------------------


def sign_in(client, member):
    from tests.factories import PASSWORD

    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302


def member_states(member):
    return dict(ConsentState.objects.filter(user=member).values_list("purpose", "granted"))


def test_a_member_who_never_chose_keeps_the_answer_given_just_before_signing_in(client):
    member = make_member()
    client.post(BANNER, {"choice": "reject", "next": "/"})

    sign_in(client, member)
    html = client.get(reverse("home")).content.decode()

    assert "consent-banner" not in html  # not asked twice in a minute
    assert member_states(member) == {purpose: False for purpose in consent.BANNER_PURPOSES}
    assert set(ConsentRecord.objects.filter(user=member).values_list("source", flat=True)) == {
        "sign_in"
    }


def test_a_member_who_chose_before_keeps_their_own_answers_at_sign_in(client):
    member = make_member()
    consent.record_choices(consent.Subject.of(member), {"analytics": True}, source="settings")
    client.post(BANNER, {"choice": "reject", "next": "/"})

    sign_in(client, member)

    assert member_states(member) == {"analytics": True}
    assert "consent-banner" not in client.get(reverse("home")).content.decode()


def test_signing_in_without_a_choice_on_this_browser_still_asks(client):
    member = make_member()

    sign_in(client, member)

    assert member_states(member) == {}
    assert "consent-banner" in client.get(reverse("home")).content.decode()
