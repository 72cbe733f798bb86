"""Thin viewsets: parse the request, call the door (`scheduler.services`), render the answer.

No view writes a model itself. Every refusal is JSON `{"code", "detail"}` (see
`scheduler.api_errors`); who may call what is in `scheduler.permissions`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from interpreters.models import Language

from .. import services
from ..api_errors import InvalidReference
from ..models import Booking, Channel, Location, Service, Session, Slot, Visitor, WaitlistEntry
from ..permissions import ANY_STAFF, PERSONAL_DATA, PUBLISHING, HasStaffRole
from ..references import normalise_reference
from . import serializers as s
from .filters import filter_sessions, filter_slots, read_query, within_days

# --- shared ----------------------------------------------------------------------------------

# The schema's words for each refusal; every one has the same JSON shape.
ERROR = s.ErrorSerializer
REFUSALS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(s.ValidationErrorSerializer, description="Invalid request (`invalid`)."),
    401: OpenApiResponse(ERROR, description="Not signed in (`not_authenticated`)."),
    403: OpenApiResponse(ERROR, description="Role does not allow this (`permission_denied`)."),
    404: OpenApiResponse(ERROR, description="Not found (`not_found`)."),
    409: OpenApiResponse(
        ERROR, description="Refused by the booking rules (`slot_full`, `already_booked` ...)."
    ),
    422: OpenApiResponse(ERROR, description="Idempotency-Key reused (`idempotency_key_reused`)."),
}


def refusals(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: REFUSALS[code] for code in (401, 403, *codes)}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string up to 100 characters, chosen by the client for this booking. A retry "
        "with the same key and the same body answers with the first booking (201, same body) "
        "and books nothing new; the same key with another body is refused with 422 "
        "`idempotency_key_reused`. Keys are scoped to the signed-in user."
    ),
)
IDEMPOTENCY_KEY_MAX = 100


class StaffAPI:
    """What every endpoint shares. Token first, so that an anonymous caller gets 401 with a
    `WWW-Authenticate: Token` header rather than the 403 that session auth alone would give."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes: list[type[BasePermission]] = [HasStaffRole]
    throttle_classes = [UserRateThrottle]
    required_roles: dict[str, frozenset[str]] = {"default": ANY_STAFF}


def parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- catalogue -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Languages", responses={200: s.LanguageSerializer, **refusals()}),
    retrieve=extend_schema(
        summary="One language", responses={200: s.LanguageSerializer, **refusals(404)}
    ),
)
class LanguageViewSet(StaffAPI, viewsets.ReadOnlyModelViewSet):
    queryset = Language.objects.all()
    serializer_class = s.LanguageSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9-]+"


@extend_schema_view(
    list=extend_schema(summary="Services", responses={200: s.ServiceSerializer, **refusals()}),
    retrieve=extend_schema(
        summary="One service", responses={200: s.ServiceSerializer, **refusals(404)}
    ),
)
class ServiceViewSet(StaffAPI, viewsets.ReadOnlyModelViewSet):
    queryset = Service.objects.all()
    serializer_class = s.ServiceSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"


@extend_schema_view(
    list=extend_schema(
        summary="Locations with their rooms", responses={200: s.LocationSerializer, **refusals()}
    ),
    retrieve=extend_schema(
        summary="One location", responses={200: s.LocationSerializer, **refusals(404)}
    ),
)
class LocationViewSet(StaffAPI, viewsets.ReadOnlyModelViewSet):
    queryset = Location.objects.prefetch_related("rooms")
    serializer_class = s.LocationSerializer
    lookup_value_regex = r"\d+"


