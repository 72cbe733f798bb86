"""Sam books, finds, moves, cancels and checks in bookings through the API, the same door as
every other channel."""

import pytest

from scheduler.models import AuditEntry, Booking, Event, Slot

from ..conftest import at
from .conftest import assert_error, book, snapshot


def post_booking(client, slot, visitor, **extra):
    return client.post(
        "/api/v1/bookings/", {"slot": slot.pk, "visitor": visitor.pk, **extra}, format="json"
    )


def test_sam_books_amina_an_appointment_with_an_interpreter(as_sam, appointments, amina, sam):
    slot = appointments.slots.first()

    response = post_booking(as_sam, slot, amina, topic="Inburgering")

    assert response.status_code == 201, response.content
    body = response.json()
    booking = Booking.objects.get()
    assert body["reference"] == booking.reference
    assert body["status"] == "booked"
    assert body["slot"] == slot.pk
    assert body["service"] == "intake"
    assert body["language"] == "ar"
    assert body["interpreter_status"] == "confirmed"
    assert body["channel"] == "api"
    assert body["topic"] == "Inburgering"
    assert booking.booked_by == sam
    assert Event.objects.filter(kind="booked", booking=booking, actor=sam).exists()


def test_booking_then_cancelling_gives_the_place_back(as_sam, appointments, amina):
    slot = appointments.slots.first()
    reference = post_booking(as_sam, slot, amina).json()["reference"]
    assert Slot.objects.get(pk=slot.pk).places_left == 0

    response = as_sam.post(f"/api/v1/bookings/{reference}/cancel/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert Slot.objects.get(pk=slot.pk).places_left == 1
    # A cancelled booking is no longer found by its reference: references are reused.
    assert_error(as_sam.get(f"/api/v1/bookings/{reference}/"), 404, "not_found")


def test_a_booking_is_found_by_its_reference_and_the_look_is_recorded(as_sam, appointments, amina):
    booking = book(appointments.slots.first(), amina)
    spaced = f"{booking.reference[:3]} {booking.reference[3:]}"

    response = as_sam.get(f"/api/v1/bookings/{spaced}/")

    assert response.status_code == 200, response.content
    assert response.json()["reference"] == booking.reference
    assert AuditEntry.objects.filter(
        action="view", object_type="booking", object_id=str(booking.pk), actor_username="sam"
    ).exists()


def typos(reference: str) -> list[str]:
    """Mistakes the Damm check digit always catches: one wrong digit, two neighbours swapped."""
    wrong_digit = reference[:2] + str((int(reference[2]) + 1) % 10) + reference[3:]
    swaps = [
        reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]
        for i in range(len(reference) - 1)
        if reference[i] != reference[i + 1]
    ]
    return [wrong_digit, *swaps]


def test_a_mistyped_reference_is_refused_never_matching_someone_else(
    as_sam, appointments, amina, yonas
):
    booking = book(appointments.slots.first(), amina)
    book(appointments.slots.last(), yonas)
    before = snapshot()

    for wrong in [*typos(booking.reference), "12345", "abcdef"]:
        assert_error(as_sam.get(f"/api/v1/bookings/{wrong}/"), 404, "invalid_reference")
        assert_error(as_sam.post(f"/api/v1/bookings/{wrong}/cancel/"), 404, "invalid_reference")
    assert snapshot() == before


def test_bookings_are_listed_by_day_status_and_visitor(as_sam, appointments, walk_in, amina, yonas):
    first = book(appointments.slots.first(), amina)
    second = book(walk_in.slots.get(), yonas)
    cancelled = book(appointments.slots.last(), yonas)
    cancelled.status = "cancelled"
    cancelled.save()

    def references(query: str) -> list[str]:
        response = as_sam.get(f"/api/v1/bookings/{query}")
        assert response.status_code == 200, response.content
        return [b["reference"] for b in response.json()["results"]]

    assert references("?date=2026-03-03") == [
        first.reference,
        cancelled.reference,
        second.reference,
    ]
    assert references("?date=2026-03-04") == []
    assert references("?status=booked") == [first.reference, second.reference]
    assert references(f"?visitor={yonas.pk}&status=booked") == [second.reference]
    assert_error(as_sam.get("/api/v1/bookings/?status=lost"), 400, "invalid")


