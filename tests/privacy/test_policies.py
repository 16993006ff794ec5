"""Versioned privacy and cookie policies: public pages, acceptance, review of changes, emails."""

import importlib
import uuid
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from cinema.models import OutboundEmail
from privacy.middleware.consent import VISITOR_COOKIE_SALT
from privacy.models import ConsentRecord, PolicyAcceptance, PolicyNotification, PolicyVersion
from privacy.services import consent, policies, policy_notifications
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db
seed_migration = importlib.import_module("privacy.migrations.0005_seed_policies")
translations_migration = importlib.import_module("privacy.migrations.0012_policy_translations")

SEEDED = "2026-11-01"
OLD_BODY = "Intro paragraph.\n\n## Sharing\n\nWe share bookings with partner cinemas."
NEW_BODY = (
    "Intro paragraph.\n\n## Sharing\n\nWe share bookings with partner cinemas and "
    "our payment provider.\n\n## Children\n\nNot for children under 16."
)


@pytest.fixture(autouse=True)
def seeded_policies():
    """The policies the data migrations publish (re-run: transactional tests flush them)."""
    seed_migration.seed(django_apps, None)
    translations_migration.seed(django_apps, None)


def make_version(
    *,
    document="privacy",
    language="en",
    version="2026-11-20",
    body=NEW_BODY,
    material=False,
    effective_from=None,
    summary="We now name our payment provider.",
    publish=True,
):
    made = PolicyVersion.objects.create(
        document=document,
        language=language,
        version=version,
        title="Privacy policy" if document == "privacy" else "Cookie policy",
        body=body,
        summary_of_changes=summary,
        is_material=material,
        effective_from=effective_from or timezone.localdate(),
    )
    if publish:
        policies.publish_version(made, actor=None)
    return made


def signed_in(client, **fields):
    member = make_member(**fields)
    client.login(email=member.email, password=PASSWORD)
    return member


# --- Public pages -------------------------------------------------------------------------


def test_seeded_policies_are_public_with_their_dates(client):
    for name in ("privacy:policy", "privacy:cookie_policy"):
        response = client.get(reverse(name))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Last updated" in html and "Effective from" in html
        assert '<time datetime="2026-11-01">' in html
        assert f"Version {SEEDED}" in html


def test_seeding_the_initial_policies_is_idempotent():
    seed_migration.seed(django_apps, None)
    translations_migration.seed(django_apps, None)

    seeded = PolicyVersion.objects.filter(version=SEEDED)
    # Both documents, once in each of the four languages.
    assert seeded.count() == 8
    assert set(seeded.values_list("language", flat=True)) == {"en", "ru", "kk", "zh-hans"}


def test_each_language_reads_its_own_translation(client):
    for language, title in [
        ("ru", "Политика конфиденциальности"),
        ("kk", "Құпиялылық саясаты"),
        ("zh-hans", "隐私政策"),
    ]:
        page = client.get(reverse("privacy:policy"), HTTP_ACCEPT_LANGUAGE=language)
        html = page.content.decode()
        assert title in html
        assert "Marquee, the cinema chain" not in html


def test_footer_links_to_both_policies(client):
    html = client.get(reverse("home")).content.decode()

    assert reverse("privacy:policy") in html
    assert reverse("privacy:cookie_policy") in html


def test_current_version_is_the_latest_in_force_and_future_ones_wait(client):
    make_version(version="2026-11-20", body="Version twenty in force.")
    make_version(
        version="2027-01-01",
        body="Version for next year.",
        effective_from=timezone.localdate() + timedelta(days=40),
    )

    html = client.get(reverse("privacy:policy")).content.decode()

    assert "Version twenty in force." in html
    assert "Version for next year." not in html
    assert policies.current_version_label("privacy", "en") == "2026-11-20"
    upcoming = client.get(
        reverse("privacy:policy_version", kwargs={"language": "en", "version": "2027-01-01"})
    ).content.decode()
    assert "This version takes effect on" in upcoming


