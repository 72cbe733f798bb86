"""Query parameters read through a serializer, so that a bad one is a 400 with a code and the
schema lists each one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request

from ..models import Session, Slot
from ..services import local_midnight


def read_query(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def within_days(
    queryset: QuerySet, field: str, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet:
    if date_from:
        queryset = queryset.filter(**{f"{field}__gte": local_midnight(date_from)})
    if date_to:
        queryset = queryset.filter(**{f"{field}__lt": local_midnight(date_to + dt.timedelta(1))})
    return queryset


def bookable_slots(now: dt.datetime) -> QuerySet[Slot]:
    """Slots with a free place that can still be booked ahead of time."""
    return Slot.objects.filter(
        session__status=Session.Status.PUBLISHED, starts_at__gt=now, taken__lt=F("capacity")
    )


def filter_sessions(queryset: QuerySet[Session], params: dict[str, Any]) -> QuerySet[Session]:
    queryset = _common(queryset, params, prefix="")
    queryset = within_days(queryset, "starts_at", params.get("date_from"), params.get("date_to"))
    if params.get("has_room"):
        free = bookable_slots(timezone.now()).filter(session=OuterRef("pk"))
        queryset = queryset.filter(Exists(free))
    return queryset


def filter_slots(queryset: QuerySet[Slot], params: dict[str, Any]) -> QuerySet[Slot]:
    queryset = _common(queryset, params, prefix="session__")
    queryset = within_days(queryset, "starts_at", params.get("date_from"), params.get("date_to"))
    if params.get("has_room"):
        queryset = queryset.filter(pk__in=bookable_slots(timezone.now()).values("pk"))
    return queryset


def _common(queryset: QuerySet, params: dict[str, Any], prefix: str) -> QuerySet:
    lookups = {
        "service": "service__slug",
        "location": "location_id",
        "language": "offered__language__code",
        "kind": "kind",
    }
    for param, lookup in lookups.items():
        if params.get(param) is not None:
            queryset = queryset.filter(**{prefix + lookup: params[param]})
    return queryset