def test_a_booking_moves_to_another_slot_and_keeps_its_reference(as_sam, appointments, amina):
    first, second = appointments.slots.all()[:2]
    booking = book(first, amina)

    response = as_sam.post(
        f"/api/v1/bookings/{booking.reference}/reschedule/", {"slot": second.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["reference"] == booking.reference
    assert response.json()["slot"] == second.pk
    assert [s.places_left for s in Slot.objects.filter(pk__in=[first.pk, second.pk])] == [1, 0]


def test_moving_to_a_full_slot_changes_nothing(as_sam, appointments, amina, yonas):
    first, second = appointments.slots.all()[:2]
    booking = book(first, amina)
    book(second, yonas)
    before = snapshot()

    response = as_sam.post(
        f"/api/v1/bookings/{booking.reference}/reschedule/", {"slot": second.pk}, format="json"
    )

    assert_error(response, 409, "slot_full")
    assert snapshot() == before


def test_the_visitor_is_checked_in_then_served(client_for, sam, appointments, amina, frozen_time):
    booking = book(appointments.slots.first(), amina)
    frozen_time.move_to(at(1, 8, 45))
    as_sam = client_for(sam)  # signed in after the clock moved, so the session is fresh

    checked_in = as_sam.post(f"/api/v1/bookings/{booking.reference}/check-in/")
    served = as_sam.post(f"/api/v1/bookings/{booking.reference}/served/")

    assert checked_in.status_code == 200, checked_in.content
    assert checked_in.json()["status"] == "checked_in"
    assert served.status_code == 200, served.content
    assert served.json()["status"] == "served"


def test_a_visitor_who_does_not_come_is_marked_absent(
    client_for, sam, appointments, amina, frozen_time
):
    booking = book(appointments.slots.first(), amina)
    frozen_time.move_to(at(1, 9, 10))
    response = client_for(sam).post(f"/api/v1/bookings/{booking.reference}/no-show/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "no_show"


def test_checking_in_a_day_early_is_refused(as_sam, appointments, amina):
    booking = book(appointments.slots.first(), amina)
    before = snapshot()
    assert_error(as_sam.post(f"/api/v1/bookings/{booking.reference}/check-in/"), 409, "too_early")
    assert snapshot() == before


def test_serving_a_visitor_who_has_not_checked_in_is_an_invalid_transition(
    as_sam, appointments, amina
):
    booking = book(appointments.slots.first(), amina)
    before = snapshot()
    response = as_sam.post(f"/api/v1/bookings/{booking.reference}/served/")
    assert_error(response, 409, "invalid_transition")
    assert snapshot() == before


def test_checking_in_twice_is_an_invalid_transition(
    client_for, sam, appointments, amina, frozen_time
):
    booking = book(appointments.slots.first(), amina)
    frozen_time.move_to(at(1, 8, 45))
    as_sam = client_for(sam)
    as_sam.post(f"/api/v1/bookings/{booking.reference}/check-in/")
    before = snapshot()

    response = as_sam.post(f"/api/v1/bookings/{booking.reference}/check-in/")

    assert_error(response, 409, "invalid_transition")
    assert snapshot() == before


def test_checking_in_a_cancelled_booking_finds_no_active_booking(as_sam, appointments, amina):
    booking = book(appointments.slots.first(), amina)
    as_sam.post(f"/api/v1/bookings/{booking.reference}/cancel/")
    before = snapshot()

    response = as_sam.post(f"/api/v1/bookings/{booking.reference}/check-in/")

    assert_error(response, 404, "not_found")
    assert snapshot() == before
    assert Booking.objects.get().status == "cancelled"


def test_a_full_slot_is_refused_with_slot_full(as_sam, appointments, amina, yonas):
    slot = appointments.slots.first()
    book(slot, amina)
    before = snapshot()

    assert_error(post_booking(as_sam, slot, yonas), 409, "slot_full")
    assert snapshot() == before


def test_a_visitor_cannot_hold_two_bookings_at_once(as_sam, appointments, amina):
    slot = appointments.slots.first()
    book(slot, amina)
    before = snapshot()
    assert_error(post_booking(as_sam, slot, amina), 409, "already_booked")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "slot"),
        ({"slot": "first", "visitor": 1}, "slot"),
        ({"slot": 10**20, "visitor": 1}, "slot"),
        ({"slot": -1, "visitor": 1}, "slot"),
        ({"visitor": 10**6}, "visitor"),
        ({"language": "xx"}, "language"),
        ({"channel": "sms"}, "channel"),
        ({"topic": "x" * 201}, "topic"),
        ({"interpreter_needed": "perhaps"}, "interpreter_needed"),
    ],
)
def test_a_bad_booking_body_is_refused_and_nothing_is_booked(
    as_sam, appointments, amina, body, field
):
    full = {"slot": appointments.slots.first().pk, "visitor": amina.pk} | body
    if body == {}:
        full = {}
    before = snapshot()

    response = as_sam.post("/api/v1/bookings/", full, format="json")

    errors = assert_error(response, 400, "invalid")["errors"]
    assert field in errors
    assert snapshot() == before


