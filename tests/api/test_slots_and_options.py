"""Slots are the bookable times; options are the best of them for one visitor."""

from .conftest import assert_error, book


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_slots_carry_their_session_and_places_left(as_carla, walk_in, yonas):
    book(walk_in.slots.get(), yonas)

    [slot] = as_carla.get("/api/v1/slots/?kind=walk_in").json()["results"]

    assert (slot["capacity"], slot["places_left"]) == (10, 9)
    assert slot["session"]["service"] == "walk-in"
    assert slot["session"]["languages"] == [
        {"language": "ti", "support": "peer_expert", "places": 3}
    ]
    assert as_carla.get(f"/api/v1/slots/{slot['id']}/").json() == slot


def test_slots_are_filtered_like_sessions(as_sam, appointments, walk_in):
    appointment_slots = list(appointments.slots.values_list("pk", flat=True))
    assert ids(as_sam.get("/api/v1/slots/?service=intake")) == appointment_slots
    assert ids(as_sam.get("/api/v1/slots/?language=ti")) == [walk_in.slots.get().pk]
    assert ids(as_sam.get("/api/v1/slots/?date_from=2026-03-04")) == []


def test_has_room_leaves_out_full_slots(as_sam, appointments, amina):
    first, *others = appointments.slots.all()
    book(first, amina)

    assert ids(as_sam.get("/api/v1/slots/?service=intake&has_room=true")) == [
        slot.pk for slot in others
    ]


def test_options_put_times_with_an_interpreter_first(as_sam, appointments, walk_in):
    response = as_sam.get("/api/v1/options/?service=intake&language=ar")

    assert response.status_code == 200, response.content
    options = response.json()
    assert [o["slot"]["id"] for o in options] == list(
        appointments.slots.values_list("pk", flat=True)
    )
    first = options[0]
    assert first["support"] == "interpreter"
    assert first["interpreter_status"] == "confirmed"
    assert first["places_left"] == 1
    assert first["session"]["location"]["name"] == "Stadhuis"
    assert first["session"]["kind"] == "appointments"


def test_options_say_when_an_interpreter_must_still_be_requested(as_sam, appointments):
    options = as_sam.get("/api/v1/options/?service=intake&language=ti&limit=1").json()
    assert len(options) == 1
    assert options[0]["support"] is None
    assert options[0]["interpreter_status"] == "requested"

    options = as_sam.get(
        "/api/v1/options/?service=intake&language=ti&interpreter_needed=false"
    ).json()
    assert {o["interpreter_status"] for o in options} == {"not_needed"}


def test_options_need_a_known_service_and_language(as_sam, appointments):
    body = assert_error(as_sam.get("/api/v1/options/?language=ar"), 400, "invalid")
    assert "service" in body["errors"]
    body = assert_error(as_sam.get("/api/v1/options/?service=nope&language=ar"), 400, "invalid")
    assert "service" in body["errors"]
    body = assert_error(as_sam.get("/api/v1/options/?service=intake&language=xx"), 400, "invalid")
    assert "language" in body["errors"]
