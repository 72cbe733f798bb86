"""Dates at the ends of the calendar are a 400 with a code, never a server error: the API takes
days from 2000-01-01 to 2100-12-31, so a day added or a move into Amsterdam time cannot
overflow."""

import pytest

from .conftest import assert_error, snapshot

FAR_QUERIES = [
    ("/api/v1/sessions/?date_to=9999-12-31", "date_to"),
    ("/api/v1/sessions/?date_from=0001-01-01", "date_from"),
    ("/api/v1/slots/?date_to=9999-12-31", "date_to"),
    ("/api/v1/bookings/?date=9999-12-31", "date"),
    ("/api/v1/bookings/?date=0001-01-01", "date"),
    ("/api/v1/options/?service=intake&language=ar&date_to=9999-12-31", "date_to"),
    ("/api/v1/options/?service=intake&language=ar&date_from=1999-12-31", "date_from"),
]


@pytest.mark.parametrize(("url", "field"), FAR_QUERIES)
def test_a_filter_day_far_outside_the_calendar_is_refused(as_sam, appointments, url, field):
    body = assert_error(as_sam.get(url), 400, "invalid")
    assert field in body["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sessions/?date_from=2000-01-01&date_to=2100-12-31",
        "/api/v1/slots/?date_to=2100-12-31",
        "/api/v1/bookings/?date=2100-12-31",
        "/api/v1/options/?service=intake&language=ar&date_to=2100-12-31",
    ],
)
def test_the_first_and_last_day_the_api_takes_are_answered(as_sam, appointments, url):
    assert as_sam.get(url).status_code == 200


def test_options_refuse_a_backwards_range_like_the_session_list(as_sam, appointments):
    url = "/api/v1/options/?service=intake&language=ar&date_from=2026-03-05&date_to=2026-03-04"
    body = assert_error(as_sam.get(url), 400, "invalid")
    assert "date_to" in body["errors"]


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        ("0001-01-01T00:00:00", "0001-01-01T01:00:00"),
        ("9999-12-31T22:00:00", "9999-12-31T23:00:00"),
        ("9999-12-31T22:00:00-05:00", "9999-12-31T23:00:00-05:00"),
    ],
)
def test_publishing_at_the_ends_of_the_calendar_is_refused(
    as_olga, intake, town_hall, starts_at, ends_at
):
    before = snapshot()
    body = {
        "service": "intake",
        "location": town_hall.pk,
        "kind": "walk_in",
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    response = as_olga.post("/api/v1/sessions/", body, format="json")
    assert "starts_at" in assert_error(response, 400, "invalid")["errors"]
    assert snapshot() == before


def test_waiting_for_a_day_at_the_ends_of_the_calendar_is_refused(as_sam, intake, amina):
    before = snapshot()
    body = {
        "visitor": amina.pk,
        "service": "intake",
        "earliest": "0001-01-01",
        "latest": "9999-12-31",
    }
    response = as_sam.post("/api/v1/waitlist/", body, format="json")
    assert {"earliest", "latest"} <= set(assert_error(response, 400, "invalid")["errors"])
    assert snapshot() == before
