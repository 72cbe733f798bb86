"""What is booked: where, which service, when, by whom.

Every change to a booking goes through `scheduler.services`; these models only say what is stored
and which invariants the database itself guards.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from interpreters.models import Language


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    PHONE = "phone", "phone"
    COUNTER = "counter", "counter"
    API = "api", "API"


class Location(models.Model):
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=200)
    directions = models.CharField(
        max_length=200, blank=True, help_text="Short, plain: 'Entrance B, first floor'."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A consultation room or a counter desk at a location."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.location}, {self.name}"


class Service(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Length of one appointment slot."
    )
    bookable_by_sms = models.BooleanField(default=True)
    bookable_by_phone = models.BooleanField(default=True)
    bookable_by_counter = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="service_duration_at_least_5_min"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def bookable_by(self, channel: str) -> bool:
        # The API is how other systems and staff tools book; it follows the counter's rule.
        return {
            Channel.SMS: self.bookable_by_sms,
            Channel.PHONE: self.bookable_by_phone,
            Channel.COUNTER: self.bookable_by_counter,
            Channel.API: self.bookable_by_counter,
        }[channel]


class Session(models.Model):
    """What staff publish: a walk-in hour, or a block of appointment slots."""

    class Kind(models.TextChoices):
        WALK_IN = "walk_in", "walk-in hour"
        APPOINTMENTS = "appointments", "appointments"

    class Status(models.TextChoices):
        PUBLISHED = "published", "published"
        UNPUBLISHED = "unpublished", "unpublished"
        CANCELLED = "cancelled", "cancelled"

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="sessions")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="sessions")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="hosted_sessions",
        help_text="Staff who host it: the case manager, or the desks' staff of a walk-in hour.",
    )
    languages = models.ManyToManyField(Language, through="SessionLanguage", blank=True)
    notes = models.CharField(max_length=200, blank=True, help_text="For staff only.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["service", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        return f"{self.service} at {self.location}, {start:%Y-%m-%d %H:%M}"


class SessionLanguage(models.Model):
    """A language a session offers, and who brings it."""

    class Support(models.TextChoices):
        INTERPRETER = "interpreter", "interpreter"
        PEER_EXPERT = "peer_expert", "peer expert"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="offered")
    language = models.ForeignKey(Language, on_delete=models.PROTECT)
    support = models.CharField(
        max_length=16, choices=Support.choices, default=Support.INTERPRETER
    )
    places = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Walk-in hours only: most places for this language (empty: no limit).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "language"], name="session_language_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language.code} ({self.get_support_display()})"


class Slot(models.Model):
    """A bookable time. A walk-in hour is one slot with many places."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(default=1)
    # Places taken by bookings that were not cancelled and by waiting-list holds; changed only
    # by the services, under the slot's row lock, and the check constraint refuses overbooking.
    taken = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at"])]
        constraints = [
            models.UniqueConstraint(fields=["session", "starts_at"], name="slot_start_unique"),
            models.CheckConstraint(
                condition=Q(taken__gte=0) & Q(taken__lte=F("capacity")),
                name="slot_taken_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session.service} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def places_left(self) -> int:
        return self.capacity - self.taken


class Visitor(models.Model):
    """A newcomer. Several visitors may share one phone (a household); a visitor booked at the
    counter may have none."""

    phone = PhoneNumberField(blank=True, db_index=True)
    name = models.CharField(max_length=120, blank=True, help_text="Optional.")
    language = models.ForeignKey(
        Language, on_delete=models.PROTECT, related_name="+", help_text="Preferred language."
    )
    second_language = models.ForeignKey(
        Language, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sms_consent = models.BooleanField(
        default=True, help_text="Agreed to get confirmations and reminders by SMS."
    )
    sms_opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or f"visitor {self.pk}"

    @property
    def can_receive_sms(self) -> bool:
        return bool(self.phone) and self.sms_consent and self.sms_opted_out_at is None


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CHECKED_IN = "checked_in", _("checked in")
        SERVED = "served", _("served")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no show")

    class InterpreterStatus(models.TextChoices):
        CONFIRMED = "confirmed", "confirmed"
        REQUESTED = "requested", "requested"
        NOT_NEEDED = "not_needed", "not needed"
        UNAVAILABLE = "unavailable", "unavailable"

    ACTIVE = (Status.BOOKED, Status.CHECKED_IN)

    reference = models.CharField(
        max_length=12, help_text="Digits only; the last is a Damm check digit."
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="bookings")
    # Copied from the slot so that overlap can be guarded by one exclusion constraint.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    language = models.ForeignKey(Language, on_delete=models.PROTECT, related_name="+")
    interpreter_needed = models.BooleanField()
    interpreter_status = models.CharField(max_length=16, choices=InterpreterStatus.choices)
    topic = models.CharField(
        max_length=200, blank=True, help_text="What it is about, in a few words. Staff only."
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Staff member who booked; empty when the visitor booked.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["visitor", "starts_at"])]
        constraints = [
            # References are reused over the years; among active bookings they are unique.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="booking_reference_unique_while_active",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Event(models.Model):
    """What happened to a booking or a waiting-list entry, written in the same transaction as the
    change itself: the transactional outbox that the notifications relay reads."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "booked"
        RESCHEDULED = "rescheduled", "rescheduled"
        CANCELLED = "cancelled", "cancelled"
        CHECKED_IN = "checked_in", "checked in"
        SERVED = "served", "served"
        NO_SHOW = "no_show", "no show"
        WAITLIST_OFFER = "waitlist_offer", "waiting-list offer"
        WAITLIST_EXPIRED = "waitlist_expired", "waiting-list offer expired"
        INTERPRETER_CHANGED = "interpreter_changed", "interpreter status changed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    waitlist_entry = models.ForeignKey(
        "WaitlistEntry", on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Relay bookkeeping: claimed by one worker at a time, relayed once.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(relayed_at__isnull=True), name="event_unrelayed_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=False) | Q(waitlist_entry__isnull=False),
                name="event_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class WaitlistEntry(models.Model):
    """A visitor waiting for a place in a service, in a language, within a date range."""

    class Status(models.TextChoices):
        WAITING = "waiting", "waiting"
        OFFERED = "offered", "offered"
        ACCEPTED = "accepted", "accepted"
        EXPIRED = "expired", "expired"
        LEFT = "left", "left"

    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="waitlist")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    language = models.ForeignKey(Language, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    earliest = models.DateField()
    latest = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    offered_slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waiting-list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "service"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_entry_per_service",
            ),
            models.CheckConstraint(
                condition=Q(latest__gte=F("earliest")), name="waitlist_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} waits for {self.service} ({self.status})"


class AuditEntry(models.Model):
    """Which staff member did what, and when. Kept apart from the outbox: it also records reads
    of personal data and changes that send no message."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}"