def test_an_unknown_slot_id_is_a_400_not_a_500(as_sam, amina, appointments):
    unknown = Slot.objects.order_by("-pk").first().pk + 1000
    before = snapshot()
    body = assert_error(
        as_sam.post("/api/v1/bookings/", {"slot": unknown, "visitor": amina.pk}, format="json"),
        400,
        "invalid",
    )
    assert "slot" in body["errors"]
    assert snapshot() == before


def test_malformed_json_is_a_parse_error(as_sam, appointments):
    response = as_sam.post("/api/v1/bookings/", data='{"slot": 1,', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_a_form_the_api_cannot_read_is_refused(as_sam, appointments):
    response = as_sam.post("/api/v1/bookings/", data="slot=1", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_counter_staff_book_a_walk_in_hour_that_has_begun_at_the_counter(
    client_for, sam, walk_in, yonas, frozen_time
):
    frozen_time.move_to(at(1, 13, 30))
    as_sam = client_for(sam)
    slot = walk_in.slots.get()

    assert_error(post_booking(as_sam, slot, yonas), 409, "too_late")
    response = post_booking(as_sam, slot, yonas, channel="counter")

    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "counter"


def test_a_walk_in_hour_keeps_places_for_its_language(as_sam, walk_in, languages):
    from scheduler import services

    slot = walk_in.slots.get()
    for name in ["A", "B", "C"]:
        visitor = services.register_visitor(language=languages["ti"], name=name)
        assert post_booking(as_sam, slot, visitor).status_code == 201
    fourth = services.register_visitor(language=languages["ti"], name="D")
    before = snapshot()

    assert_error(post_booking(as_sam, slot, fourth), 409, "language_full")
    assert snapshot() == before


def test_listing_one_visitors_bookings_is_recorded_as_a_look_at_each(
    as_sam, appointments, amina, yonas
):
    first, second, third = appointments.slots.all()[:3]
    aminas = [book(first, amina), book(third, amina)]
    book(second, yonas)

    response = as_sam.get(f"/api/v1/bookings/?visitor={amina.pk}")

    assert response.status_code == 200, response.content
    assert [b["reference"] for b in response.json()["results"]] == [b.reference for b in aminas]
    looked_at = AuditEntry.objects.filter(
        action="search", object_type="booking", actor_username="sam"
    )
    assert sorted(looked_at.values_list("object_id", flat=True)) == sorted(
        str(b.pk) for b in aminas
    )


def test_the_days_booking_list_is_not_recorded_per_booking(as_sam, appointments, amina):
    book(appointments.slots.first(), amina)
    assert as_sam.get("/api/v1/bookings/?date=2026-03-03").json()["count"] == 1
    assert not AuditEntry.objects.filter(object_type="booking").exists()


def test_sam_confirms_the_interpreter_yonas_was_waiting_for(as_sam, appointments, yonas, sam):
    booking = book(appointments.slots.first(), yonas)
    url = f"/api/v1/bookings/{booking.reference}/interpreter/"

    response = as_sam.post(url, {"status": "confirmed"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["interpreter_status"] == "confirmed"
    assert Event.objects.filter(booking=booking, kind="interpreter_changed").count() == 1
    before = snapshot()
    assert_error(as_sam.post(url, {"status": "not_needed"}, format="json"), 400, "invalid")
    assert snapshot() == before
