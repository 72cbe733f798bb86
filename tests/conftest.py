"""Shared actors and places.

Amina books by SMS in Arabic. Yonas speaks Tigrinya and shares a phone with his sister Saba.
Sam works the counter. Carla coordinates interpreters. Olga owns the services and publishes
sessions. Nobody (a logged-in user without a role) may do nothing.
"""

import datetime as dt
import uuid
import zoneinfo

import pytest
import time_machine
from celery._state import _set_task_join_will_block
from django.contrib.auth.models import Group, User

import notifications.tasks
from interpreters.models import Language
from notifications.gateways import MemoryGateway
from scheduler import roles, services
from scheduler.models import Location, Room, Service, Session, Visitor
from scheduler.services import LanguageOffer

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
# A Monday morning in Almere; every test runs at this moment unless it travels.
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=AMSTERDAM)


def at(day_offset: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time `day_offset` days after NOW's date."""
    day = NOW.date() + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The named actors get real passwords; hashing them properly takes most of a test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_join_flag():
    # Eager tasks run in racing threads flip Celery's process-global "a join would block" flag
    # without a lock and can leave it set; a later test's `result.get()` would then refuse.
    yield
    _set_task_join_will_block(False)
    notifications.tasks._broker_down_until = 0.0  # a broker "down" in one test is not in the next


@pytest.fixture(autouse=True)
def own_throttle_counts(settings):
    # The API throttle counts requests per user in the cache (the shared Redis). Each test
    # counts under its own key prefix, so no earlier test or parallel run is counted against it.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    }


@pytest.fixture(autouse=True)
def sms_outbox():
    MemoryGateway.outbox.clear()
    yield MemoryGateway.outbox
    MemoryGateway.outbox.clear()


LANGUAGES = [
    ("nl", "Dutch", "Nederlands", "ltr", True),
    ("en", "English", "English", "ltr", True),
    ("ar", "Arabic", "العربية", "rtl", False),
    ("ti", "Tigrinya", "ትግርኛ", "ltr", False),
    ("uk", "Ukrainian", "Українська", "ltr", False),
]


@pytest.fixture
def languages(db) -> dict[str, Language]:
    return {
        code: Language.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "endonym": endonym,
                "direction": direction,
                "has_sms_catalogue": catalogue,
            },
        )[0]
        for code, name, endonym, direction, catalogue in LANGUAGES
    }


def _user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password="correct horse battery")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def sam(db) -> User:
    return _user("sam", roles.COUNTER_STAFF)


@pytest.fixture
def carla(db) -> User:
    return _user("carla", roles.COORDINATOR)


@pytest.fixture
def olga(db) -> User:
    return _user("olga", roles.SERVICE_OWNER)


@pytest.fixture
def nobody(db) -> User:
    return _user("nobody", None)


@pytest.fixture
def town_hall(db) -> Location:
    location = Location.objects.create(
        name="Stadhuis", address="Stadhuisplein 1, Almere", directions="Balie 3"
    )
    Room.objects.create(location=location, name="Spreekkamer 1")
    return location


@pytest.fixture
def intake(db) -> Service:
    return Service.objects.create(
        name="Civic integration intake", slug="intake", duration_minutes=30
    )


@pytest.fixture
def walk_in_service(db) -> Service:
    return Service.objects.create(name="General walk-in hour", slug="walk-in", duration_minutes=15)


@pytest.fixture
def amina(languages) -> Visitor:
    return Visitor.objects.create(
        phone="+31612345678", name="Amina", language=languages["ar"],
        second_language=languages["en"],
    )


@pytest.fixture
def yonas(languages) -> Visitor:
    return Visitor.objects.create(phone="+31687654321", name="Yonas", language=languages["ti"])


@pytest.fixture
def saba(languages) -> Visitor:
    """Yonas's sister: same phone."""
    return Visitor.objects.create(phone="+31687654321", name="Saba", language=languages["ti"])


@pytest.fixture
def appointments(intake, town_hall, languages, olga) -> Session:
    """Tomorrow 9:00-11:00, four 30-minute slots, Arabic interpreter present."""
    return services.publish_session(
        service=intake,
        location=town_hall,
        kind=Session.Kind.APPOINTMENTS,
        starts_at=at(1, 9),
        ends_at=at(1, 11),
        languages=[LanguageOffer(languages["ar"])],
        actor=olga,
    )


@pytest.fixture
def walk_in(walk_in_service, town_hall, languages, olga) -> Session:
    """Tomorrow 13:00-15:00, ten places, a Tigrinya peer expert for at most three of them."""
    return services.publish_session(
        service=walk_in_service,
        location=town_hall,
        kind=Session.Kind.WALK_IN,
        starts_at=at(1, 13),
        ends_at=at(1, 15),
        capacity=10,
        languages=[LanguageOffer(languages["ti"], support="peer_expert", places=3)],
        actor=olga,
    )
