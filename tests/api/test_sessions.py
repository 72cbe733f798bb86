"""Olga publishes and cancels sessions; every staff role reads them, filtered."""

import pytest

from scheduler.models import AuditEntry, Booking, Session

from ..conftest import at
from .conftest import assert_error, book, snapshot


@pytest.fixture
def both(appointments, walk_in):
    return appointments, walk_in


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_a_session_shows_its_languages_and_slots_with_places_left(as_carla, appointments, amina):
    book(appointments.slots.first(), amina)

    body = as_carla.get(f"/api/v1/sessions/{appointments.pk}/").json()

    assert body["service"] == "intake"
    assert body["kind"] == "appointments"
    assert body["status"] == "published"
    assert body["starts_at"] == "2026-03-03T09:00:00+01:00"
    assert body["languages"] == [{"language": "ar", "support": "interpreter", "places": None}]
    assert [slot["places_left"] for slot in body["slots"]] == [0, 1, 1, 1]
    assert body["slots"][0].keys() == {"id", "starts_at", "ends_at", "capacity", "places_left"}


def test_sessions_are_filtered_by_service_kind_language_and_location(as_sam, both, town_hall):
    appointments, walk_in = both
    assert ids(as_sam.get("/api/v1/sessions/?service=intake")) == [appointments.pk]
    assert ids(as_sam.get("/api/v1/sessions/?kind=walk_in")) == [walk_in.pk]
    assert ids(as_sam.get("/api/v1/sessions/?language=ti")) == [walk_in.pk]
    assert ids(as_sam.get(f"/api/v1/sessions/?location={town_hall.pk}")) == [
        appointments.pk,
        walk_in.pk,
    ]
    assert ids(as_sam.get(f"/api/v1/sessions/?location={town_hall.pk + 1}")) == []


def test_session_dates_are_amsterdam_days(as_sam, intake, town_hall, olga):
    from scheduler import services

    # 00:30 on Wednesday in Amsterdam is still Tuesday in UTC.
    late = services.publish_session(
        service=intake,
        location=town_hall,
        kind="walk_in",
        starts_at=at(2, 0, 30),
        ends_at=at(2, 1, 30),
        actor=olga,
    )
    wednesday = at(2, 0).date().isoformat()
    tuesday = at(1, 0).date().isoformat()
    assert ids(as_sam.get(f"/api/v1/sessions/?date_from={wednesday}&date_to={wednesday}")) == [
        late.pk
    ]
    assert ids(as_sam.get(f"/api/v1/sessions/?date_to={tuesday}")) == []


def test_has_room_leaves_out_a_session_whose_places_are_all_taken(as_sam, both, amina):
    appointments, walk_in = both
    for slot in appointments.slots.all():
        book(slot, amina)

    assert ids(as_sam.get("/api/v1/sessions/?has_room=true")) == [walk_in.pk]
    assert ids(as_sam.get("/api/v1/sessions/?has_room=false")) == [appointments.pk, walk_in.pk]


def test_a_backwards_date_range_is_refused(as_sam, both):
    response = as_sam.get("/api/v1/sessions/?date_from=2026-03-05&date_to=2026-03-04")
    body = assert_error(response, 400, "invalid")
    assert "date_to" in body["errors"]


def test_a_malformed_filter_is_refused(as_sam, both):
    body = assert_error(as_sam.get("/api/v1/sessions/?date_from=tomorrow"), 400, "invalid")
    assert "date_from" in body["errors"]


