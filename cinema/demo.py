"""Deterministic demo data: the same seed always gives the same people.

Members are written with ``bulk_create`` in fixed-size batches, generated one batch at a
time, so memory stays flat whether 40 or 100,000 members are asked for.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from faker import Faker

MEMBER_EMAIL = "member@marquee.example"
OFFICER_EMAIL = "officer@marquee.example"
DEMO_PASSWORD = "marquee-demo-2026"  # noqa: S105 - published demo credential
PRIVACY_OFFICER_GROUP = "Privacy officer"
BATCH_SIZE = 2000

# Faker has no Kazakh locale; these are common Kazakh names in Latin-free Cyrillic.
KAZAKH_FIRST = ["Айгерим", "Нурлан", "Асель", "Ерлан", "Динара", "Бауыржан", "Жанар", "Арман",
                "Гульнара", "Данияр", "Мадина", "Санжар", "Айдана", "Ержан", "Камила"]  # fmt: skip
KAZAKH_LAST = ["Нурланов", "Ахметова", "Сейткали", "Жумабаев", "Касымова", "Омаров",
               "Абдрахманова", "Есенов", "Тулегенова", "Сарсенбаев"]  # fmt: skip
LOCALES = [("en", "en_GB"), ("ru", "ru_RU"), ("kk", None), ("zh-hans", "zh_CN")]


@dataclass(frozen=True)
class SeedResult:
    members_created: int
    demo_accounts_created: int


def seed_demo(*, members: int, seed: int) -> SeedResult:
    """Create the demo logins (once) and ``members`` generated members for ``seed``.

    Running twice with the same seed adds nothing: generated emails depend only on the
    seed and the member's index, and existing addresses are skipped.
    """
    demo_created = _ensure_demo_accounts()
    created = 0
    for batch in _batches(_generate_members(members, seed), BATCH_SIZE):
        created += _insert_members(batch)
    return SeedResult(members_created=created, demo_accounts_created=demo_created)


def _ensure_demo_accounts() -> int:
    User = get_user_model()
    created = 0
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=PRIVACY_OFFICER_GROUP)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["accounts", "privacy", "cinema"]
            )
        )
        specs = [
            (MEMBER_EMAIL, {"first_name": "Dana", "last_name": "Member",
                            "date_of_birth": date(1994, 5, 17), "preferred_language": "en"}),
            (OFFICER_EMAIL, {"first_name": "Oskar", "last_name": "Officer",
                             "date_of_birth": date(1985, 2, 3), "is_staff": True,
                             "preferred_language": "en"}),
        ]  # fmt: skip
        for email, fields in specs:
            user, was_created = User.objects.get_or_create(email=email, defaults=fields)
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                created += 1
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if user.is_staff:
                user.groups.add(group)
    return created


def _generate_members(count: int, seed: int) -> Iterator[dict]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    fakers = {code: Faker(name) for code, name in LOCALES if name}
    for code, fake in fakers.items():
        fake.seed_instance(f"{seed}-{code}")
    today = date(2026, 1, 1)
    for index in range(count):
        language, _ = LOCALES[index % len(LOCALES)]
        if language == "kk":
            first, last, patronymic = rng.choice(KAZAKH_FIRST), rng.choice(KAZAKH_LAST), ""
        else:
            fake = fakers[language]
            first, last = fake.first_name(), fake.last_name()
            patronymic = fake.middle_name() if language == "ru" and rng.random() < 0.7 else ""
        born = today - timedelta(days=rng.randint(17 * 365, 80 * 365))
        phone = f"+7701{rng.randint(0, 9_999_999):07d}" if rng.random() < 0.6 else ""
        yield {
            "email": f"member{index:06d}.s{seed}@demo.marquee.example",
            "first_name": first,
            "last_name": last,
            "patronymic": patronymic,
            "phone": phone,
            "date_of_birth": born,
            "preferred_language": language,
        }


def _batches(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_members(rows: list[dict]) -> int:
    """Insert one batch of members with verified addresses; return how many were new."""
    User = get_user_model()
    emails = [row["email"] for row in rows]
    # Generated members cannot sign in with a password; only the demo logins can.
    unusable = make_password(None)
    with transaction.atomic():
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        new = [User(password=unusable, **row) for row in rows if row["email"] not in existing]
        User.objects.bulk_create(new, batch_size=BATCH_SIZE)
        ids = User.objects.filter(email__in=[u.email for u in new]).values_list("pk", "email")
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user_id=pk, email=email, verified=True, primary=True)
                for pk, email in ids
            ],
            batch_size=BATCH_SIZE,
        )
    return len(new)
