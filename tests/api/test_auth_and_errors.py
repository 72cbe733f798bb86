"""Signing in, and the one shape every refusal takes."""

import pytest
import redis
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduler.api_errors import exception_handler
from scheduler.models import Booking

from .conftest import assert_error, snapshot


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/sessions/"),
        ("get", "/api/v1/languages/"),
        ("get", "/api/v1/visitors/1/"),
        ("post", "/api/v1/bookings/"),
        ("post", "/api/v1/sessions/1/cancel/"),
    ],
)
def test_an_anonymous_caller_gets_401_as_json(db, method, url):
    before = snapshot()
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert snapshot() == before


def test_a_wrong_token_gets_401_as_json(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/v1/sessions/"), 401, "authentication_failed")


def test_a_user_without_a_role_gets_403_as_json(client_for, nobody):
    assert_error(client_for(nobody).get("/api/v1/languages/"), 403, "permission_denied")


def test_an_integration_with_a_token_books_a_place(sam, appointments, amina):
    token = Token.objects.create(user=sam)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    slots = client.get("/api/v1/slots/?service=intake&has_room=true").json()["results"]
    response = client.post(
        "/api/v1/bookings/",
        {"slot": slots[0]["id"], "visitor": amina.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="crm-42",
    )

    assert response.status_code == 201, response.content
    assert Booking.objects.get().booked_by == sam


def test_an_unknown_path_under_the_api_is_a_json_404(as_sam):
    assert_error(as_sam.get("/api/v1/appointments/"), 404, "not_found")


def test_a_method_the_endpoint_does_not_have_is_a_json_405(as_sam, appointments):
    assert_error(as_sam.delete(f"/api/v1/sessions/{appointments.pk}/"), 405, "method_not_allowed")


def test_a_throttled_caller_is_told_when_to_come_back():
    response = exception_handler(exceptions.Throttled(wait=30), {})
    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response["Retry-After"] == "30"


def test_a_validation_error_names_its_fields_and_its_first_message():
    error = exceptions.ValidationError({"slot": ["Unknown slot."], "topic": ["Too long."]})
    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data == {
        "code": "invalid",
        "detail": "slot: Unknown slot.",
        "errors": {"slot": ["Unknown slot."], "topic": ["Too long."]},
    }


def test_a_refusal_is_worded_in_the_callers_language_dutch_by_default(as_sam, appointments,
                                                                      amina, yonas):
    slot = appointments.slots.order_by("starts_at").first()
    as_sam.post("/api/v1/bookings/", {"slot": slot.pk, "visitor": amina.pk}, format="json")

    dutch = as_sam.post("/api/v1/bookings/", {"slot": slot.pk, "visitor": yonas.pk},
                        format="json")
    english = as_sam.post("/api/v1/bookings/", {"slot": slot.pk, "visitor": yonas.pk},
                          format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert assert_error(dutch, 409, "slot_full")["detail"] == "Er is op dit moment geen plek meer."
    assert assert_error(english, 409, "slot_full")["detail"] == \
        "There is no place left at this time."


@pytest.mark.redis
def test_the_throttle_counts_in_redis_so_every_web_process_counts_the_same_requests(
    as_sam, sam, settings
):
    cache = settings.CACHES["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"

    as_sam.get("/api/v1/languages/")

    # Another process (here: a plain Redis client) sees Sam's count.
    other_process = redis.Redis.from_url(cache["LOCATION"])
    assert other_process.keys(f"{cache['KEY_PREFIX']}:*:throttle_user_{sam.pk}")


def test_a_page_far_past_the_end_is_empty_not_an_error(as_sam, languages):
    response = as_sam.get("/api/v1/languages/?offset=100000000000000000000&limit=5")

    assert response.status_code == 200
    assert response.json()["results"] == []