def test_language_without_its_own_version_falls_back_to_english(client):
    PolicyVersion.objects.filter(language="kk").delete()
    PolicyVersion.objects.filter(language="ru", document="cookies").delete()
    make_version(language="ru", version="2026-11-20-ru", body="Русский текст политики.")

    russian = client.get(reverse("privacy:policy"), HTTP_ACCEPT_LANGUAGE="ru")
    kazakh = client.get(reverse("privacy:policy"), HTTP_ACCEPT_LANGUAGE="kk")

    assert "Русский текст политики." in russian.content.decode()
    assert policies.current_version_label("privacy", "kk") == SEEDED
    assert "Marquee, the cinema chain" in kazakh.content.decode()
    assert policies.current_version_label("cookies", "ru") == SEEDED


def test_old_versions_stay_readable_with_what_changed(client):
    make_version(version="2026-11-10", body=OLD_BODY)
    make_version(version="2026-11-20", body=NEW_BODY)

    current = client.get(reverse("privacy:policy")).content.decode()
    old = client.get(
        reverse("privacy:policy_version", kwargs={"language": "en", "version": "2026-11-10"})
    )
    new = client.get(
        reverse("privacy:policy_version", kwargs={"language": "en", "version": "2026-11-20"})
    ).content.decode()

    # All published versions are listed, with links to the earlier ones.
    for label in ("2026-11-10", SEEDED):
        assert reverse("privacy:policy_version", kwargs={"language": "en", "version": label}) in (
            current
        )
    assert old.status_code == 200
    assert "We share bookings with partner cinemas." in old.content.decode()
    assert "no longer in force" in old.content.decode()
    # The diff: added words in <ins>, labelled in words too, not by colour alone.
    assert 'id="changes"' in new
    assert "What changed since version 2026-11-10" in new
    assert '<ins><span class="visually-hidden">[added: </span> and our payment provider<' in new
    assert "<del>" in new and "Struck-through text was removed." in new
    assert "Not for children under 16." in new


def test_removed_text_is_shown_deleted(client):
    make_version(version="2026-11-10", body=NEW_BODY)
    make_version(version="2026-11-20", body=OLD_BODY)

    new = client.get(
        reverse("privacy:policy_version", kwargs={"language": "en", "version": "2026-11-20"})
    ).content.decode()

    assert '<del><span class="visually-hidden">[removed: </span>' in new
    assert "Not for children under 16." in new.split("<del>", 1)[1]


def test_drafts_are_not_public(client):
    draft = make_version(version="2026-12-draft", body="Secret draft wording.", publish=False)

    response = client.get(
        reverse("privacy:policy_version", kwargs={"language": "en", "version": draft.version})
    )
    listing = client.get(reverse("privacy:policy")).content.decode()

    assert response.status_code == 404
    assert "2026-12-draft" not in listing
    assert "Secret draft wording." not in listing
    assert policies.current_version_label() == SEEDED


def test_unknown_version_is_not_found(client):
    url = reverse("privacy:cookie_policy_version", kwargs={"language": "en", "version": "nope"})

    assert client.get(url).status_code == 404