def test_olga_publishes_an_appointment_block(as_olga, intake, town_hall, languages):
    room = town_hall.rooms.get()
    response = as_olga.post(
        "/api/v1/sessions/",
        {
            "service": "intake",
            "location": town_hall.pk,
            "room": room.pk,
            "kind": "appointments",
            "starts_at": "2026-03-04T09:00:00+01:00",
            "ends_at": "2026-03-04T10:30:00+01:00",
            "capacity": 1,
            "languages": [{"language": "ar", "support": "interpreter", "places": None}],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert [slot["starts_at"][11:16] for slot in body["slots"]] == ["09:00", "09:30", "10:00"]
    assert body["languages"] == [{"language": "ar", "support": "interpreter", "places": None}]
    assert AuditEntry.objects.filter(action="publish_session", actor_username="olga").exists()


def test_times_without_an_offset_are_read_as_amsterdam_time(
    as_olga, walk_in_service, town_hall, languages
):
    response = as_olga.post(
        "/api/v1/sessions/",
        {
            "service": "walk-in",
            "location": town_hall.pk,
            "kind": "walk_in",
            "starts_at": "2026-03-04T13:00:00",
            "ends_at": "2026-03-04T15:00:00",
            "capacity": 12,
            "languages": [{"language": "ti", "support": "peer_expert", "places": 3}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["starts_at"] == "2026-03-04T13:00:00+01:00"
    assert body["languages"] == [{"language": "ti", "support": "peer_expert", "places": 3}]
    assert [(s["capacity"], s["places_left"]) for s in body["slots"]] == [(12, 12)]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (
            {"starts_at": "2026-03-01T09:00:00+01:00", "ends_at": "2026-03-01T10:00:00+01:00"},
            400,
            "invalid_session",
        ),
        ({"ends_at": "2026-03-04T08:00:00+01:00"}, 400, "invalid_session"),
        ({"kind": "lecture"}, 400, "invalid"),
        ({"service": "no-such-service"}, 400, "invalid"),
        ({"ends_at": "2026-03-06T09:00:00+01:00"}, 400, "invalid_session"),
        ({"capacity": 0}, 400, "invalid"),
        ({"languages": [{"language": "ar"}, {"language": "ar"}]}, 400, "invalid"),
        ({"languages": [{"language": "klingon"}]}, 400, "invalid"),
    ],
)
def test_a_session_that_does_not_fit_is_refused_and_nothing_is_published(
    as_olga, intake, town_hall, languages, change, status, code
):
    before = snapshot()
    body = {
        "service": "intake",
        "location": town_hall.pk,
        "kind": "appointments",
        "starts_at": "2026-03-04T09:00:00+01:00",
        "ends_at": "2026-03-04T10:00:00+01:00",
    } | change
    assert_error(as_olga.post("/api/v1/sessions/", body, format="json"), status, code)
    assert snapshot() == before


def test_a_room_cannot_be_published_twice_for_the_same_hour(as_olga, intake, town_hall):
    room = town_hall.rooms.get()
    body = {
        "service": "intake",
        "location": town_hall.pk,
        "room": room.pk,
        "kind": "appointments",
        "starts_at": "2026-03-04T09:00:00+01:00",
        "ends_at": "2026-03-04T10:00:00+01:00",
    }
    assert as_olga.post("/api/v1/sessions/", body, format="json").status_code == 201
    before = snapshot()
    assert_error(as_olga.post("/api/v1/sessions/", body, format="json"), 409, "room_taken")
    assert snapshot() == before


def test_olga_cancels_a_session_and_every_booking_in_it(as_olga, appointments, amina, yonas):
    first, second = appointments.slots.all()[:2]
    bookings = [book(first, amina), book(second, yonas)]

    response = as_olga.post(
        f"/api/v1/sessions/{appointments.pk}/cancel/", {"reason": "Flu"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session"]["status"] == "cancelled"
    assert sorted(body["cancelled_bookings"]) == sorted(b.reference for b in bookings)
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}


def test_cancelling_a_cancelled_session_again_is_refused(as_olga, appointments):
    as_olga.post(f"/api/v1/sessions/{appointments.pk}/cancel/")
    before = snapshot()
    assert_error(
        as_olga.post(f"/api/v1/sessions/{appointments.pk}/cancel/"), 409, "session_cancelled"
    )
    assert snapshot() == before
    assert Session.objects.get().status == "cancelled"


def test_olga_unpublishes_a_session_and_publishes_it_again(as_olga, client_for, sam, walk_in):
    url = f"/api/v1/sessions/{walk_in.pk}/"

    assert as_olga.post(url + "unpublish/").json()["status"] == "unpublished"
    assert client_for(sam).post(url + "publish/").status_code == 403
    assert as_olga.post(url + "publish/").json()["status"] == "published"
