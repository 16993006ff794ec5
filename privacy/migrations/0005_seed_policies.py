"""The first published privacy policy and cookie policy, in English (K9, G8, S11).

A data migration rather than a demo-seed step: every deployment must have a current
policy from its first request, because sign-up records which version a member accepted.
Other languages fall back to English until staff publish a translation. Idempotent: a
version that already exists (same document, language and label) is left untouched.
"""

import datetime

from django.db import migrations

VERSION = "2026-11-01"
EFFECTIVE_FROM = datetime.date(2026, 11, 1)
PUBLISHED_AT = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)

PRIVACY_BODY = """\
This policy explains what Marquee, the cinema chain, collects about you when you use this \
website, why, for how long, who receives it, and how you control it. The "What we collect" \
and "Who we share with" pages are generated from the same register our software follows, \
so they always show the current detail.

## 1. What we collect

- Your account: first and last name, optional patronymic and public username, email \
address, optional phone number, date of birth (to check the minimum age) and preferred \
language.
- Your bookings: films, showtimes, seats, amounts and the payment provider's reference. \
We never store card numbers.
- Sign-in and security: a hash of your password, your sessions and devices, second \
factors if you turn them on.
- Use of the service: pages and films you look at, only if you allow analytics cookies. \
Network addresses are shortened before they are stored.
- Your choices: consents, marketing preferences, favourite cinema and genres.
- Precise location only when you press "nearest cinema" and your browser allows it.
- If you sign in with a social account, only your name, email address and photo.

## 2. Why we use it

- To run your account and sell and manage your tickets (our contract with you).
- To send service messages: booking confirmations, reminders, security alerts and \
notices like this one. You receive them even if you opt out of marketing.
- To keep accounts and the service secure (our legitimate interest).
- With your consent only: analytics, personalised advertising, personalised \
recommendations, marketing email and SMS. You can withdraw consent at any time, as easily \
as you gave it.
- To keep the accounting records the law requires.

## 3. Who receives it

We do not sell your personal data. Our hosting provider, email and SMS gateways and \
payment provider process it on our instructions. The partner cinema that shows your film \
receives your booking to admit you. We disclose data to authorities only when the law \
requires it, and we record every such disclosure.

## 4. How long we keep it

Your account data is kept while you have an account. Booking and payment records are kept \
for as long as tax law requires, without your name or contact details. Everything else is \
deleted or anonymized on a schedule our software enforces.

## 5. Your rights

In your account you can see all your data, download it, correct it, restrict or object \
to its use, withdraw consent, unsubscribe and delete your account, yourself, at any time. \
Requests we cannot complete instantly are answered within the legal deadline.

## 6. Children

Our services are not for children under 16. We check the date of birth at sign-up.

## 7. Changes to this policy

Every version of this policy stays readable on this website, with what changed. If a \
change is significant, we email every member and ask you to review it on your next visit.
"""

COOKIES_BODY = """\
Cookies are small files a website stores in your browser. Marquee uses only its own \
cookies; no third party places cookies through our website. Nothing that is not essential \
runs before you choose in the cookie banner, and your browser's Global Privacy Control \
and Do Not Track signals are honoured.

## Essential cookies (always on)

- sessionid: keeps you signed in. Ends when you sign out or after 14 days.
- csrftoken: protects forms against forgery.
- mq_visitor: remembers your cookie choices before you have an account. One year.
- django_language: remembers the language you chose.

## Cookies you can allow or refuse

- mq_functional (functionality): remembers conveniences such as your last cinema.
- mq_analytics (analytics): counts page and film views, with your network address \
shortened.
- mq_ads (personalised advertising): lets us tailor offers to you.

When you refuse or withdraw a purpose, we delete its cookies from your browser on your \
next page view.

## Changing your choice

You can change your choices at any time in your privacy settings, as easily as you made \
them. Deleting our cookies in your browser also resets them.
"""


def seed(apps, schema_editor):
    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    for document, title, body in (
        ("privacy", "Privacy policy", PRIVACY_BODY),
        ("cookies", "Cookie policy", COOKIES_BODY),
    ):
        PolicyVersion.objects.get_or_create(
            document=document,
            language="en",
            version=VERSION,
            defaults={
                "title": title,
                "body": body,
                "summary_of_changes": "First published version.",
                "is_material": False,
                "effective_from": EFFECTIVE_FROM,
                "published_at": PUBLISHED_AT,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_policies")]

    # Reversing keeps the texts: a published policy is never deleted by a rollback.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