def test_staff_text_is_never_interpreted_as_html(client):
    make_version(
        body="## Heading <b>bold</b>\n\n<script>alert(1)</script>\n\n- item <img src=x>",
        summary="<script>bad()</script>",
    )

    html = client.get(reverse("privacy:policy")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<h2>Heading &lt;b&gt;bold&lt;/b&gt;</h2>" in html
    assert "<li>item &lt;img src=x&gt;</li>" in html


# --- Sign-up ------------------------------------------------------------------------------


def signup_data(**overrides):
    data = {
        "email": "policy.reader@example.com",
        "first_name": "Pola",
        "last_name": "Reader",
        "date_of_birth": "1992-04-02",
        "preferred_language": "en",
        "password1": "popcorn-and-a-film-42",
        "password2": "popcorn-and-a-film-42",
    }
    data.update(overrides)
    return data


def test_signup_page_names_the_policy_version_being_accepted(client):
    html = client.get(reverse("account_signup")).content.decode()

    assert "By signing up you accept the" in html
    assert f"(version {SEEDED}, last updated" in html
    assert reverse("privacy:policy_version", kwargs={"language": "en", "version": SEEDED}) in html


def test_signup_records_the_accepted_policy_and_consents_under_it(client):
    visitor_id = uuid.uuid4()
    consent.record_choices(
        consent.Subject(visitor_id=visitor_id), {"analytics": True}, source="banner"
    )
    client.cookies[consent.VISITOR_COOKIE] = signing.get_cookie_signer(
        salt=VISITOR_COOKIE_SALT
    ).sign(str(visitor_id))

    response = client.post(reverse("account_signup"), signup_data())

    assert response.status_code == 302
    acceptance = PolicyAcceptance.objects.get(user__email="policy.reader@example.com")
    assert acceptance.policy_version.version == SEEDED
    assert acceptance.policy_version.document == "privacy"
    assert acceptance.source == "signup"
    carried = ConsentRecord.objects.get(user=acceptance.user, purpose="analytics")
    assert carried.policy_version == SEEDED and carried.granted


def test_signup_in_a_translated_language_accepts_that_translation(client):
    make_version(language="ru", version="2026-11-20-ru", body="Русский текст.")

    client.post(reverse("account_signup"), signup_data(preferred_language="ru"))

    acceptance = PolicyAcceptance.objects.get()
    assert (acceptance.policy_version.language, acceptance.policy_version.version) == (
        "ru",
        "2026-11-20-ru",
    )


# --- Review of a material change ------------------------------------------------------------


def test_material_change_asks_a_signed_in_member_once(client):
    member = signed_in(client)
    changed = make_version(material=True, summary="We now name our payment provider.")

    first = client.get(reverse("cinema:programme"))

    review_url = reverse("privacy:policy_review")
    assert first.status_code == 302
    assert first["Location"].startswith(review_url)
    page = client.get(first["Location"]).content.decode()
    assert "We now name our payment provider." in page
    assert (
        reverse("privacy:policy_version", kwargs={"language": "en", "version": "2026-11-20"})
        + "#changes"
    ) in page
    assert "I have read it" in page

    accepted = client.post(
        review_url, {"version": [changed.pk], "next": reverse("cinema:programme")}
    )

    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("cinema:programme")
    assert PolicyAcceptance.objects.filter(
        user=member, policy_version=changed, source="interstitial"
    ).exists()
    assert client.get(reverse("cinema:programme")).status_code == 200
    assert client.get(review_url).status_code == 302  # nothing left to review


def test_member_can_read_policies_and_sign_out_without_accepting(client):
    signed_in(client)
    make_version(material=True)

    assert client.get(reverse("privacy:policy")).status_code == 200
    assert client.get(reverse("privacy:cookie_policy")).status_code == 200
    assert client.get(reverse("privacy:what_we_collect")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("cinema:programme")).status_code == 200  # now a visitor


def test_until_acknowledged_every_page_asks_again(client):
    signed_in(client)
    make_version(material=True)

    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("cinema:programme")).status_code == 302


def test_review_without_confirming_shows_an_error(client):
    signed_in(client)
    make_version(material=True)

    response = client.post(reverse("privacy:policy_review"), {"next": "/"})

    assert response.status_code == 400
    assert "Please confirm that you have read the changes." in response.content.decode()
    assert not PolicyAcceptance.objects.exists()


def test_review_never_redirects_off_site(client):
    signed_in(client)
    changed = make_version(material=True)

    response = client.post(
        reverse("privacy:policy_review"),
        {"version": [changed.pk], "next": "https://evil.example/phish"},
    )

    assert response["Location"] == "/"


def test_visitors_are_never_interrupted(client):
    make_version(material=True)

    assert client.get(reverse("cinema:programme")).status_code == 200


def test_minor_change_does_not_interrupt(client):
    signed_in(client)
    make_version(material=False)

    assert client.get(reverse("cinema:programme")).status_code == 200


