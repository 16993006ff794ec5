"""Deterministic demo data: the same seed always gives the same people.

Members are written with ``bulk_create`` in fixed-size batches, generated one batch at a
time, so memory stays flat whether 40 or 100,000 members are asked for.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from privacy import roles

MEMBER_EMAIL = "member@marquee.example"
OFFICER_EMAIL = "officer@marquee.example"
DEMO_PASSWORD = "marquee-demo-2026"  # noqa: S105 - published demo credential
# Staff need a second factor for the admin; the demo officer's authenticator-app secret is
# published too (add it to any TOTP app, or compute codes from it) so the demo stays usable.
DEMO_TOTP_SECRET = "MARQUEEDEMOOFFICERTOTPSECRETKEYS"  # noqa: S105 - published demo credential
PRIVACY_OFFICER_GROUP = roles.PRIVACY_OFFICER
# Beyond the Privacy officer role (privacy/roles.py), the demo officer may open the
# box-office report linked from the admin's front page; given to the demo login alone, so
# that the role every real officer shares stays exactly as roles.py defines it.
DEMO_OFFICER_EXTRA_PERMISSIONS = [("cinema", "view_boxoffice")]
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
    showtimes_created: int = 0
    bookings_created: int = 0


def seed_demo(*, members: int, seed: int, now: datetime | None = None) -> SeedResult:
    """Create the demo logins (once), ``members`` generated members for ``seed``, and the
    cinema programme (cinemas, films, ten days of showtimes from ``now``'s day, bookings).

    Running twice with the same seed adds nothing: generated emails depend only on the
    seed and the member's index, and existing addresses are skipped.
    """
    demo_created = _ensure_demo_accounts()
    created = 0
    for batch in _batches(_generate_members(members, seed), BATCH_SIZE):
        created += _insert_members(batch)
    programme = seed_programme(seed=seed, now=now)
    return SeedResult(
        members_created=created,
        demo_accounts_created=demo_created,
        showtimes_created=programme.showtimes_created,
        bookings_created=programme.bookings_created,
    )


def _ensure_demo_accounts() -> int:
    User = get_user_model()
    created = 0
    with transaction.atomic():
        # The role exactly as roles.py defines it. A demo database seeded by an older
        # version gave this group every permission of three apps; in the demo (and only
        # here: operators' own additions to a role are never taken away) it is reset.
        roles.sync_roles(django_apps)
        group = Group.objects.get(name=PRIVACY_OFFICER_GROUP)
        group.permissions.set(roles.role_permissions(django_apps, PRIVACY_OFFICER_GROUP))
        extra = Q()
        for app_label, codename in DEMO_OFFICER_EXTRA_PERMISSIONS:
            extra |= Q(content_type__app_label=app_label, codename=codename)
        extra_permissions = list(Permission.objects.filter(extra))
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
                user.user_permissions.add(*extra_permissions)
                _ensure_demo_totp(user)
    return created


def _ensure_demo_totp(user) -> None:
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return
    Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.TOTP,
        data={"secret": get_mfa_adapter().encrypt(DEMO_TOTP_SECRET)},
    )


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


# --- Cinema programme --------------------------------------------------------------------

PROGRAMME_DAYS = 10
GENRES = [("drama", "Drama"), ("comedy", "Comedy"), ("thriller", "Thriller"),
          ("animation", "Animation"), ("sci-fi", "Science fiction"),
          ("documentary", "Documentary"), ("adventure", "Adventure"),
          ("family", "Family")]  # fmt: skip
# (name, city, address, latitude, longitude, partner operator or "" for the chain's own)
CINEMAS = [
    ("Marquee Esentai", "Almaty", "77/8 Al-Farabi Avenue", "43.218500", "76.927900", ""),
    ("Marquee Dostyk", "Almaty", "240 Dostyk Avenue", "43.233000", "76.956000", ""),
    ("Marquee Keruen", "Astana", "9 Dostyk Street", "51.128200", "71.430400", ""),
    ("Shymkent Plaza Cinema", "Shymkent", "3/1 Tauke Khan Avenue", "42.317000", "69.596000",
     "Shymkent Plaza Entertainment LLP"),
    ("Marquee City Mall", "Karaganda", "59 Bukhar-Zhyrau Avenue", "49.806600", "73.085100", ""),
    ("Caspian Screens", "Aktau", "Microdistrict 14, building 1", "43.650000", "51.160000",
     "Caspian Leisure JSC"),
]  # fmt: skip
# (slug, title, age rating, runtime, genres, synopsis)
FILMS = [
    ("steppe-wind", "Steppe Wind", "12+", 118, ["drama", "adventure"],
     "A young herder crosses the Betpak-Dala to bring her family's horses home."),
    ("the-last-tram", "The Last Tram", "16+", 104, ["thriller"],
     "A night driver notices the same passenger on every run — and then the lights go out."),
    ("paper-moons", "Paper Moons", "0+", 88, ["animation", "family"],
     "Two origami moons set out to find the night sky they were folded for."),
    ("orbit-of-silence", "Orbit of Silence", "14+", 131, ["sci-fi", "drama"],
     "The crew of a relay station hears a signal that should not exist."),
    ("grandmas-kitchen", "Grandma's Kitchen", "6+", 97, ["comedy", "family"],
     "Three cousins must cook their grandmother's feast without her recipe book."),
    ("tian-shan", "Tian Shan: Above the Clouds", "0+", 79, ["documentary"],
     "A year on the glaciers above Almaty, with the scientists who measure them."),
    ("double-booking", "Double Booking", "12+", 102, ["comedy"],
     "Two weddings, one banquet hall, and a manager who promised both."),
    ("the-cartographer", "The Cartographer", "16+", 124, ["drama", "thriller"],
     "A mapmaker finds a village on an old survey that nobody else remembers."),
    ("red-sands", "Red Sands", "18+", 115, ["thriller", "adventure"],
     "A convoy loses radio contact in the desert and must trust a stranger."),
    ("little-comet", "Little Comet", "0+", 84, ["animation", "adventure", "family"],
     "A comet too small for the sky learns to shine in its own way."),
    ("night-shift", "Night Shift", "14+", 99, ["comedy", "drama"],
     "Everyone at a 24-hour pharmacy has a secret, and tonight they all come out."),
    ("signal-lost", "Signal Lost", "16+", 109, ["sci-fi", "thriller"],
     "A satellite engineer races a storm to restore the link to a stranded expedition."),
]  # fmt: skip
AUDITORIUMS = [("Hall 1", 120), ("Hall 2", 60)]
SLOTS = [(time(11, 0), "1800"), (time(14, 30), "2200"), (time(18, 0), "2800"),
         (time(21, 15), "3000")]  # fmt: skip
DEMO_MEMBER_BOOKINGS = [(1, 2), (3, 3)]  # (day offset, slot index) of the demo member's
GENERATED_MEMBERS_WITH_BOOKINGS = 30


@dataclass(frozen=True)
class ProgrammeResult:
    showtimes_created: int
    bookings_created: int


def seed_programme(*, seed: int, now: datetime | None = None) -> ProgrammeResult:
    """Insert cinemas, films and showtimes for the ten days from ``now``'s day, and a few
    bookings (two upcoming ones for the demo member). Idempotent: rows are keyed by natural
    keys (genre and film slugs, cinema city + name, showtime slot) and bookings are only
    added for members who have none yet."""
    from cinema.models import Cinema, Film, Genre, Showtime

    today = timezone.localdate(now or timezone.now())
    with transaction.atomic():
        Genre.objects.bulk_create(
            [Genre(slug=slug, name=name) for slug, name in GENRES], ignore_conflicts=True
        )
        Cinema.objects.bulk_create(
            [
                Cinema(name=name, city=city, address=address, latitude=Decimal(lat),
                       longitude=Decimal(lon), partner_operator=partner)
                for name, city, address, lat, lon, partner in CINEMAS
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        Film.objects.bulk_create(
            [
                Film(slug=slug, title=title, age_rating=rating, runtime_minutes=runtime,
                     synopsis=synopsis, release_date=date(2026, 1, 1) + timedelta(days=29 * i))
                for i, (slug, title, rating, runtime, _genres, synopsis) in enumerate(FILMS)
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        genre_ids = dict(Genre.objects.values_list("slug", "pk"))
        film_ids = dict(
            Film.objects.filter(slug__in=[f[0] for f in FILMS]).values_list("slug", "pk")
        )
        Film.genres.through.objects.bulk_create(
            [
                Film.genres.through(film_id=film_ids[slug], genre_id=genre_ids[genre])
                for slug, _t, _r, _m, genres, _s in FILMS
                for genre in genres
            ],
            ignore_conflicts=True,
        )
    cinema_ids = [Cinema.objects.get(city=city, name=name).pk for name, city, *_rest in CINEMAS]
    before = Showtime.objects.count()
    for batch in _batches(_generate_showtimes(seed, today, cinema_ids, film_ids), BATCH_SIZE):
        Showtime.objects.bulk_create(batch, batch_size=BATCH_SIZE, ignore_conflicts=True)
    showtimes_created = Showtime.objects.count() - before
    bookings_created = _seed_bookings(seed=seed, today=today, cinema_ids=cinema_ids)
    return ProgrammeResult(showtimes_created=showtimes_created, bookings_created=bookings_created)


def _slot_start(day: date, slot: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, slot))


def _generate_showtimes(seed, today, cinema_ids, film_ids) -> Iterator:
    from cinema.models import Showtime

    slugs = [f[0] for f in FILMS]
    for offset in range(PROGRAMME_DAYS):
        day = today + timedelta(days=offset)
        for cinema_index, cinema_id in enumerate(cinema_ids):
            # Same seed and day, same programme: the choice depends on nothing else.
            rng = random.Random(f"{seed}-{day.isoformat()}-{cinema_index}")  # noqa: S311
            for auditorium, capacity in AUDITORIUMS:
                for slot, price in SLOTS:
                    yield Showtime(
                        film_id=film_ids[rng.choice(slugs)],
                        cinema_id=cinema_id,
                        starts_at=_slot_start(day, slot),
                        auditorium=auditorium,
                        capacity=capacity,
                        price=Decimal(price),
                        currency="KZT",
                    )


def _seed_bookings(*, seed: int, today: date, cinema_ids: list[int]) -> int:
    from cinema.models import Booking, Showtime
    from cinema.services.booking import CODE_ALPHABET, CODE_LENGTH, allocate_seats

    User = get_user_model()
    rng = random.Random(f"{seed}-bookings-{today.isoformat()}")  # noqa: S311
    now = timezone.now()
    demo_member = User.objects.filter(email=MEMBER_EMAIL).first()
    wanted: list[tuple[int, int, int]] = []  # (user id, showtime id, seats)
    if (
        demo_member is not None
        and not Booking.objects.filter(user=demo_member, showtime__starts_at__gt=now).exists()
    ):
        for offset, slot_index in DEMO_MEMBER_BOOKINGS:
            starts = _slot_start(today + timedelta(days=offset), SLOTS[slot_index][0])
            showtime = Showtime.objects.filter(
                cinema_id=cinema_ids[0], starts_at=starts, auditorium=AUDITORIUMS[0][0]
            ).first()
            if showtime is not None:
                wanted.append((demo_member.pk, showtime.pk, 2))
    upcoming = list(
        Showtime.objects.filter(
            starts_at__gt=now,
            starts_at__lt=_slot_start(today + timedelta(days=PROGRAMME_DAYS), time.min),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    members = list(
        User.objects.filter(email__endswith=f".s{seed}@demo.marquee.example", bookings__isnull=True)
        .order_by("email")
        .values_list("pk", flat=True)[:GENERATED_MEMBERS_WITH_BOOKINGS]
    )
    if upcoming:
        wanted += [(pk, rng.choice(upcoming), rng.randint(1, 4)) for pk in members]
    if not wanted:
        return 0
    showtimes = Showtime.objects.in_bulk({showtime_id for _u, showtime_id, _n in wanted})
    taken: dict[int, set[str]] = {pk: set() for pk in showtimes}
    for showtime_id, seats in Booking.objects.filter(
        showtime_id__in=showtimes, status__in=Booking.ACTIVE_STATUSES
    ).values_list("showtime_id", "seats"):
        taken[showtime_id].update(seats)
    rows = []
    for user_id, showtime_id, count in wanted:
        showtime = showtimes[showtime_id]
        seats = allocate_seats(
            taken[showtime_id], count=count, capacity=showtime.capacity, per_row=12
        )
        if len(seats) < count:
            continue
        taken[showtime_id].update(seats)
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        rows.append(
            Booking(
                showtime=showtime, user_id=user_id, code=code, seat_count=count, seats=seats,
                unit_price=showtime.price, total_price=showtime.price * count,
                currency=showtime.currency, status=Booking.Status.RESERVED,
                payment_provider="box_office", payment_reference=f"BOX-{code}",
            )
        )  # fmt: skip
    before = Booking.objects.count()
    with transaction.atomic():
        Booking.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return Booking.objects.count() - before
