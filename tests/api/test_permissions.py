"""Who may do what, by role. Sam works the counter and sees visitors and bookings; Carla
coordinates interpreters and reads sessions and slots but no personal data; Olga publishes and
cancels sessions. Nobody has a login but no role, and may do nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from scheduler.models import AuditEntry, Booking, Session, Visitor, WaitlistEntry

from .conftest import assert_error, book, snapshot

COUNTER, COORDINATOR, OWNER, NONE = "sam", "carla", "olga", "nobody"
EVERY_ROLE = {COUNTER, COORDINATOR, OWNER}


@dataclass
class World:
    appointments: Session
    amina: Visitor
    yonas: Visitor
    booking: Booking
    entry: WaitlistEntry


@pytest.fixture
def world(appointments, amina, yonas, languages) -> World:
    from scheduler import services

    booking = book(appointments.slots.first(), yonas)
    entry = services.join_waitlist(
        visitor=amina,
        service=appointments.service,
        channel="api",
        earliest=appointments.starts_at.date(),
        latest=appointments.starts_at.date(),
    )
    return World(appointments, amina, yonas, booking, entry)


@dataclass
class Call:
    name: str
    method: str
    url: Callable[[World], str]
    allowed: set[str]
    success: int = 200
    body: Callable[[World], dict[str, Any]] | None = None

    def __str__(self) -> str:
        return self.name


CALLS = [
    Call("read languages", "get", lambda w: "/api/v1/languages/", EVERY_ROLE),
    Call("read services", "get", lambda w: "/api/v1/services/", EVERY_ROLE),
    Call("read locations", "get", lambda w: "/api/v1/locations/", EVERY_ROLE),
    Call("read sessions", "get", lambda w: "/api/v1/sessions/", EVERY_ROLE),
    Call("read a session", "get", lambda w: f"/api/v1/sessions/{w.appointments.pk}/", EVERY_ROLE),
    Call("read slots", "get", lambda w: "/api/v1/slots/", EVERY_ROLE),
    Call(
        "read options", "get", lambda w: "/api/v1/options/?service=intake&language=ar", EVERY_ROLE
    ),
    Call(
        "publish a session",
        "post",
        lambda w: "/api/v1/sessions/",
        {OWNER},
        201,
        lambda w: {
            "service": "intake",
            "location": w.appointments.location_id,
            "kind": "walk_in",
            "starts_at": "2026-03-05T13:00:00+01:00",
            "ends_at": "2026-03-05T14:00:00+01:00",
        },
    ),
    Call(
        "cancel a session",
        "post",
        lambda w: f"/api/v1/sessions/{w.appointments.pk}/cancel/",
        {OWNER},
    ),
    Call(
        "unpublish a session",
        "post",
        lambda w: f"/api/v1/sessions/{w.appointments.pk}/unpublish/",
        {OWNER},
    ),
    Call("search visitors", "get", lambda w: "/api/v1/visitors/?phone=0612345678", {COUNTER}),
    Call("read a visitor", "get", lambda w: f"/api/v1/visitors/{w.amina.pk}/", {COUNTER}),
    Call(
        "register a visitor",
        "post",
        lambda w: "/api/v1/visitors/",
        {COUNTER},
        201,
        lambda w: {"language": "ar", "phone": "0612345670"},
    ),
    Call(
        "correct a visitor",
        "patch",
        lambda w: f"/api/v1/visitors/{w.amina.pk}/",
        {COUNTER},
        200,
        lambda w: {"name": "Amina H."},
    ),
    Call("read bookings", "get", lambda w: "/api/v1/bookings/", {COUNTER}),
    Call("read a booking", "get", lambda w: f"/api/v1/bookings/{w.booking.reference}/", {COUNTER}),
    Call(
        "book",
        "post",
        lambda w: "/api/v1/bookings/",
        {COUNTER},
        201,
        lambda w: {"slot": w.appointments.slots.last().pk, "visitor": w.amina.pk},
    ),
    Call(
        "cancel a booking",
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.reference}/cancel/",
        {COUNTER},
    ),
    Call(
        "reschedule a booking",
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.reference}/reschedule/",
        {COUNTER},
        200,
        lambda w: {"slot": w.appointments.slots.last().pk},
    ),
    Call(
        "settle the interpreter",
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.reference}/interpreter/",
        {COUNTER},
        200,
        lambda w: {"status": "unavailable"},
    ),
    Call("read the waiting list", "get", lambda w: "/api/v1/waitlist/", {COUNTER}),
    Call(
        "join the waiting list",
        "post",
        lambda w: "/api/v1/waitlist/",
        {COUNTER},
        201,
        lambda w: {
            "visitor": w.yonas.pk,
            "service": "intake",
            "earliest": "2026-03-03",
            "latest": "2026-03-04",
        },
    ),
    Call(
        "leave the waiting list",
        "delete",
        lambda w: f"/api/v1/waitlist/{w.entry.pk}/",
        {COUNTER},
        204,
    ),
]


@pytest.mark.parametrize("who", [COUNTER, COORDINATOR, OWNER, NONE])
@pytest.mark.parametrize("call", CALLS, ids=str)
def test_each_role_may_do_only_its_own_work(request, client_for, world, call, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    body = call.body(world) if call.body else None
    before = snapshot()

    response = getattr(client, call.method)(call.url(world), body, format="json")

    if who in call.allowed:
        assert response.status_code == call.success, response.content
    else:
        assert_error(response, 403, "permission_denied")
        assert snapshot() == before


def test_a_superuser_holds_every_role(client_for, world):
    admin = User.objects.create_superuser("admin", password="x" * 12)
    client = client_for(admin)
    assert client.get(f"/api/v1/bookings/{world.booking.reference}/").status_code == 200
    assert client.post(f"/api/v1/sessions/{world.appointments.pk}/cancel/").status_code == 200


def test_a_refused_look_at_personal_data_is_not_recorded_as_a_look(client_for, carla, world):
    client_for(carla).get(f"/api/v1/visitors/{world.amina.pk}/")
    assert not AuditEntry.objects.filter(action="view").exists()


def test_a_service_owner_who_also_works_the_counter_books_at_the_counter(client_for, olga, world):
    from django.contrib.auth.models import Group

    olga.groups.add(Group.objects.get(name="counter_staff"))
    body = {"slot": world.appointments.slots.last().pk, "visitor": world.amina.pk}
    response = client_for(olga).post("/api/v1/bookings/", body | {"channel": "counter"})
    assert response.status_code == 201, response.content
