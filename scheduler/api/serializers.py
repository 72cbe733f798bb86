"""What the API reads and writes. Input serializers only parse and validate: every change is made
by `scheduler.services`, never by `serializer.save()`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from interpreters.models import Language

from .. import services
from ..models import (
    Booking,
    Channel,
    Location,
    Room,
    Service,
    Session,
    SessionLanguage,
    Slot,
    Visitor,
    WaitlistEntry,
)


class CodeField(serializers.SlugRelatedField):
    """Finds a row by its code or slug. Text that no code can be (a NUL byte, which PostgreSQL
    refuses to even compare, or a novel's length) is refused before it reaches the database."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or len(data) > 64:
            self.fail("invalid")
        return super().to_internal_value(data)


def language_field(**kwargs: Any) -> CodeField:
    kwargs.setdefault("help_text", "BCP 47 code.")
    return CodeField(slug_field="code", queryset=Language.objects.all(), **kwargs)


# Dates the API accepts. Far wider than any booking horizon, and far enough from the ends of
# Python's calendar (years 1 and 9999) that a day added or a time-zone shift cannot overflow.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
OUT_OF_RANGE = f"Must be between {EARLIEST_DATE} and {LATEST_DATE}."


class BoundedDateField(serializers.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE."""

    def to_internal_value(self, value: Any) -> dt.date:
        day = super().to_internal_value(value)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise serializers.ValidationError(OUT_OF_RANGE, code="invalid")
        return day


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time between EARLIEST_DATE and LATEST_DATE, checked before it is moved into
    Europe/Amsterdam, which near the ends of the calendar would overflow."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
            raise serializers.ValidationError(OUT_OF_RANGE, code="invalid")
        return super().enforce_timezone(value)


# --- errors ----------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: slot_full, not_found ...")
    detail = serializers.CharField(help_text="Readable, for people.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.JSONField(), help_text="Messages by field name."
    )


# --- catalogue -------------------------------------------------------------------------------


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name", "endonym", "direction", "has_sms_catalogue", "has_voice"]


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = [
            "slug",
            "name",
            "description",
            "duration_minutes",
            "bookable_by_sms",
            "bookable_by_phone",
            "bookable_by_counter",
            "is_active",
        ]


class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name"]


class LocationSerializer(serializers.ModelSerializer):
    rooms = RoomSerializer(many=True, read_only=True)

    class Meta:
        model = Location
        fields = ["id", "name", "address", "directions", "is_active", "rooms"]


# --- sessions and slots ----------------------------------------------------------------------


class OfferedLanguageSerializer(serializers.ModelSerializer):
    language = serializers.CharField(source="language.code", help_text="BCP 47 code.")

    class Meta:
        model = SessionLanguage
        fields = ["language", "support", "places"]


class SlotInSessionSerializer(serializers.ModelSerializer):
    places_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at", "capacity", "places_left"]


# Several models have a `status` and a `channel`; the schema names each set of choices by
# SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (config/settings.py).
def session_status() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Session.Status.choices, read_only=True)


def channel() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Channel.choices, read_only=True)


class SessionSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status = session_status()
    languages = OfferedLanguageSerializer(source="offered", many=True, read_only=True)
    slots = SlotInSessionSerializer(many=True, read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "service",
            "location",
            "room",
            "kind",
            "status",
            "starts_at",
            "ends_at",
            "languages",
            "slots",
            "notes",
        ]


class LanguageOfferSerializer(serializers.Serializer):
    language = language_field()
    support = serializers.ChoiceField(
        choices=SessionLanguage.Support.choices, default=SessionLanguage.Support.INTERPRETER
    )
    places = serializers.IntegerField(
        min_value=1,
        max_value=services.MAX_PLACES,
        allow_null=True,
        default=None,
        help_text="Walk-in hours only: most places for this language (null: no limit).",
    )


class PublishSessionSerializer(serializers.Serializer):
    service = CodeField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True)
    )
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.filter(is_active=True))
    room = serializers.PrimaryKeyRelatedField(
        queryset=Room.objects.all(), allow_null=True, default=None
    )
    kind = serializers.ChoiceField(choices=Session.Kind.choices)
    starts_at = BoundedDateTimeField(help_text="Without an offset: Europe/Amsterdam.")
    ends_at = BoundedDateTimeField(help_text="Without an offset: Europe/Amsterdam.")
    capacity = serializers.IntegerField(
        min_value=1,
        max_value=services.MAX_PLACES,
        default=1,
        help_text="Places in the walk-in hour, or visitors per appointment slot.",
    )
    languages = LanguageOfferSerializer(many=True, default=list)
    notes = serializers.CharField(max_length=200, allow_blank=True, default="")

    def validate_languages(self, offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        codes = [offer["language"].code for offer in offers]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError("Each language may be offered once.")
        return offers


class CancelSessionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


class CancelledSessionSerializer(serializers.Serializer):
    session = SessionSerializer()
    cancelled_bookings = serializers.ListField(
        child=serializers.CharField(), help_text="References of the bookings that were cancelled."
    )


class SessionInSlotSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status = session_status()
    languages = OfferedLanguageSerializer(source="offered", many=True, read_only=True)

    class Meta:
        model = Session
        fields = ["id", "service", "location", "room", "kind", "status", "languages"]


class SlotSerializer(serializers.ModelSerializer):
    places_left = serializers.IntegerField(read_only=True)
    session = SessionInSlotSerializer(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at", "capacity", "places_left", "session"]


class DaysSerializer(serializers.Serializer):
    """`date_from` and `date_to`, both optional, local days, not backwards."""

    date_from = BoundedDateField(required=False, help_text="First day (Europe/Amsterdam).")
    date_to = BoundedDateField(required=False, help_text="Last day (Europe/Amsterdam).")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return data


class SessionFilterSerializer(DaysSerializer):
    """Query parameters of the session and slot lists."""

    service = serializers.SlugField(required=False, help_text="Service slug.")
    location = serializers.IntegerField(required=False, min_value=1, help_text="Location id.")
    language = serializers.CharField(
        required=False, max_length=16, help_text="Only sessions that offer this language."
    )
    kind = serializers.ChoiceField(choices=Session.Kind.choices, required=False)
    has_room = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only what is published, still ahead and has a free place.",
    )


# --- options ---------------------------------------------------------------------------------


class OptionQuerySerializer(DaysSerializer):
    service = CodeField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True), help_text="Slug."
    )
    language = language_field()
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, help_text="Location id."
    )
    interpreter_needed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Leave out to decide by the language (no interpreter for Dutch).",
    )
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class LocationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "address", "directions"]


class OptionSessionSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    location = LocationSummarySerializer(read_only=True)
    room = serializers.CharField(source="room.name", default=None, allow_null=True)

    class Meta:
        model = Session
        fields = ["id", "service", "kind", "location", "room"]


class OptionSlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at"]


class OptionSerializer(serializers.Serializer):
    slot = OptionSlotSerializer()
    session = OptionSessionSerializer(source="slot.session")
    places_left = serializers.IntegerField()
    support = serializers.ChoiceField(
        choices=SessionLanguage.Support.choices,
        allow_null=True,
        help_text="Who speaks the language there; null when nobody is planned yet.",
    )
    interpreter_status = serializers.ChoiceField(choices=Booking.InterpreterStatus.choices)


# --- visitors --------------------------------------------------------------------------------


class VisitorSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(
        required=False,
        allow_blank=True,
        default="",
        help_text="E.164 (+31612345678) or Dutch (0612345678); stored and shown as E.164.",
    )
    language = language_field()
    second_language = language_field(required=False, allow_null=True)

    class Meta:
        model = Visitor
        fields = [
            "id",
            "phone",
            "name",
            "language",
            "second_language",
            "sms_consent",
            "sms_opted_out_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["sms_opted_out_at", "created_at", "updated_at"]

    def to_representation(self, instance: Visitor) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["phone"] = instance.phone.as_e164 if instance.phone else ""
        return data


class VisitorSearchSerializer(serializers.Serializer):
    phone = PhoneNumberField(help_text="E.164 or Dutch national format.")


# --- bookings --------------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices, read_only=True)
    channel = channel()
    language = serializers.SlugRelatedField(slug_field="code", read_only=True)
    service = serializers.CharField(source="slot.session.service.slug", read_only=True)
    location = serializers.IntegerField(source="slot.session.location_id", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "slot",
            "starts_at",
            "ends_at",
            "service",
            "location",
            "visitor",
            "language",
            "interpreter_needed",
            "interpreter_status",
            "topic",
            "channel",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# The channels an API caller may book on behalf of (the schema's BookingChannelEnum).
BOOKING_CHANNELS = [
    (Channel.API.value, Channel.API.label),
    (Channel.COUNTER.value, Channel.COUNTER.label),
]


class BookSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=Slot.objects.all())
    visitor = serializers.PrimaryKeyRelatedField(queryset=Visitor.objects.all())
    language = language_field(required=False, help_text="Leave out for the visitor's own.")
    interpreter_needed = serializers.BooleanField(required=False, allow_null=True, default=None)
    topic = serializers.CharField(max_length=200, allow_blank=True, default="")
    channel = serializers.ChoiceField(
        choices=BOOKING_CHANNELS,
        default=Channel.API,
        help_text=(
            "`counter` when staff book for a visitor at the desk: it lets them book a walk-in "
            "hour that has already begun. Counter staff only."
        ),
    )


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=Slot.objects.all())


class InterpreterStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            Booking.InterpreterStatus.CONFIRMED,
            Booking.InterpreterStatus.UNAVAILABLE,
            Booking.InterpreterStatus.REQUESTED,
        ],
        help_text="Whether an interpreter will be there. The visitor gets an SMS.",
    )


class BookingFilterSerializer(serializers.Serializer):
    date = BoundedDateField(required=False, help_text="The day (Europe/Amsterdam).")
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    visitor = serializers.IntegerField(required=False, min_value=1, help_text="Visitor id.")


# --- waiting list ----------------------------------------------------------------------------


class WaitlistEntrySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices, read_only=True)
    channel = channel()
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    language = serializers.SlugRelatedField(slug_field="code", read_only=True)
    booking = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, help_text="Reference, once accepted."
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "visitor",
            "service",
            "language",
            "location",
            "earliest",
            "latest",
            "channel",
            "status",
            "offered_slot",
            "offer_expires_at",
            "booking",
            "created_at",
        ]
        read_only_fields = fields


class JoinWaitlistSerializer(serializers.Serializer):
    visitor = serializers.PrimaryKeyRelatedField(queryset=Visitor.objects.all())
    service = CodeField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True)
    )
    language = language_field(required=False, help_text="Leave out for the visitor's own.")
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, default=None
    )
    earliest = BoundedDateField()
    latest = BoundedDateField()


class WaitlistFilterSerializer(serializers.Serializer):
    visitor = serializers.IntegerField(required=False, min_value=1, help_text="Visitor id.")
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices, required=False)
