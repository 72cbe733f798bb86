"""What the API reads and writes. Input serializers only parse and validate: every change is made
by `scheduler.services`, never by `serializer.save()`."""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
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


def language_field(**kwargs: Any) -> serializers.SlugRelatedField:
    kwargs.setdefault("help_text", "BCP 47 code.")
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Language.objects.all(), **kwargs
    )


_named_choice_fields: dict[str, type[serializers.ChoiceField]] = {}


def enum_field(
    name: str, choices: type[TextChoices] | list[str], **kwargs: Any
) -> serializers.ChoiceField:
    """A choice field with its own named enum in the schema: several models have a `status`,
    and the schema generator cannot name those apart by itself."""
    values = list(choices.values) if isinstance(choices, type) else list(choices)
    if name not in _named_choice_fields:
        # One class per name: the schema generator knows a component by its field's class.
        @extend_schema_field({"type": "string", "enum": values}, component_name=name)
        class NamedChoiceField(serializers.ChoiceField):
            pass

        _named_choice_fields[name] = NamedChoiceField
    return _named_choice_fields[name](choices=values, **kwargs)


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


def session_status() -> serializers.ChoiceField:
    return enum_field("SessionStatusEnum", Session.Status, read_only=True)


def channel() -> serializers.ChoiceField:
    return enum_field("ChannelEnum", Channel, read_only=True)


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
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True)
    )
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.filter(is_active=True))
    room = serializers.PrimaryKeyRelatedField(
        queryset=Room.objects.all(), allow_null=True, default=None
    )
    kind = serializers.ChoiceField(choices=Session.Kind.choices)
    starts_at = serializers.DateTimeField(help_text="Without an offset: Europe/Amsterdam.")
    ends_at = serializers.DateTimeField(help_text="Without an offset: Europe/Amsterdam.")
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


class SessionFilterSerializer(serializers.Serializer):
    """Query parameters of the session and slot lists."""

    service = serializers.SlugField(required=False, help_text="Service slug.")
    location = serializers.IntegerField(required=False, min_value=1, help_text="Location id.")
    language = serializers.CharField(
        required=False, max_length=16, help_text="Only sessions that offer this language."
    )
    date_from = serializers.DateField(required=False, help_text="First day (Europe/Amsterdam).")
    date_to = serializers.DateField(required=False, help_text="Last day (Europe/Amsterdam).")
    kind = serializers.ChoiceField(choices=Session.Kind.choices, required=False)
    has_room = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only what is published, still ahead and has a free place.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return data


class SlotFilterSerializer(SessionFilterSerializer):
    only_with_room = serializers.BooleanField(
        required=False, default=False, help_text="The same as has_room."
    )


# --- options ---------------------------------------------------------------------------------


class OptionQuerySerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True), help_text="Slug."
    )
    language = language_field()
    date_from = serializers.DateField(required=False, help_text="First day (Europe/Amsterdam).")
    date_to = serializers.DateField(required=False, help_text="Last day (Europe/Amsterdam).")
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

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return data


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
    status = enum_field("BookingStatusEnum", Booking.Status, read_only=True)
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


class BookSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=Slot.objects.all())
    visitor = serializers.PrimaryKeyRelatedField(queryset=Visitor.objects.all())
    language = language_field(required=False, help_text="Leave out for the visitor's own.")
    interpreter_needed = serializers.BooleanField(required=False, allow_null=True, default=None)
    topic = serializers.CharField(max_length=200, allow_blank=True, default="")
    channel = enum_field(
        "BookingChannelEnum",
        [Channel.API, Channel.COUNTER],
        default=Channel.API,
        help_text=(
            "`counter` when staff book for a visitor at the desk: it lets them book a walk-in "
            "hour that has already begun. Counter staff only."
        ),
    )


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=Slot.objects.all())


class BookingFilterSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The day (Europe/Amsterdam).")
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    visitor = serializers.IntegerField(required=False, min_value=1, help_text="Visitor id.")


# --- waiting list ----------------------------------------------------------------------------


class WaitlistEntrySerializer(serializers.ModelSerializer):
    status = enum_field("WaitlistStatusEnum", WaitlistEntry.Status, read_only=True)
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
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True)
    )
    language = language_field(required=False, help_text="Leave out for the visitor's own.")
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, default=None
    )
    earliest = serializers.DateField()
    latest = serializers.DateField()


class WaitlistFilterSerializer(serializers.Serializer):
    visitor = serializers.IntegerField(required=False, min_value=1, help_text="Visitor id.")
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices, required=False)