def test_member_who_joined_after_the_change_is_not_asked(client):
    make_version(material=True)
    PolicyVersion.objects.update(published_at=timezone.now() - timedelta(minutes=5))
    signed_in(client)

    assert client.get(reverse("cinema:programme")).status_code == 200


def test_change_taking_effect_later_is_not_asked_yet(client):
    signed_in(client)
    make_version(material=True, effective_from=timezone.localdate() + timedelta(days=30))

    assert client.get(reverse("cinema:programme")).status_code == 200


def test_form_posts_are_not_interrupted(client):
    member = signed_in(client)
    make_version(material=True)

    response = client.post(reverse("accounts:set_language"), {"language": "ru", "next": "/"})

    assert response.status_code == 302
    assert not response["Location"].startswith(reverse("privacy:policy_review"))
    member.refresh_from_db()
    assert member.preferred_language == "ru"


# --- Emails about a material change ---------------------------------------------------------


def policy_emails():
    # Recognised by the link to what changed (the subject is in each member's language).
    return [m for m in mail.outbox if "/#changes" in m.body]


def test_batched_notification_resumes_without_emailing_anyone_twice():
    members = [make_member() for _ in range(5)]
    changed = make_version(material=True)
    mail.outbox.clear()

    finished = policy_notifications.notify_members(changed.pk, batch_size=2, max_batches=1)

    assert finished is False
    assert len(policy_emails()) == 2  # the worker "died" after one batch
    progress = PolicyNotification.objects.get(policy_version=changed)
    assert progress.last_user_id == members[1].pk

    assert policy_notifications.notify_members(changed.pk, batch_size=2) is True
    assert policy_notifications.notify_members(changed.pk, batch_size=2) is True  # run twice

    recipients = sorted(m.to[0] for m in policy_emails())
    assert recipients == sorted(m.email for m in members)
    progress.refresh_from_db()
    assert progress.sent_count == 5 and progress.finished_at is not None


def test_a_batch_that_fails_queues_nothing_and_is_redone(monkeypatch, settings):
    # The real outbox backend: queued emails are rows written in the batch's transaction.
    settings.EMAIL_BACKEND = "cinema.mail.TaskEmailBackend"
    members = [make_member() for _ in range(4)]
    changed = make_version(material=True)
    real_send = policy_notifications.send_policy_email

    def fail_on_third(user, version):
        if user.pk == members[2].pk:
            raise RuntimeError("worker killed mid-batch")
        real_send(user, version)

    monkeypatch.setattr(policy_notifications, "send_policy_email", fail_on_third)
    with pytest.raises(RuntimeError):
        policy_notifications.notify_members(changed.pk, batch_size=3)
    assert PolicyNotification.objects.get(policy_version=changed).last_user_id == 0
    assert not OutboundEmail.objects.exists()

    monkeypatch.setattr(policy_notifications, "send_policy_email", real_send)
    policy_notifications.notify_members(changed.pk, batch_size=3)

    queued = sorted(row.payload["to"][0] for row in OutboundEmail.objects.all())
    assert queued == sorted(m.email for m in members)


def test_policy_email_is_in_the_members_language_and_links_to_the_changes():
    # Without a Russian version of its own, the English change applies to Russian readers.
    PolicyVersion.objects.filter(language="ru").delete()
    russian = make_member(preferred_language="ru")
    changed = make_version(material=True, summary="Payment provider named & <explained>.")
    mail.outbox.clear()

    policy_notifications.notify_members(changed.pk)

    (message,) = policy_emails()
    assert message.to == [russian.email]
    html = message.alternatives[0][0]
    assert '<html lang="ru">' in html
    assert "Payment provider named &amp; &lt;explained&gt;." in html
    assert "Payment provider named & <explained>." in message.body
    assert "/privacy/policy/en/2026-11-20/#changes" in message.body


def test_members_with_their_own_translation_are_not_sent_the_english_change():
    english = make_member(preferred_language="en")
    make_member(preferred_language="ru")
    make_version(language="ru", version="2026-11-15-ru", body="Русский текст.")
    changed = make_version(material=True)
    mail.outbox.clear()

    policy_notifications.notify_members(changed.pk)

    assert [m.to[0] for m in policy_emails()] == [english.email]