# --- sessions and slots ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Published walk-in hours and appointment blocks",
        parameters=[s.SessionFilterSerializer],
        responses={200: s.SessionSerializer, **refusals(400)},
    ),
    retrieve=extend_schema(
        summary="One session", responses={200: s.SessionSerializer, **refusals(404)}
    ),
)
class SessionViewSet(
    StaffAPI, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.SessionSerializer
    lookup_value_regex = r"\d+"
    required_roles = {
        "default": ANY_STAFF,
        "create": PUBLISHING,
        "cancel": PUBLISHING,
        "publish": PUBLISHING,
        "unpublish": PUBLISHING,
    }

    def get_queryset(self) -> QuerySet[Session]:
        return Session.objects.select_related("service").prefetch_related(
            "offered__language", "slots"
        )

    def filter_queryset(self, queryset: QuerySet[Session]) -> QuerySet[Session]:
        if self.action != "list":
            return queryset
        return filter_sessions(queryset, read_query(self.request, s.SessionFilterSerializer))

    @extend_schema(
        summary="Publish a session (service owner)",
        request=s.PublishSessionSerializer,
        responses={201: s.SessionSerializer, **refusals(400, 409)},
    )
    def create(self, request: Request) -> Response:
        data = parse(s.PublishSessionSerializer, request)
        session = services.publish_session(
            service=data["service"],
            location=data["location"],
            room=data["room"],
            kind=data["kind"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            languages=[services.LanguageOffer(**offer) for offer in data["languages"]],
            notes=data["notes"],
            actor=request.user,
        )
        return Response(
            s.SessionSerializer(self.get_queryset().get(pk=session.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Cancel a session and every booking in it (service owner)",
        request=s.CancelSessionSerializer,
        responses={200: s.CancelledSessionSerializer, **refusals(400, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        data = parse(s.CancelSessionSerializer, request)
        cancelled = services.cancel_session(
            session, actor=request.user, reason=data["reason"], channel=Channel.API
        )
        body = {
            "session": self.get_queryset().get(pk=session.pk),
            "cancelled_bookings": [booking.reference for booking in cancelled],
        }
        return Response(s.CancelledSessionSerializer(body).data)

    @extend_schema(
        summary="Take a session off the booking channels; bookings made stand (service owner)",
        request=None,
        responses={200: s.SessionSerializer, **refusals(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str) -> Response:
        return self._publish(request, published=False)

    @extend_schema(
        summary="Put an unpublished session back on the booking channels (service owner)",
        request=None,
        responses={200: s.SessionSerializer, **refusals(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._publish(request, published=True)

    def _publish(self, request: Request, *, published: bool) -> Response:
        session = services.set_session_published(
            self.get_object(), published=published, actor=request.user
        )
        return Response(s.SessionSerializer(self.get_queryset().get(pk=session.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="Slots: bookable times",
        parameters=[s.SessionFilterSerializer],
        responses={200: s.SlotSerializer, **refusals(400)},
    ),
    retrieve=extend_schema(summary="One slot", responses={200: s.SlotSerializer, **refusals(404)}),
)
class SlotViewSet(StaffAPI, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SlotSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Slot]:
        return Slot.objects.select_related("session__service").prefetch_related(
            "session__offered__language"
        )

    def filter_queryset(self, queryset: QuerySet[Slot]) -> QuerySet[Slot]:
        if self.action != "list":
            return queryset
        return filter_slots(queryset, read_query(self.request, s.SessionFilterSerializer))


class OptionsView(StaffAPI, APIView):
    @extend_schema(
        summary="The best times for a visitor: someone speaks their language first, then earliest",
        parameters=[s.OptionQuerySerializer],
        responses={200: s.OptionSerializer(many=True), **refusals(400)},
    )
    def get(self, request: Request) -> Response:
        query = read_query(request, s.OptionQuerySerializer)
        options = services.find_options(
            service=query["service"],
            language=query["language"],
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
            location=query.get("location"),
            interpreter_needed=query["interpreter_needed"],
            limit=query["limit"],
            channel=Channel.API,
        )
        return Response(s.OptionSerializer(options, many=True).data)


# --- visitors --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Find visitors by phone (several may share one)",
        parameters=[s.VisitorSearchSerializer],
        responses={200: s.VisitorSerializer, **refusals(400)},
    ),
    retrieve=extend_schema(
        summary="One visitor (the look is recorded in the audit trail)",
        responses={200: s.VisitorSerializer, **refusals(404)},
    ),
    create=extend_schema(
        summary="Register a visitor",
        responses={201: s.VisitorSerializer, **refusals(400)},
    ),
    partial_update=extend_schema(
        summary="Change a visitor's phone, name, languages or SMS consent",
        responses={200: s.VisitorSerializer, **refusals(400, 404)},
    ),
)
class VisitorViewSet(
    StaffAPI,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.VisitorSerializer
    queryset = Visitor.objects.select_related("language", "second_language")
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_roles = {"default": PERSONAL_DATA}

    def filter_queryset(self, queryset: QuerySet[Visitor]) -> QuerySet[Visitor]:
        if self.action != "list":
            return queryset
        # A phone number is required: the API does not hand out the list of all visitors.
        phone = read_query(self.request, s.VisitorSearchSerializer)["phone"]
        return queryset.filter(phone=phone.as_e164)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        for visitor in page:
            services.record_access(request.user, visitor, action="search")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        visitor = self.get_object()
        services.record_access(request.user, visitor)
        return Response(self.get_serializer(visitor).data)

    def perform_create(self, serializer: s.VisitorSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.register_visitor(
            language=data["language"],
            phone=_e164(data.get("phone")),
            name=data.get("name", ""),
            second_language=data.get("second_language"),
            sms_consent=data.get("sms_consent", True),
            actor=self.request.user,
        )

    def perform_update(self, serializer: s.VisitorSerializer) -> None:
        changes = dict(serializer.validated_data)
        if "phone" in changes:
            changes["phone"] = _e164(changes["phone"])
        serializer.instance = services.update_visitor(
            serializer.instance, actor=self.request.user, **changes
        )


def _e164(phone: Any) -> str:
    return phone.as_e164 if phone else ""


# --- bookings --------------------------------------------------------------------------------

BY_REFERENCE = {
    404: OpenApiResponse(
        ERROR,
        description="No active booking has it (`not_found`), or a typo (`invalid_reference`).",
    )
}
BOOKING_ACTION = {200: s.BookingSerializer, **refusals(404, 409), **BY_REFERENCE}


@extend_schema_view(
    list=extend_schema(
        summary="Bookings",
        parameters=[s.BookingFilterSerializer],
        responses={200: s.BookingSerializer, **refusals(400)},
    ),
    retrieve=extend_schema(
        summary="An active booking by its reference (the look is recorded in the audit trail)",
        responses={200: s.BookingSerializer, **refusals(404), **BY_REFERENCE},
    ),
)
class BookingViewSet(
    StaffAPI, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Bookings are addressed by their reference, the digits a visitor reads out; only an active
    booking (booked or checked in) is found that way, because references are reused over the
    years."""

    serializer_class = s.BookingSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[^/]+"
    # Counter staff only, for every action: so `channel=counter` (booking a walk-in hour that
    # has begun) is only ever used by someone who works the counter.
    required_roles = {"default": PERSONAL_DATA}

    def get_queryset(self) -> QuerySet[Booking]:
        return Booking.objects.select_related("slot__session__service", "language").order_by(
            "starts_at", "pk"
        )

    def filter_queryset(self, queryset: QuerySet[Booking]) -> QuerySet[Booking]:
        query = read_query(self.request, s.BookingFilterSerializer)
        queryset = within_days(queryset, "starts_at", query.get("date"), query.get("date"))
        if query.get("status"):
            queryset = queryset.filter(status=query["status"])
        if query.get("visitor"):
            queryset = queryset.filter(visitor_id=query["visitor"])
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        # One visitor's bookings is a look at that visitor: each booking shown is recorded.
        if request.query_params.get("visitor"):
            for booking in page:
                services.record_access(request.user, booking, action="search")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self) -> Booking:
        # The check digit refuses a typo before it can match somebody else's booking.
        reference = normalise_reference(self.kwargs["reference"])
        if reference is None:
            raise InvalidReference()
        booking = services.active_booking_by_reference(reference)
        self.check_object_permissions(self.request, booking)
        return booking

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        booking = self.get_object()
        services.record_access(request.user, booking)
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="Book a place",
        request=s.BookSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.BookingSerializer, **refusals(400, 404, 409, 422)},
    )
    def create(self, request: Request) -> Response:
        data = parse(s.BookSerializer, request)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise serializers.ValidationError(
                {"Idempotency-Key": f"At most {IDEMPOTENCY_KEY_MAX} characters."}
            )
        booking = services.book(
            slot=data["slot"],
            visitor=data["visitor"],
            channel=data["channel"],
            language=data.get("language"),
            interpreter_needed=data["interpreter_needed"],
            topic=data["topic"],
            booked_by=request.user,
            # Scoped per user: two integrations that happen to pick the same key never meet.
            idempotency_key=f"api:{request.user.pk}:{key}" if key else None,
        )
        # A replay answers 201 with the same body too: the client need not tell the two apart.
        return Response(self._render(booking), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Cancel a booking", request=None, responses=BOOKING_ACTION)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, reference: str) -> Response:
        booking = services.cancel(self.get_object(), channel=Channel.API, actor=request.user)
        return Response(self._render(booking))

    @extend_schema(
        summary="Move a booking to another slot of the same service, keeping its reference",
        request=s.RescheduleSerializer,
        responses={**BOOKING_ACTION, 400: REFUSALS[400]},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, reference: str) -> Response:
        booking = self.get_object()
        data = parse(s.RescheduleSerializer, request)
        booking = services.reschedule(
            booking, new_slot=data["slot"], channel=Channel.API, actor=request.user
        )
        return Response(self._render(booking))

    @extend_schema(summary="Check the visitor in", request=None, responses=BOOKING_ACTION)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, reference: str) -> Response:
        booking = services.check_in(self.get_object(), channel=Channel.API, actor=request.user)
        return Response(self._render(booking))

    @extend_schema(summary="Mark the visitor served", request=None, responses=BOOKING_ACTION)
    @action(detail=True, methods=["post"])
    def served(self, request: Request, reference: str) -> Response:
        booking = services.mark_served(self.get_object(), channel=Channel.API, actor=request.user)
        return Response(self._render(booking))

    @extend_schema(summary="Mark the visitor absent", request=None, responses=BOOKING_ACTION)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, reference: str) -> Response:
        booking = services.mark_no_show(self.get_object(), channel=Channel.API, actor=request.user)
        return Response(self._render(booking))

    @extend_schema(
        summary="Say whether an interpreter will be there (the visitor is told by SMS)",
        request=s.InterpreterStatusSerializer,
        responses={**BOOKING_ACTION, 400: REFUSALS[400]},
    )
    @action(detail=True, methods=["post"])
    def interpreter(self, request: Request, reference: str) -> Response:
        booking = self.get_object()
        data = parse(s.InterpreterStatusSerializer, request)
        booking = services.set_interpreter_status(
            booking, status=data["status"], channel=Channel.API, actor=request.user
        )
        return Response(self._render(booking))

    def _render(self, booking: Booking) -> dict[str, Any]:
        # Read back what the door wrote, so every answer shows the same stored state.
        return s.BookingSerializer(self.get_queryset().get(pk=booking.pk)).data


# --- waiting list ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Waiting-list entries",
        parameters=[s.WaitlistFilterSerializer],
        responses={200: s.WaitlistEntrySerializer, **refusals(400)},
    ),
    retrieve=extend_schema(
        summary="One waiting-list entry (the look is recorded in the audit trail)",
        responses={200: s.WaitlistEntrySerializer, **refusals(404)},
    ),
    destroy=extend_schema(
        summary="Leave the waiting list",
        responses={204: None, **refusals(404, 409)},
    ),
)
class WaitlistViewSet(
    StaffAPI, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.WaitlistEntrySerializer
    lookup_value_regex = r"\d+"
    required_roles = {"default": PERSONAL_DATA}

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        return WaitlistEntry.objects.select_related("service", "language", "booking")

    def filter_queryset(self, queryset: QuerySet[WaitlistEntry]) -> QuerySet[WaitlistEntry]:
        if self.action != "list":
            return queryset
        query = read_query(self.request, s.WaitlistFilterSerializer)
        if query.get("visitor"):
            queryset = queryset.filter(visitor_id=query["visitor"])
        if query.get("status"):
            queryset = queryset.filter(status=query["status"])
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        # One visitor's entries is a look at that visitor: each entry shown is recorded.
        if request.query_params.get("visitor"):
            for entry in page:
                services.record_access(request.user, entry, action="search")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        services.record_access(request.user, entry)
        return Response(self.get_serializer(entry).data)

    @extend_schema(
        summary="Join the waiting list",
        request=s.JoinWaitlistSerializer,
        responses={201: s.WaitlistEntrySerializer, **refusals(400, 409)},
    )
    def create(self, request: Request) -> Response:
        data = parse(s.JoinWaitlistSerializer, request)
        entry = services.join_waitlist(
            visitor=data["visitor"],
            service=data["service"],
            language=data.get("language"),
            location=data["location"],
            earliest=data["earliest"],
            latest=data["latest"],
            channel=Channel.API,
            actor=request.user,
        )
        return Response(self._render(entry), status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        self._leave(request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Leave the waiting list",
        request=None,
        responses={200: s.WaitlistEntrySerializer, **refusals(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str) -> Response:
        return Response(self._render(self._leave(request)))

    @extend_schema(
        summary="Accept the place offered: it becomes a booking",
        request=None,
        responses={201: s.BookingSerializer, **refusals(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        booking = services.accept_offer(self.get_object(), channel=Channel.API, actor=request.user)
        booking = Booking.objects.select_related("slot__session__service", "language").get(
            pk=booking.pk
        )
        return Response(s.BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    def _leave(self, request: Request) -> WaitlistEntry:
        entry = self.get_object()
        services.leave_waitlist(entry, actor=request.user)
        return entry

    def _render(self, entry: WaitlistEntry) -> dict[str, Any]:
        return s.WaitlistEntrySerializer(self.get_queryset().get(pk=entry.pk)).data
