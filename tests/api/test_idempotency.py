"""An integration that retries a booking after a timeout must not book twice: the
Idempotency-Key header makes the retry answer with the first booking."""

from django.contrib.auth.models import Group, User

from scheduler import roles
from scheduler.models import Booking

from .conftest import assert_error, snapshot


def post(client, body, key):
    return client.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_key_returns_the_same_booking_and_books_once(
    as_sam, appointments, amina
):
    body = {"slot": appointments.slots.first().pk, "visitor": amina.pk, "topic": "intake"}

    first = post(as_sam, body, "order-7f3a")
    retry = post(as_sam, body, "order-7f3a")

    assert first.status_code == 201, first.content
    assert retry.status_code == 201, retry.content
    assert retry.json() == first.json()
    assert Booking.objects.count() == 1
    assert Booking.objects.get().idempotency_key.endswith(":order-7f3a")


def test_the_same_key_with_another_body_is_refused_with_422(as_sam, appointments, amina):
    first_slot, second_slot = appointments.slots.all()[:2]
    post(as_sam, {"slot": first_slot.pk, "visitor": amina.pk}, "order-7f3a")
    before = snapshot()

    response = post(as_sam, {"slot": second_slot.pk, "visitor": amina.pk}, "order-7f3a")

    assert_error(response, 422, "idempotency_key_reused")
    assert snapshot() == before


def test_keys_belong_to_one_user_so_two_integrations_never_meet(
    client_for, sam, appointments, amina, yonas
):
    other = User.objects.create_user("booking-robot")
    other.groups.add(Group.objects.get(name=roles.COUNTER_STAFF))
    first_slot, second_slot = appointments.slots.all()[:2]

    mine = post(client_for(sam), {"slot": first_slot.pk, "visitor": amina.pk}, "1")
    theirs = post(client_for(other), {"slot": second_slot.pk, "visitor": yonas.pk}, "1")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["reference"] != theirs.json()["reference"]


def test_a_refused_booking_leaves_the_key_free_for_a_corrected_retry(
    as_sam, appointments, amina, yonas
):
    slot, free = appointments.slots.all()[:2]
    post(as_sam, {"slot": slot.pk, "visitor": yonas.pk}, "yonas-1")

    assert_error(post(as_sam, {"slot": slot.pk, "visitor": amina.pk}, "amina-1"), 409, "slot_full")
    response = post(as_sam, {"slot": free.pk, "visitor": amina.pk}, "amina-1")

    assert response.status_code == 201, response.content


def test_an_overlong_key_is_refused(as_sam, appointments, amina):
    before = snapshot()
    body = {"slot": appointments.slots.first().pk, "visitor": amina.pk}
    response = post(as_sam, body, "k" * 101)
    assert "Idempotency-Key" in assert_error(response, 400, "invalid")["errors"]
    assert snapshot() == before