def test_stalled_notifications_are_found_for_the_sweeper():
    make_member()
    changed = make_version(material=True)
    PolicyNotification.objects.filter(policy_version=changed).update(
        updated_at=timezone.now() - timedelta(hours=1)
    )

    assert policy_notifications.stale_notifications() == [changed.pk]


# --- Publishing in the admin --------------------------------------------------------------


def staff_member(client, *perms):
    member = signed_in(client, is_staff=True)
    codenames = ["view_policyversion", "change_policyversion", *perms]
    member.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return member


def publish_in_admin(client, version):
    return client.post(
        reverse("admin:privacy_policyversion_changelist"),
        {"action": "publish", "_selected_action": [version.pk]},
        follow=True,
    )


def test_staff_without_the_publish_permission_cannot_publish(client):
    staff_member(client)
    draft = make_version(material=True, publish=False)

    publish_in_admin(client, draft)

    draft.refresh_from_db()
    assert draft.published_at is None


def test_publishing_a_material_change_emails_every_member(
    client, django_capture_on_commit_callbacks
):
    members = [make_member() for _ in range(3)]
    editor = staff_member(client, "publish_policyversion")
    draft = make_version(material=True, publish=False)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = publish_in_admin(client, draft)

    assert "1 version published." in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert sorted(m.to[0] for m in policy_emails()) == sorted(m.email for m in [*members, editor])
    # Publishing again changes nothing and emails nobody.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish_in_admin(client, draft)
    assert policy_emails() == []


def test_published_versions_are_frozen_in_the_admin(client):
    staff_member(client, "publish_policyversion")
    published = make_version()

    page = client.get(reverse("admin:privacy_policyversion_change", args=[published.pk]))

    assert page.status_code == 200
    assert 'name="body"' not in page.content.decode()


def warnings_in(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "warning"]


def test_publishing_a_material_change_in_some_languages_names_the_languages_left_behind(
    client, django_capture_on_commit_callbacks
):
    # Each language reads its own version, and only its readers are told about a change:
    # English alone would leave Russian, Kazakh and Chinese readers on the old text.
    staff_member(client, "publish_policyversion")
    english = make_version(material=True, publish=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = publish_in_admin(client, english)

    assert warnings_in(response) == [
        "Privacy policy: members reading Russian, Kazakh, Simplified Chinese still have the "
        "old version and were not told about this material change. Publish a version in each "
        "of these languages too."
    ]

    others = [
        make_version(language=language, material=True, publish=False)
        for language in ("ru", "kk", "zh-hans")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:privacy_policyversion_changelist"),
            {"action": "publish", "_selected_action": [v.pk for v in others]},
            follow=True,
        )

    assert "3 versions published." in response.content.decode()
    assert warnings_in(response) == []


def test_a_minor_change_in_one_language_gives_no_warning(client):
    staff_member(client, "publish_policyversion")
    draft = make_version(material=False, publish=False)

    response = publish_in_admin(client, draft)

    assert "1 version published." in response.content.decode()
    assert warnings_in(response) == []


def test_saving_a_material_draft_names_the_languages_without_one(client):
    staff_member(client, "add_policyversion")
    form = {
        "document": "cookies",
        "language": "ru",
        "version": "2026-12-01",
        "title": "Политика cookie",
        "body": NEW_BODY,
        "summary_of_changes": "Новый поставщик платежей.",
        "is_material": "on",
        "effective_from": (timezone.localdate() + timedelta(days=10)).isoformat(),
    }

    response = client.post(reverse("admin:privacy_policyversion_add"), form, follow=True)

    assert PolicyVersion.objects.filter(document="cookies", language="ru", version="2026-12-01")
    assert warnings_in(response) == [
        "Cookie policy: English, Kazakh, Simplified Chinese have no version of this material "
        "change yet. Members are told about a change only in the language they read: add and "
        "publish a version in each of these languages too."
    ]
