"""A plausible demo municipality: two places, three services, two weeks of sessions, staff in
every role, a few visitors with bookings and one on the waiting list.

Everything that has a door goes through it (`publish_session`, `register_visitor`, `book`,
`join_waitlist`), so the demo data is what the channels would have made. Running it again
changes nothing: each row is found by what makes it itself (a language's code, a session's
service, place and start) and only made when missing.

It makes a superuser with a published password, so it refuses to run with DEBUG off (a
production server) unless `--force` is given. `make run` sets DEBUG=1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from interpreters.models import Language
from scheduler import errors, roles, services
from scheduler.models import Booking, Channel, Location, Room, Service, Session, Visitor
from scheduler.services import LanguageOffer

PASSWORD = "spreekuur-demo"

RTL, LTR = Language.Direction.RTL, Language.Direction.LTR
INTERPRETER = "interpreter"
PEER = "peer_expert"

# code, English name, endonym, direction. Only Dutch and English have message catalogues yet;
# the phone menu speaks none of them yet.
LANGUAGES = [
    ("nl", "Dutch", "Nederlands", LTR),
    ("en", "English", "English", LTR),
    ("ar", "Arabic", "العربية", RTL),
    ("tr", "Turkish", "Türkçe", LTR),
    ("ti", "Tigrinya", "ትግርኛ", LTR),
    ("prs", "Dari", "دری", RTL),
    ("fa", "Farsi", "فارسی", RTL),
    ("ps", "Pashto", "پښتو", RTL),
    ("so", "Somali", "Soomaali", LTR),
    ("ckb", "Kurdish (Sorani)", "کوردی", RTL),
    ("kmr", "Kurdish (Kurmanji)", "Kurmancî", LTR),
    ("uk", "Ukrainian", "Українська", LTR),
]
WITH_SMS_CATALOGUE = {"nl", "en"}

TOWN_HALL = "Stadhuis"
DE_SCHOOR = "Wijkcentrum De Schoor"
LOCATIONS = {
    TOWN_HALL: (
        "Stadhuisplein 1, Almere",
        "Main entrance, counter hall on the ground floor",
        ["Balie 1", "Balie 2", "Balie 3", "Spreekkamer 1", "Spreekkamer 2"],
    ),
    DE_SCHOOR: (
        "Schoorweg 12, Almere",
        "Side entrance, first room past the library",
        ["Zaal", "Spreekkamer A"],
    ),
}

INTAKE, WORK, WALK_IN = "intake", "work-and-income", "walk-in"
# slug: name, minutes, by SMS, by phone, by counter, description
SERVICES = {
    INTAKE: (
        "Civic integration intake",
        45,
        True,
        True,
        True,
        "A first talk about your civic-integration route: language, work and your plan.",
    ),
    WORK: (
        "Work and income",
        30,
        False,  # the team wants a conversation first: by phone or at the counter
        True,
        True,
        "Benefits, looking for work, and the rules that come with them.",
    ),
    WALK_IN: (
        "General walk-in hour",
        15,
        True,
        True,
        True,
        "Questions about letters, forms and appointments. No appointment needed.",
    ),
}

STAFF = [
    # username, first name, last name, role (None: superuser)
    ("admin", "Ada", "Beheer", None),
    ("sam", "Sam", "Jansen", roles.COUNTER_STAFF),
    ("carla", "Carla", "Visser", roles.COORDINATOR),
    ("olga", "Olga", "de Boer", roles.SERVICE_OWNER),
]
INTEGRATION_USER = "integration"

# Languages that come some days, in turn; Arabic and Tigrinya come nearly every day.
ROTATION = ["prs", "uk", "so", "fa", "tr", "ps", "ckb", "kmr"]

# name, phone, language, second language. Fictional numbers in the +31 6 range.
VISITORS = [
    ("Amina Haddad", "+31612340001", "ar", "en"),
    ("Yonas Tesfay", "+31612340002", "ti", None),
    ("Saba Tesfay", "+31612340002", "ti", None),  # Yonas's sister, same phone
    ("Mariam Ahmadi", "+31612340003", "prs", "fa"),
    ("Oksana Kovalenko", "+31612340004", "uk", "en"),
    ("Abdi Warsame", "+31612340005", "so", None),
    ("Zelal Demir", "+31612340006", "kmr", "tr"),
]

# visitor, service, location, channel, booked at the counter by
BOOKINGS = [
    ("Amina Haddad", INTAKE, TOWN_HALL, Channel.SMS, None),
    ("Yonas Tesfay", WALK_IN, TOWN_HALL, Channel.SMS, None),
    ("Saba Tesfay", WALK_IN, TOWN_HALL, Channel.COUNTER, "sam"),
    ("Mariam Ahmadi", INTAKE, DE_SCHOOR, Channel.COUNTER, "sam"),
    ("Oksana Kovalenko", WORK, TOWN_HALL, Channel.PHONE, None),
    ("Abdi Warsame", WALK_IN, TOWN_HALL, Channel.PHONE, None),
]

# Waits for an intake in Kurmanji: a language no intake offers yet.
WAITING = [("Zelal Demir", INTAKE)]


@dataclass(frozen=True)
class Plan:
    service: str
    location: str
    room: str
    kind: str
    start: dt.time
    end: dt.time
    capacity: int
    offers: tuple[tuple[str, str, int | None], ...]  # code, support, places
    host: str | None = None


def day_plan(day: dt.date) -> list[Plan]:
    """What is published on a weekday. The rotating languages move on by day, so that over two
    weeks each of them comes a few times."""
    n = day.toordinal()

    def turn(offset: int) -> str:
        return ROTATION[(n + offset) % len(ROTATION)]

    morning, noon = (dt.time(9), dt.time(12))
    afternoon, late = (dt.time(13), dt.time(16))
    weekday = day.weekday()
    plans = [
        Plan(
            WALK_IN, TOWN_HALL, "Balie 1", Session.Kind.WALK_IN, morning, noon, 12,
            (("ar", PEER, 4), ("ti", PEER, 3), (turn(0), INTERPRETER, 2)),
            host="sam",
        ),
        Plan(
            INTAKE, TOWN_HALL, "Spreekkamer 1", Session.Kind.APPOINTMENTS, afternoon, late, 1,
            (("ar" if weekday in (0, 2, 4) else "ti", INTERPRETER, None),
             (turn(3), INTERPRETER, None)),
        ),
    ]
    if weekday in (1, 3):  # Tuesday, Thursday
        plans.append(Plan(
            WORK, TOWN_HALL, "Spreekkamer 2", Session.Kind.APPOINTMENTS, morning, noon, 1,
            (("uk" if weekday == 1 else "ar", INTERPRETER, None),),
        ))
    if weekday in (0, 3):  # Monday, Thursday
        plans.append(Plan(
            INTAKE, DE_SCHOOR, "Spreekkamer A", Session.Kind.APPOINTMENTS, morning, noon, 1,
            (("prs" if weekday == 0 else "fa", INTERPRETER, None), ("ps", INTERPRETER, None)),
        ))
    if weekday == 2:  # Wednesday afternoon in the neighbourhood
        plans.append(Plan(
            WALK_IN, DE_SCHOOR, "Zaal", Session.Kind.WALK_IN, afternoon, late, 10,
            (("ar", PEER, 3), ("ti", PEER, 3), ("so", PEER, 2), (turn(5), INTERPRETER, 2)),
        ))
    return plans


class Command(BaseCommand):
    help = "Fill the database with a demo municipality. Safe to run again: adds what is missing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=14, help="How many days of sessions.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. It makes users with a published password.",
        )

    def handle(self, *args: Any, days: int = 14, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo makes a superuser and staff users with the published password "
                f"{PASSWORD!r}, and DEBUG is off: this looks like a real server. Run it with "
                "DEBUG=1 (make run does), or add --force if this really is a demo server."
            )
        self.made: dict[str, int] = {}
        with transaction.atomic():
            languages = self.seed_languages()
            locations = self.seed_locations()
            service_by_slug = self.seed_services()
            users = self.seed_staff()
            token = self.seed_integration_user()
            self.seed_sessions(days, languages, locations, service_by_slug, users)
            visitors = self.seed_visitors(languages, users["admin"])
            self.seed_bookings(visitors, locations, service_by_slug, users)
            self.seed_waitlist(visitors, service_by_slug, days)
        self.report(token)

    # --- pieces ------------------------------------------------------------------------------

    def seed_languages(self) -> dict[str, Language]:
        languages = {}
        for code, name, endonym, direction in LANGUAGES:
            languages[code], created = Language.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "endonym": endonym,
                    "direction": direction,
                    "has_sms_catalogue": code in WITH_SMS_CATALOGUE,
                    "has_voice": False,
                },
            )
            self.count("languages", created)
        return languages

    def seed_locations(self) -> dict[str, Location]:
        locations = {}
        for name, (address, directions, rooms) in LOCATIONS.items():
            location, created = Location.objects.get_or_create(
                name=name, defaults={"address": address, "directions": directions}
            )
            self.count("locations", created)
            for room in rooms:
                Room.objects.get_or_create(location=location, name=room)
            locations[name] = location
        return locations

    def seed_services(self) -> dict[str, Service]:
        found = {}
        for slug, (name, minutes, by_sms, by_phone, by_counter, description) in SERVICES.items():
            found[slug], created = Service.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "duration_minutes": minutes,
                    "bookable_by_sms": by_sms,
                    "bookable_by_phone": by_phone,
                    "bookable_by_counter": by_counter,
                    "description": description,
                },
            )
            self.count("services", created)
        return found

    def seed_staff(self) -> dict[str, User]:
        users = {}
        for username, first, last, role in STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@spreekuur.example",
                    "is_staff": True,
                    "is_superuser": role is None,
                },
            )
            if created:  # a password changed since is left alone
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            if role:
                user.groups.add(Group.objects.get(name=role))
            self.count("staff users", created)
            users[username] = user
        return users

    def seed_integration_user(self) -> Token:
        user, created = User.objects.get_or_create(
            username=INTEGRATION_USER, defaults={"first_name": "Integration", "is_staff": False}
        )
        if created:  # signs in with its token only
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=roles.COUNTER_STAFF))
        token, _created = Token.objects.get_or_create(user=user)
        return token

    def seed_sessions(
        self,
        days: int,
        languages: dict[str, Language],
        locations: dict[str, Location],
        service_by_slug: dict[str, Service],
        users: dict[str, User],
    ) -> None:
        now = timezone.now()
        tz = timezone.get_default_timezone()
        today = timezone.localdate()
        for offset in range(days):
            day = today + dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for plan in day_plan(day):
                service = service_by_slug[plan.service]
                location = locations[plan.location]
                starts_at = dt.datetime.combine(day, plan.start, tzinfo=tz)
                if starts_at <= now:
                    continue  # seeded late in the day: this morning has passed
                if Session.objects.filter(
                    service=service, location=location, starts_at=starts_at
                ).exists():
                    self.count("sessions", False)
                    continue
                services.publish_session(
                    service=service,
                    location=location,
                    room=location.rooms.get(name=plan.room),
                    kind=plan.kind,
                    starts_at=starts_at,
                    ends_at=dt.datetime.combine(day, plan.end, tzinfo=tz),
                    capacity=plan.capacity,
                    languages=[
                        LanguageOffer(languages[code], support=support, places=places)
                        for code, support, places in plan.offers
                    ],
                    hosts=[users[plan.host]] if plan.host else [],
                    actor=users["olga"],
                    now=now,
                )
                self.count("sessions", True)

    def seed_visitors(self, languages: dict[str, Language], actor: User) -> dict[str, Visitor]:
        visitors = {}
        for name, phone, language, second in VISITORS:
            visitor = Visitor.objects.filter(name=name, phone=phone).first()
            self.count("visitors", visitor is None)
            if visitor is None:
                visitor = services.register_visitor(
                    name=name,
                    phone=phone,
                    language=languages[language],
                    second_language=languages[second] if second else None,
                    actor=actor,
                )
            visitors[name] = visitor
        return visitors

    def seed_bookings(
        self,
        visitors: dict[str, Visitor],
        locations: dict[str, Location],
        service_by_slug: dict[str, Service],
        users: dict[str, User],
    ) -> None:
        for name, slug, location, channel, booked_by in BOOKINGS:
            key = f"seed-demo:{name}"
            if Booking.objects.filter(idempotency_key=key).exists():
                self.count("bookings", False)
                continue
            visitor = visitors[name]
            options = services.find_options(
                service=service_by_slug[slug],
                language=visitor.language,
                location=locations[location],
                channel=channel,
                limit=1,
            )
            if not options:
                continue
            try:
                services.book(
                    slot=options[0].slot,
                    visitor=visitor,
                    channel=channel,
                    booked_by=users[booked_by] if booked_by else None,
                    idempotency_key=key,
                )
            except errors.BookingError:
                continue  # e.g. the sister is already booked at that time: leave it out
            self.count("bookings", True)

    def seed_waitlist(
        self, visitors: dict[str, Visitor], service_by_slug: dict[str, Service], days: int
    ) -> None:
        today = timezone.localdate()
        for name, slug in WAITING:
            try:
                services.join_waitlist(
                    visitor=visitors[name],
                    service=service_by_slug[slug],
                    channel=Channel.SMS,
                    earliest=today,
                    latest=today + dt.timedelta(days=days - 1),
                )
            except errors.AlreadyWaiting:
                self.count("waiting", False)
            else:
                self.count("waiting", True)

    # --- telling -----------------------------------------------------------------------------

    def count(self, what: str, created: bool) -> None:
        self.made.setdefault(what, 0)
        self.made.setdefault(f"{what} new", 0)
        self.made[what] += 1
        self.made[f"{what} new"] += int(created)

    def report(self, token: Token) -> None:
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        made = self.made
        summary = "\n".join(
            "  " + ", ".join(f"{made.get(w, 0)} {w} ({made.get(f'{w} new', 0)})" for w in line)
            for line in (
                ("languages", "locations", "services", "staff users"),
                ("sessions", "visitors", "bookings", "waiting"),
            )
        )
        usernames = ", ".join(username for username, *_ in STAFF)
        self.stdout.write(
            f"Demo data ready (made by this run in brackets):\n{summary}\n"
            f"  Staff: {usernames}; password {PASSWORD!r}\n"
            f"  API token ({INTEGRATION_USER}, counter staff): {token.key}\n"
            f"  Admin:    {base}/admin/\n"
            f"  API:      {base}/api/v1/\n"
            f"  API docs: {base}/api/docs/\n"
        )
