"""Helpers for the API tests: a client signed in as one of the named actors, and a snapshot of
every booking-related row so that a refused request can be shown to have changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from rest_framework.test import APIClient

from scheduler import services
from scheduler.models import (
    AuditEntry,
    Booking,
    Channel,
    Event,
    Session,
    SessionLanguage,
    Slot,
    Visitor,
    WaitlistEntry,
)


@pytest.fixture
def client_for(db) -> Callable[[User | None], APIClient]:
    """`client_for(sam)` is an API client with Sam signed in (a real session cookie)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def as_sam(client_for, sam) -> APIClient:
    return client_for(sam)


@pytest.fixture
def as_olga(client_for, olga) -> APIClient:
    return client_for(olga)


@pytest.fixture
def as_carla(client_for, carla) -> APIClient:
    return client_for(carla)


def book(slot: Slot, visitor: Visitor, **kwargs: Any) -> Booking:
    """A booking made straight through the door, as set-up for a test."""
    return services.book(slot=slot, visitor=visitor, channel=Channel.API, **kwargs)


def snapshot() -> dict[str, Any]:
    """Everything a booking request could change, in a form that compares equal when nothing
    changed."""
    return {
        "bookings": sorted(Booking.objects.values_list("pk", "status", "slot_id")),
        "sessions": sorted(Session.objects.values_list("pk", "status")),
        "offered": SessionLanguage.objects.count(),
        "slots": Slot.objects.count(),
        "taken": Slot.objects.aggregate(n=Sum("taken"))["n"],
        "visitors": sorted(Visitor.objects.values_list("pk", "phone", "name", "language_id")),
        "waitlist": sorted(WaitlistEntry.objects.values_list("pk", "status")),
        "events": Event.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is a JSON refusal with this status and stable code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body
