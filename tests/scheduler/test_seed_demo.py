"""`manage.py seed_demo`: a demo municipality that the door itself could have made."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from interpreters.models import Language
from scheduler import roles
from scheduler.models import (
    AuditEntry,
    Booking,
    Event,
    Location,
    Room,
    Service,
    Session,
    SessionLanguage,
    Slot,
    Visitor,
    WaitlistEntry,
)
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

COUNTED = [
    Language,
    Location,
    Room,
    Service,
    Session,
    SessionLanguage,
    Slot,
    User,
    Token,
    Visitor,
    Booking,
    Event,
    AuditEntry,
    WaitlistEntry,
]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)  # the tests run with DEBUG off
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seeding_twice_changes_nothing():
    seed()
    first = counts()
    taken = sorted(Slot.objects.values_list("pk", "taken"))
    seed()
    assert counts() == first
    assert sorted(Slot.objects.values_list("pk", "taken")) == taken


def test_it_makes_every_language_with_its_script_direction():
    seed()
    languages = {lang.code: lang for lang in Language.objects.all()}
    assert set(languages) == {
        "nl", "en", "ar", "tr", "ti", "prs", "fa", "ps", "so", "ckb", "kmr", "uk",
    }
    rtl = {code for code, lang in languages.items() if lang.direction == "rtl"}
    assert rtl == {"ar", "prs", "fa", "ps", "ckb"}
    assert languages["ti"].endonym == "ትግርኛ"
    assert languages["ckb"].endonym == "کوردی"
    assert {c for c, lang in languages.items() if lang.has_sms_catalogue} == {"nl", "en"}
    assert not any(lang.has_voice for lang in languages.values())


def test_it_keeps_a_language_that_is_already_there():
    Language.objects.create(code="ti", name="Tigrinya", endonym="ትግርኛ", has_sms_catalogue=True)
    seed()
    assert Language.objects.get(code="ti").has_sms_catalogue


def test_sessions_cover_two_weeks_of_weekdays_in_amsterdam_time():
    seed()
    local_starts = [timezone.localtime(s.starts_at) for s in Session.objects.all()]
    days = {start.date() for start in local_starts}
    today = NOW.date()
    weekdays = {
        today + dt.timedelta(days=n)
        for n in range(14)
        if (today + dt.timedelta(days=n)).weekday() < 5
    }
    assert days == weekdays
    assert {start.time() for start in local_starts} <= {dt.time(9), dt.time(13)}
    assert all(s.status == Session.Status.PUBLISHED for s in Session.objects.all())


def test_appointment_blocks_are_cut_into_the_services_duration():
    seed()
    intake = Session.objects.filter(service__slug="intake").first()
    assert intake.kind == Session.Kind.APPOINTMENTS
    slots = list(intake.slots.all())
    assert len(slots) == 4  # 13:00-16:00 in 45 minutes
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=45) for s in slots)
    walk_in = Session.objects.filter(kind=Session.Kind.WALK_IN).first()
    assert walk_in.slots.get().capacity > 1


def test_sessions_spread_the_languages():
    seed()
    offered = set(SessionLanguage.objects.values_list("language__code", flat=True))
    assert offered >= {"ar", "ti", "prs", "fa", "ps", "uk", "so", "tr", "ckb", "kmr"}
    # Arabic and Tigrinya peer experts are at every walk-in hour.
    for session in Session.objects.filter(kind=Session.Kind.WALK_IN):
        support = dict(session.offered.values_list("language__code", "support"))
        assert support.get("ar") == support.get("ti") == "peer_expert"
    # The others come some days, not every day.
    days_with_dari = {
        timezone.localdate(o.session.starts_at)
        for o in SessionLanguage.objects.filter(language__code="prs").select_related("session")
    }
    assert 0 < len(days_with_dari) < 10


def test_staff_users_have_their_roles_and_the_demo_password():
    seed()
    assert User.objects.get(username="admin").is_superuser
    for username, role in [
        ("sam", roles.COUNTER_STAFF),
        ("carla", roles.COORDINATOR),
        ("olga", roles.SERVICE_OWNER),
    ]:
        user = User.objects.get(username=username)
        assert user.is_staff
        assert roles.roles_of(user) == {role}
    assert User.objects.get(username="olga").check_password("spreekuur-demo")


def test_the_integration_user_gets_a_token_and_the_summary_shows_it():
    output = seed()
    integration = User.objects.get(username="integration")
    assert roles.roles_of(integration) == {roles.COUNTER_STAFF}
    assert not integration.has_usable_password()
    token = Token.objects.get(user=integration)
    assert token.key in output
    assert "/admin/" in output
    assert "spreekuur-demo" in output
    assert len(output.splitlines()) < 12  # quiet: a short summary


def test_demo_bookings_went_through_the_door():
    seed()
    bookings = list(Booking.objects.select_related("slot", "visitor"))
    assert len(bookings) >= 4
    for booking in bookings:
        assert booking.is_active
        assert booking.events.filter(kind=Event.Kind.BOOKED).exists()
    for slot in Slot.objects.filter(bookings__isnull=False).distinct():
        assert slot.taken == slot.bookings.filter(status__in=Booking.ACTIVE).count()
    # Yonas and his sister share a phone and are both booked.
    assert {b.visitor.name for b in bookings} >= {"Yonas Tesfay", "Saba Tesfay"}
    assert all(str(v.phone).startswith("+3161234") for v in Visitor.objects.all())


def test_seeding_later_in_the_day_skips_what_has_started(frozen_time):
    frozen_time.move_to(NOW.replace(hour=10))
    seed()
    today = [
        s for s in Session.objects.all() if timezone.localdate(s.starts_at) == NOW.date()
    ]
    assert today
    assert all(timezone.localtime(s.starts_at).hour >= 13 for s in today)


def test_it_refuses_to_make_published_passwords_on_a_server_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()
    assert not Session.objects.exists()


def test_it_runs_in_development_without_force(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.get(username="admin").check_password("spreekuur-demo")
