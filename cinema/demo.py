# ruff: noqa: RUF001 (Cyrillic and Chinese demo content: names, titles, full-width commas)
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
from django.utils import timezone, translation
from faker import Faker
from modeltranslation.utils import build_localized_fieldname

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
# The demo's content in the other languages, keyed by the English text:
# (Russian, Kazakh, Simplified Chinese). Staff enter these in the admin for real content.
TRANSLATED = ("ru", "kk", "zh-hans")
GENRE_NAMES = {
    "Drama": ("Драма", "Драма", "剧情"),
    "Comedy": ("Комедия", "Комедия", "喜剧"),
    "Thriller": ("Триллер", "Триллер", "惊悚"),
    "Animation": ("Мультфильм", "Анимация", "动画"),
    "Science fiction": ("Фантастика", "Ғылыми фантастика", "科幻"),
    "Documentary": ("Документальный", "Деректі фильм", "纪录片"),
    "Adventure": ("Приключения", "Шытырман оқиға", "冒险"),
    "Family": ("Семейный", "Отбасылық", "家庭"),
}
CITY_NAMES = {
    "Almaty": ("Алматы", "Алматы", "阿拉木图"),
    "Astana": ("Астана", "Астана", "阿斯塔纳"),
    "Shymkent": ("Шымкент", "Шымкент", "奇姆肯特"),
    "Karaganda": ("Караганда", "Қарағанды", "卡拉干达"),
    "Aktau": ("Актау", "Ақтау", "阿克套"),
}
CINEMA_NAMES = {
    "Marquee Esentai": ("Marquee Есентай", "Marquee Есентай", "Marquee 艾森泰"),
    "Marquee Dostyk": ("Marquee Достык", "Marquee Достық", "Marquee 多斯特克"),
    "Marquee Keruen": ("Marquee Керуен", "Marquee Керуен", "Marquee 凯鲁恩"),
    "Shymkent Plaza Cinema": ("Кинотеатр Shymkent Plaza", "Shymkent Plaza кинотеатры",
                              "Shymkent Plaza 影院"),
    "Marquee City Mall": ("Marquee City Mall", "Marquee City Mall", "Marquee City Mall"),
    "Caspian Screens": ("Caspian Screens", "Caspian Screens", "里海影院"),
}  # fmt: skip
ADDRESSES = {
    "77/8 Al-Farabi Avenue": ("пр. аль-Фараби, 77/8", "Әл-Фараби даңғылы, 77/8",
                              "阿里-法拉比大街77/8号"),
    "240 Dostyk Avenue": ("пр. Достык, 240", "Достық даңғылы, 240", "多斯特克大街240号"),
    "9 Dostyk Street": ("ул. Достык, 9", "Достық көшесі, 9", "多斯特克街9号"),
    "3/1 Tauke Khan Avenue": ("пр. Тауке хана, 3/1", "Тәуке хан даңғылы, 3/1",
                              "陶克汗大街3/1号"),
    "59 Bukhar-Zhyrau Avenue": ("пр. Бухар-Жырау, 59", "Бұқар жырау даңғылы, 59",
                                "布哈尔-哲拉乌大街59号"),
    "Microdistrict 14, building 1": ("14-й микрорайон, здание 1", "14-шағын аудан, 1-ғимарат",
                                     "14小区1号楼"),
}  # fmt: skip
FILM_TITLES = {
    "Steppe Wind": ("Степной ветер", "Дала желі", "草原之风"),
    "The Last Tram": ("Последний трамвай", "Соңғы трамвай", "末班电车"),
    "Paper Moons": ("Бумажные луны", "Қағаз айлар", "纸月亮"),
    "Orbit of Silence": ("Орбита тишины", "Үнсіздік орбитасы", "寂静轨道"),
    "Grandma's Kitchen": ("Бабушкина кухня", "Әжемнің асүйі", "奶奶的厨房"),
    "Tian Shan: Above the Clouds": ("Тянь-Шань: над облаками", "Тянь-Шань: бұлттардан биік",
                                    "天山：云端之上"),
    "Double Booking": ("Двойная бронь", "Қос брондау", "重复预订"),
    "The Cartographer": ("Картограф", "Картограф", "制图师"),
    "Red Sands": ("Красные пески", "Қызыл құмдар", "赤色沙海"),
    "Little Comet": ("Маленькая комета", "Кішкентай құйрықты жұлдыз", "小彗星"),
    "Night Shift": ("Ночная смена", "Түнгі ауысым", "夜班"),
    "Signal Lost": ("Сигнал потерян", "Сигнал жоғалды", "信号中断"),
}  # fmt: skip
FILM_SYNOPSES = {
    "steppe-wind": (
        "Юная пастушка пересекает Бетпак-Далу, чтобы вернуть домой табун своей семьи.",
        "Жас жылқышы қыз отбасының жылқыларын үйге қайтару үшін Бетпақдаладан өтеді.",
        "一位年轻的牧马姑娘穿越别特帕克达拉荒原，要把家里的马群带回家。",
    ),
    "the-last-tram": (
        "Ночной водитель замечает одного и того же пассажира в каждом рейсе — а потом гаснет свет.",
        "Түнгі жүргізуші әр рейсте бір жолаушыны байқайды — сосын жарық сөнеді.",
        "一名夜班司机每一趟都看见同一位乘客——然后灯灭了。",
    ),
    "paper-moons": (
        "Две луны-оригами отправляются искать ночное небо, для которого их сложили.",
        "Екі оригами ай өздері үшін бүктелген түнгі аспанды іздеп жолға шығады.",
        "两个折纸月亮出发寻找它们本该挂上的那片夜空。",
    ),
    "orbit-of-silence": (
        "Экипаж ретрансляционной станции слышит сигнал, которого не должно существовать.",
        "Ретранслятор станциясының экипажы болмауы тиіс сигналды естиді.",
        "中继站的机组人员听到了一个本不该存在的信号。",
    ),
    "grandmas-kitchen": (
        "Трое двоюродных братьев и сестёр должны приготовить бабушкин праздничный обед "
        "без её книги рецептов.",
        "Үш немере әжесінің рецепт кітабынсыз оның мерекелік дастарқанын әзірлеуі керек.",
        "三个表兄妹必须在没有奶奶菜谱的情况下做出她的节日大餐。",
    ),
    "tian-shan": (
        "Год на ледниках над Алматы вместе с учёными, которые их измеряют.",
        "Алматы үстіндегі мұздықтарда оларды өлшейтін ғалымдармен өткен бір жыл.",
        "与测量冰川的科学家们一起，在阿拉木图上方的冰川上度过的一年。",
    ),
    "double-booking": (
        "Две свадьбы, один банкетный зал и управляющий, который пообещал его обеим.",
        "Екі той, бір банкет залы және екеуіне де уәде берген әкімші.",
        "两场婚礼，一个宴会厅，还有一位同时答应了双方的经理。",
    ),
    "the-cartographer": (
        "Картограф находит на старой съёмке деревню, которую больше никто не помнит.",
        "Картограф ескі түсірілімнен ешкім есіне алмайтын ауылды табады.",
        "一位制图师在一份旧测绘图上发现了一个无人记得的村庄。",
    ),
    "red-sands": (
        "Колонна теряет радиосвязь в пустыне и вынуждена довериться незнакомцу.",
        "Керуен шөлде радиобайланыстан айырылып, бейтаныс адамға сенуге мәжбүр болады.",
        "车队在沙漠中失去无线电联系，只能信任一个陌生人。",
    ),
    "little-comet": (
        "Комета, слишком маленькая для неба, учится сиять по-своему.",
        "Аспан үшін тым кішкентай құйрықты жұлдыз өзінше жарқырауды үйренеді.",
        "一颗小得不像话的彗星，学会了用自己的方式闪耀。",
    ),
    "night-shift": (
        "У каждого в круглосуточной аптеке есть секрет, и этой ночью все они раскроются.",
        "Тәулік бойы ашық дәріхананың әр қызметкерінің құпиясы бар, бүгін түнде бәрі ашылады.",
        "24小时药店里的每个人都有秘密，今晚它们全都要浮出水面。",
    ),
    "signal-lost": (
        "Инженер спутниковой связи наперегонки с бурей восстанавливает связь "
        "с застрявшей экспедицией.",
        "Спутник инженері дауылмен жарыса отырып, қамалып қалған экспедициямен "
        "байланысты қалпына келтіреді.",
        "一名卫星工程师与风暴赛跑，要恢复与被困探险队的联络。",
    ),
}
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
    genre_texts = {slug: _in_languages("name", name, GENRE_NAMES) for slug, name in GENRES}
    cinema_texts = {
        (city, name): _in_languages("name", name, CINEMA_NAMES)
        | _in_languages("city", city, CITY_NAMES)
        | _in_languages("address", address, ADDRESSES)
        for name, city, address, *_rest in CINEMAS
    }
    film_texts = {
        slug: _in_languages("title", title, FILM_TITLES)
        | _in_languages("synopsis", synopsis, {synopsis: FILM_SYNOPSES[slug]})
        for slug, title, _r, _m, _g, synopsis in FILMS
    }
    # Written in the default language, so that the original columns (left to
    # django-modeltranslation) hold the English texts like the *_en ones.
    with translation.override(EN), transaction.atomic():
        Genre.objects.bulk_create(
            [Genre(slug=slug, **genre_texts[slug]) for slug, _name in GENRES],
            ignore_conflicts=True,
        )
        Cinema.objects.bulk_create(
            [
                Cinema(**cinema_texts[(city, name)], latitude=Decimal(lat),
                       longitude=Decimal(lon), partner_operator=partner)
                for name, city, _address, lat, lon, partner in CINEMAS
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        Film.objects.bulk_create(
            [
                Film(slug=slug, **film_texts[slug], age_rating=rating, runtime_minutes=runtime,
                     release_date=date(2026, 1, 1) + timedelta(days=29 * i))
                for i, (slug, _t, rating, runtime, _genres, _s) in enumerate(FILMS)
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        # Rows of a demo seeded before the content was translated get the translations
        # they lack; a text someone already entered is never replaced.
        _complete_translations(Genre.objects.all(), lambda g: g.slug, genre_texts)
        _complete_translations(Cinema.objects.all(), lambda c: (c.city_en, c.name_en), cinema_texts)
        _complete_translations(Film.objects.all(), lambda f: f.slug, film_texts)
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
    cinema_ids = [
        Cinema.objects.get(city_en=city, name_en=name).pk for name, city, *_rest in CINEMAS
    ]
    before = Showtime.objects.count()
    for batch in _batches(_generate_showtimes(seed, today, cinema_ids, film_ids), BATCH_SIZE):
        Showtime.objects.bulk_create(batch, batch_size=BATCH_SIZE, ignore_conflicts=True)
    showtimes_created = Showtime.objects.count() - before
    bookings_created = _seed_bookings(seed=seed, today=today, cinema_ids=cinema_ids)
    return ProgrammeResult(showtimes_created=showtimes_created, bookings_created=bookings_created)


EN = "en"


def _in_languages(field: str, english: str, translations: dict[str, tuple[str, ...]]) -> dict:
    """``{"title_en": english, "title_ru": ..., ...}`` from one of the tables above."""
    values = {build_localized_fieldname(field, EN): english}
    for language, text in zip(TRANSLATED, translations.get(english, ()), strict=True):
        values[build_localized_fieldname(field, language)] = text
    return values


def _complete_translations(rows, key, texts: dict) -> None:
    """Fill the empty translated columns of the demo's ``rows`` from ``texts[key(row)]``."""
    changed, columns = [], set()
    for row in rows:
        missing = {
            column: text
            for column, text in texts.get(key(row), {}).items()
            if getattr(row, column) in (None, "")
        }
        for column, text in missing.items():
            setattr(row, column, text)
        if missing:
            changed.append(row)
            columns.update(missing)
    if changed:
        rows.model.objects.bulk_update(changed, sorted(columns))


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
