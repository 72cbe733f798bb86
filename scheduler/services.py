"""The one door: every change to a booking, from every channel, goes through these functions.

Each runs in one transaction, locks what it counts, and writes an `Event` row for the outbox in
that same transaction. Rows are always locked in one order -- visitor, then slots by id, then
bookings -- so that two doors opened at once never wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dateutil.rrule import rrulestr
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from interpreters.models import Language

from . import errors
from .models import (
    AuditEntry,
    Booking,
    Channel,
    Event,
    Location,
    Room,
    Service,
    Session,
    SessionLanguage,
    Slot,
    Visitor,
    WaitlistEntry,
)
from .references import new_reference
from .signals import events_recorded

Status = Booking.Status
logger = logging.getLogger(__name__)

# Which status may follow which. Five states and six arrows: a table says it more plainly than a
# state-machine library would, and every arrow is taken inside this module, under a lock. One
# exception: `cancel_session` also cancels checked-in bookings, because the session itself is off.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.BOOKED: frozenset({Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW}),
    Status.CHECKED_IN: frozenset({Status.SERVED, Status.NO_SHOW}),
    Status.SERVED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset(),
}

# Check-in opens this long before the start: people come early for a walk-in hour.
CHECK_IN_OPENS = dt.timedelta(hours=2)
# Bounds on what one publish may create; a typo in a date must not make thousands of slots.
MAX_SESSION_LENGTH = dt.timedelta(hours=24)
MAX_PLACES = 1000
MAX_SERIES = 53  # a year of weekly sessions
ONE_DAY = dt.timedelta(days=1)
# Dates outside these bounds are clamped: no session exists there, and the edges of Python's
# calendar overflow when turned into an aware time or moved by a day.
EARLIEST_DAY, LATEST_DAY = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


@dataclass(frozen=True)
class LanguageOffer:
    language: Language
    support: str = SessionLanguage.Support.INTERPRETER
    places: int | None = None


@dataclass(frozen=True)
class Option:
    """A bookable time for a visitor, as `find_options` ranks it."""

    slot: Slot
    places_left: int
    support: str | None  # interpreter / peer_expert when the session offers the language
    interpreter_status: str


# --- reading ---------------------------------------------------------------------------------


def find_options(
    *,
    service: Service,
    language: Language,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    location: Location | None = None,
    channel: str = Channel.API,
    interpreter_needed: bool | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
) -> list[Option]:
    """The next bookable slots and walk-in places for a service in a language, best first:
    first those where someone speaks the visitor's language, then the earliest."""
    now = now or timezone.now()
    if not service.bookable_by(channel):
        return []
    needed = _interpreter_needed(language, interpreter_needed)
    slots = (
        Slot.objects.filter(
            session__service=service,
            session__status=Session.Status.PUBLISHED,
            session__service__is_active=True,
            session__location__is_active=True,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS),
            taken__lt=F("capacity"),
        )
        .select_related("session__location", "session__service", "session__room")
        .order_by("starts_at")
    )
    if date_from:
        slots = slots.filter(starts_at__gte=local_midnight(date_from))
    if date_to:
        slots = slots.filter(starts_at__lt=local_midnight(min(date_to, LATEST_DAY) + ONE_DAY))
    if location:
        slots = slots.filter(session__location=location)

    # Times where someone speaks the language come first however far ahead they lie, so they
    # are fetched on their own; a margin covers walk-in hours whose language places are gone.
    fetch = limit + 50
    if needed:
        speaks = Q(session__offered__language=language)
        candidates = [*slots.filter(speaks)[:fetch], *slots.exclude(speaks)[:fetch]]
    else:
        candidates = list(slots[:fetch])
    offers = {
        o.session_id: o
        for o in SessionLanguage.objects.filter(
            session__in={s.session_id for s in candidates}, language=language
        )
    }
    language_taken = _language_taken({s.pk for s in candidates}, language)

    options = []
    for slot in candidates:
        offer = offers.get(slot.session_id)
        if offer and offer.places is not None and language_taken.get(slot.pk, 0) >= offer.places:
            continue
        options.append(
            Option(
                slot=slot,
                places_left=slot.places_left,
                support=offer.support if offer else None,
                interpreter_status=_interpreter_status(needed, offer),
            )
        )
    options.sort(key=lambda o: (not (o.support or not needed), o.slot.starts_at))
    return options[:limit]


def active_booking_by_reference(reference: str) -> Booking:
    try:
        return Booking.objects.select_related(
            "slot__session__service", "slot__session__location", "visitor", "language"
        ).get(reference=reference, status__in=Booking.ACTIVE)
    except Booking.DoesNotExist:
        raise errors.NotFound(_("No active booking has this reference.")) from None


# --- publishing ------------------------------------------------------------------------------


def publish_session(
    *,
    service: Service,
    location: Location,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int = 1,
    languages: Iterable[LanguageOffer] = (),
    hosts: Iterable[AbstractBaseUser] = (),
    room: Room | None = None,
    notes: str = "",
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Session:
    """Publish a walk-in hour (one slot with `capacity` places) or an appointment block (cut into
    slots of the service's duration, `capacity` visitors each)."""
    now = now or timezone.now()
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise errors.InvalidSession(_("Times must carry a time zone."))
    # Work in UTC: Python adds and subtracts on the wall clock for two times in one zone, which
    # across a daylight-saving change would make a slot end before it starts.
    try:
        starts_at, ends_at = starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC)
    except OverflowError as exc:  # year 1 or 9999 in a zone ahead of or behind UTC
        raise errors.InvalidSession(_("The session must start in the future.")) from exc
    if ends_at <= starts_at:
        raise errors.InvalidSession(_("The session must end after it starts."))
    if starts_at <= now:
        raise errors.InvalidSession(_("The session must start in the future."))
    if not 1 <= capacity <= MAX_PLACES:
        raise errors.InvalidSession(
            _("A session has between 1 and %(most)d places.") % {"most": MAX_PLACES}
        )
    if ends_at - starts_at > MAX_SESSION_LENGTH:
        raise errors.InvalidSession(_("A session lasts at most 24 hours."))
    if room and room.location_id != location.pk:
        raise errors.InvalidSession(_("The room is not at this location."))
    if kind == Session.Kind.APPOINTMENTS:
        duration = dt.timedelta(minutes=service.duration_minutes)
        if ends_at - starts_at < duration:
            raise errors.InvalidSession(_("The block is shorter than one appointment."))
    elif kind != Session.Kind.WALK_IN:
        raise errors.InvalidSession(_("Unknown kind of session."))

    with transaction.atomic():
        if room:
            # Lock the room so two publishers cannot both take it for the same hour.
            Room.objects.select_for_update().get(pk=room.pk)
            if Session.objects.filter(
                room=room, starts_at__lt=ends_at, ends_at__gt=starts_at
            ).exclude(status=Session.Status.CANCELLED).exists():
                raise errors.RoomTaken()
        session = Session.objects.create(
            service=service,
            location=location,
            room=room,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            notes=notes,
        )
        session.hosts.set(list(hosts))
        SessionLanguage.objects.bulk_create(
            SessionLanguage(
                session=session,
                language=offer.language,
                support=offer.support,
                places=offer.places if kind == Session.Kind.WALK_IN else None,
            )
            for offer in languages
        )
        if kind == Session.Kind.WALK_IN:
            Slot.objects.create(
                session=session, starts_at=starts_at, ends_at=ends_at, capacity=capacity
            )
        else:
            Slot.objects.bulk_create(
                Slot(session=session, starts_at=start, ends_at=start + duration, capacity=capacity)
                for start in _slot_starts(starts_at, ends_at, duration)
            )
        _audit(actor, "publish_session", session, {"kind": kind, "service": service.slug})
    return session


def publish_series(
    *, rule: str, starts_at: dt.datetime, ends_at: dt.datetime, **session: object
) -> list[Session]:
    """Publish the same session on every date of an RFC 5545 recurrence `rule`, e.g.
    "FREQ=WEEKLY;COUNT=8" for the next eight weeks. Each occurrence keeps the local wall-clock
    hours (13:00-15:00 stays 13:00-15:00 after the clocks change). All or nothing: if one date
    is refused (a room taken), none is published, and the error names the date."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise errors.InvalidSession(_("Times must carry a time zone."))
    if any(word in rule.upper() for word in ("DTSTART", "RDATE", "EXDATE")):
        raise errors.InvalidSession(_("The repeat rule is not valid."))
    zone = timezone.get_current_timezone()
    try:
        local_start = timezone.localtime(starts_at, zone).replace(tzinfo=None)
        wall_length = timezone.localtime(ends_at, zone).replace(tzinfo=None) - local_start
        recurrence = rrulestr(rule, dtstart=local_start)
        occurrences = [
            (timezone.make_aware(start, zone), timezone.make_aware(start + wall_length, zone))
            for start in itertools.islice(recurrence, MAX_SERIES + 1)
        ]
    except (ValueError, TypeError, OverflowError) as exc:
        raise errors.InvalidSession(_("The repeat rule is not valid.")) from exc
    if not occurrences:
        raise errors.InvalidSession(_("The repeat rule gives no dates."))
    if len(occurrences) > MAX_SERIES:
        raise errors.InvalidSession(
            _("A series has at most %(most)d sessions.") % {"most": MAX_SERIES}
        )
    published = []
    with transaction.atomic():
        for first, last in occurrences:
            try:
                published.append(publish_session(starts_at=first, ends_at=last, **session))
            except errors.BookingError as exc:
                if len(occurrences) > 1:
                    exc.detail = f"{formats.date_format(first, 'DATE_FORMAT')}: {exc.detail}"
                raise
    return published


def set_session_published(
    session: Session, *, published: bool, actor: AbstractBaseUser | None
) -> Session:
    """Take a session off the booking channels, or put it back. Bookings already made stand:
    unpublishing only stops new ones (to call them off, cancel the session)."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.status == Session.Status.CANCELLED:
            raise errors.SessionCancelled()
        status = Session.Status.PUBLISHED if published else Session.Status.UNPUBLISHED
        if session.status != status:
            session.status = status
            session.save(update_fields=["status"])
            _audit(actor, "publish" if published else "unpublish", session, {})
    return session


def cancel_session(
    session: Session,
    *,
    actor: AbstractBaseUser | None,
    reason: str = "",
    channel: str = Channel.COUNTER,
    now: dt.datetime | None = None,
) -> list[Booking]:
    """Cancel a session before it starts: every booking in it is cancelled (checked-in ones too:
    the session itself is off) and each visitor told; places held for the waiting list go back
    to it, and those visitors are told too."""
    now = now or timezone.now()
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.status == Session.Status.CANCELLED:
            raise errors.SessionCancelled(_("This session was already cancelled."))
        if session.starts_at <= now:
            raise errors.TooLate(_("This session has already started."))
        session.status = Session.Status.CANCELLED
        session.save(update_fields=["status"])
        # With the slots locked, no booking can slip in between reading and cancelling them.
        _lock_slots(list(session.slots.values_list("pk", flat=True)))
        bookings = list(
            Booking.objects.select_for_update()
            .filter(slot__session=session, status__in=Booking.ACTIVE)
            .order_by("pk")
        )
        for booking in bookings:
            booking.status = Status.CANCELLED
            booking.save(update_fields=["status", "updated_at"])
            _record(Event.Kind.CANCELLED, booking, channel, actor, session_cancelled=True)
        withdrawn = list(
            WaitlistEntry.objects.select_for_update()
            .filter(offered_slot__session=session, status=WaitlistEntry.Status.OFFERED)
            .order_by("pk")
        )
        for entry in withdrawn:
            _record_entry(
                Event.Kind.WAITLIST_EXPIRED,
                entry,
                slot=entry.offered_slot_id,
                session_cancelled=True,
            )
            entry.status = WaitlistEntry.Status.WAITING
            entry.offered_slot = None
            entry.offer_expires_at = None
            entry.save(update_fields=["status", "offered_slot", "offer_expires_at"])
        # What still counts: bookings already served (check-in opens before the start).
        Slot.objects.filter(session=session).update(
            taken=Coalesce(
                Subquery(
                    Booking.objects.filter(slot=OuterRef("pk"))
                    .exclude(status=Status.CANCELLED)
                    .values("slot")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            )
        )
        _audit(actor, "cancel_session", session, {"reason": reason, "bookings": len(bookings)})
    return bookings


# --- visitors --------------------------------------------------------------------------------


def register_visitor(
    *,
    language: Language,
    phone: str = "",
    name: str = "",
    second_language: Language | None = None,
    sms_consent: bool = True,
    actor: AbstractBaseUser | None = None,
) -> Visitor:
    """A new visitor. `phone` is validated and stored as E.164; it may be empty when a visitor
    without a phone is booked at the counter."""
    visitor = Visitor(
        phone=phone,
        name=name,
        language=language,
        second_language=second_language,
        sms_consent=sms_consent,
    )
    try:
        visitor.full_clean()
    except ValidationError as exc:
        raise errors.InvalidRequest(_first_message(exc)) from exc
    with transaction.atomic():
        visitor.save()
        _audit(actor, "register_visitor", visitor, {})
    return visitor


def update_visitor(
    visitor: Visitor, *, actor: AbstractBaseUser | None = None, **changes: object
) -> Visitor:
    """Change a visitor's phone, name, languages or SMS consent."""
    allowed = {"phone", "name", "language", "second_language", "sms_consent"}
    unknown = set(changes) - allowed
    if unknown:
        raise errors.InvalidRequest(
            _("Cannot change %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
        for field, value in changes.items():
            setattr(visitor, field, value)
        if changes.get("sms_consent"):
            visitor.sms_opted_out_at = None
        try:
            visitor.full_clean()
        except ValidationError as exc:
            raise errors.InvalidRequest(_first_message(exc)) from exc
        visitor.save()
        _audit(actor, "update_visitor", visitor, {"fields": sorted(changes)})
    return visitor


# --- booking ---------------------------------------------------------------------------------


def book(
    *,
    slot: Slot,
    visitor: Visitor,
    channel: str,
    language: Language | None = None,
    interpreter_needed: bool | None = None,
    topic: str = "",
    booked_by: AbstractBaseUser | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book a place for `visitor`. A retry with the same `idempotency_key` and the same request
    returns the first booking instead of making a second one."""
    now = now or timezone.now()
    language = language or visitor.language
    fingerprint = _fingerprint(
        slot.pk, visitor.pk, language.pk, interpreter_needed, topic, channel
    )
    with transaction.atomic():
        # The visitor's lock serialises one visitor's requests: the overlap check below and a
        # retried request with the same idempotency key both rely on it.
        visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
        if idempotency_key:
            earlier = Booking.objects.filter(idempotency_key=idempotency_key).first()
            if earlier:
                if earlier.request_fingerprint != fingerprint:
                    raise errors.IdempotencyKeyReused()
                return earlier
        slot = _lock_slots([slot.pk])[0]
        _check_bookable(slot, channel, booked_by, now)
        _check_no_overlap(visitor, slot)
        # A place this visitor already holds from the waiting list becomes the booking, rather
        # than the visitor taking a second place beside it.
        own_hold = (
            WaitlistEntry.objects.select_for_update()
            .filter(visitor=visitor, offered_slot=slot, status=WaitlistEntry.Status.OFFERED)
            .first()
        )
        offer = _offer(slot.session_id, language)
        if own_hold is None:
            _take_place(slot, language, offer)
        booking = _create_booking(
            slot=slot,
            offer=offer,
            visitor=visitor,
            language=language,
            interpreter_needed=_interpreter_needed(language, interpreter_needed),
            topic=topic,
            channel=channel,
            booked_by=booked_by,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )
        if own_hold is not None:
            own_hold.status, own_hold.booking = WaitlistEntry.Status.ACCEPTED, booking
            own_hold.save(update_fields=["status", "booking"])
        _record(Event.Kind.BOOKED, booking, channel, booked_by)
        _audit(booked_by, "book", booking, {"channel": channel})
    return booking


def cancel(
    booking: Booking,
    *,
    channel: str,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Cancel a booking; its place becomes bookable again, first for the waiting list.
    Visitors may cancel until `CANCEL_CUTOFF_HOURS` before the start, staff until the start."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking)
        _check_transition(booking, Status.CANCELLED)
        _check_changeable_by(booking, actor, now)
        slot = booking.slot
        booking.status = Status.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
        _give_back_place(slot)
        _record(Event.Kind.CANCELLED, booking, channel, actor)
        _audit(actor, "cancel", booking, {"channel": channel})
        _offer_freed_place(slot, now)
    return booking


def reschedule(
    booking: Booking,
    *,
    new_slot: Slot,
    channel: str,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Move a booking to another slot, keeping its reference. Both the old place's cut-off and
    the new place's booking rules apply; if the new place cannot be had, nothing changes."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking, also_slots=[new_slot.pk])
        if booking.slot_id == new_slot.pk:
            raise errors.InvalidRequest(_("The booking is already at this time."))
        if booking.status != Status.BOOKED:
            raise errors.InvalidTransition(_("Only a booking that is not checked in can be moved."))
        _check_changeable_by(booking, actor, now)
        old_slot = booking.slot
        new_slot = Slot.objects.select_related("session__service", "session__location").get(
            pk=new_slot.pk
        )
        if new_slot.session.service_id != old_slot.session.service_id:
            raise errors.InvalidRequest(_("A booking can only move within the same service."))
        _check_bookable(new_slot, channel, actor, now)
        _check_no_overlap(booking.visitor, new_slot, ignore=booking)
        offer = _offer(new_slot.session_id, booking.language)
        _take_place(new_slot, booking.language, offer)
        _give_back_place(old_slot)
        booking.slot = new_slot
        booking.starts_at, booking.ends_at = new_slot.starts_at, new_slot.ends_at
        booking.interpreter_status = _interpreter_status(booking.interpreter_needed, offer)
        booking.save()
        _record(Event.Kind.RESCHEDULED, booking, channel, actor, previous_slot=old_slot.pk)
        _audit(actor, "reschedule", booking, {"from_slot": old_slot.pk, "to_slot": new_slot.pk})
        _offer_freed_place(old_slot, now)
    return booking


def check_in(
    booking: Booking,
    *,
    actor: AbstractBaseUser | None,
    channel: str = Channel.COUNTER,
    now: dt.datetime | None = None,
) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking)
        _check_transition(booking, Status.CHECKED_IN)
        if now < booking.starts_at - CHECK_IN_OPENS:
            raise errors.TooEarly(_("Check-in opens two hours before the start."))
        if now >= booking.ends_at:
            raise errors.TooLate(_("This booking's time is over."))
        return _set_status(booking, Status.CHECKED_IN, Event.Kind.CHECKED_IN, channel, actor)


def mark_served(
    booking: Booking, *, actor: AbstractBaseUser | None, channel: str = Channel.COUNTER
) -> Booking:
    with transaction.atomic():
        booking = _lock_booking(booking)
        _check_transition(booking, Status.SERVED)
        return _set_status(booking, Status.SERVED, Event.Kind.SERVED, channel, actor)


def mark_no_show(
    booking: Booking,
    *,
    actor: AbstractBaseUser | None,
    channel: str = Channel.COUNTER,
    now: dt.datetime | None = None,
) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking)
        _check_transition(booking, Status.NO_SHOW)
        if now < booking.starts_at:
            raise errors.TooEarly(_("A visitor can only be marked absent after the start."))
        return _set_status(booking, Status.NO_SHOW, Event.Kind.NO_SHOW, channel, actor)


def set_interpreter_status(
    booking: Booking,
    *,
    status: str,
    actor: AbstractBaseUser | None,
    channel: str = Channel.COUNTER,
) -> Booking:
    """Settle whether an interpreter will be there (confirmed, or unavailable), and tell the
    visitor: the confirmation promised them a message once it is sure."""
    Interpreter = Booking.InterpreterStatus
    if status not in (Interpreter.CONFIRMED, Interpreter.UNAVAILABLE, Interpreter.REQUESTED):
        raise errors.InvalidRequest(_("An interpreter can be confirmed, unavailable or asked."))
    with transaction.atomic():
        booking = _lock_booking(booking)
        if not booking.is_active:
            raise errors.InvalidTransition(_("This booking is no longer active."))
        if not booking.interpreter_needed:
            raise errors.InvalidRequest(_("This visitor needs no interpreter."))
        if booking.interpreter_status == status:
            return booking  # a repeated click changes nothing and sends nothing
        booking.interpreter_status = status
        booking.save(update_fields=["interpreter_status", "updated_at"])
        _record(Event.Kind.INTERPRETER_CHANGED, booking, channel, actor, interpreter=status)
        _audit(actor, "set_interpreter_status", booking, {"status": status})
    return booking


# --- waiting list ----------------------------------------------------------------------------


def join_waitlist(
    *,
    visitor: Visitor,
    service: Service,
    channel: str,
    language: Language | None = None,
    earliest: dt.date,
    latest: dt.date,
    location: Location | None = None,
    actor: AbstractBaseUser | None = None,
) -> WaitlistEntry:
    """Put a visitor on the waiting list. The first matching place that comes free is held for
    them for `WAITLIST_HOLD_MINUTES` and offered through an event."""
    if latest < earliest:
        raise errors.InvalidRequest(_("The last day must not be before the first day."))
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
        if WaitlistEntry.objects.filter(
            visitor=visitor,
            service=service,
            status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
        ).exists():
            raise errors.AlreadyWaiting()
        entry = WaitlistEntry.objects.create(
            visitor=visitor,
            service=service,
            language=language or visitor.language,
            location=location,
            earliest=earliest,
            latest=latest,
            channel=channel,
        )
        _audit(actor, "join_waitlist", entry, {"service": service.slug})
    return entry


def accept_offer(
    entry: WaitlistEntry,
    *,
    channel: str,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Turn a held place into a booking."""
    now = now or timezone.now()
    with transaction.atomic():
        Visitor.objects.select_for_update().get(pk=entry.visitor_id)
        entry, slot = _lock_entry(entry)
        if (
            entry.status != WaitlistEntry.Status.OFFERED
            or slot is None
            or entry.offer_expires_at is None
            or entry.offer_expires_at <= now
        ):
            raise errors.OfferExpired()
        _check_bookable(slot, channel, actor, now)
        _check_no_overlap(entry.visitor, slot)
        # The hold already counts in `slot.taken` (and in its language's places): the booking
        # takes it over.
        booking = _create_booking(
            slot=slot,
            offer=_offer(slot.session_id, entry.language),
            visitor=entry.visitor,
            language=entry.language,
            interpreter_needed=_interpreter_needed(entry.language, None),
            topic="",
            channel=channel,
            booked_by=actor,
        )
        entry.status = WaitlistEntry.Status.ACCEPTED
        entry.booking = booking
        entry.save(update_fields=["status", "booking"])
        _record(Event.Kind.BOOKED, booking, channel, actor, from_waitlist=entry.pk)
        _audit(actor, "accept_offer", booking, {"waitlist_entry": entry.pk})
    return booking


def leave_waitlist(
    entry: WaitlistEntry,
    *,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        entry, slot = _lock_entry(entry)
        if entry.status not in (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED):
            raise errors.WaitlistEntryClosed()
        entry.status = WaitlistEntry.Status.LEFT
        entry.save(update_fields=["status"])
        if slot is not None:
            _release_hold(slot, now)
        _audit(actor, "leave_waitlist", entry, {})


def expire_waitlist_offers(now: dt.datetime | None = None) -> int:
    """Release holds whose time ran out and offer each place to the next in line."""
    now = now or timezone.now()
    expired = 0
    for entry in WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now
    ):
        try:
            with transaction.atomic():
                entry, slot = _lock_entry(entry)
                if entry.status != WaitlistEntry.Status.OFFERED or slot is None:
                    continue  # accepted, left or withdrawn meanwhile
                entry.status = WaitlistEntry.Status.EXPIRED
                entry.save(update_fields=["status"])
                _record_entry(Event.Kind.WAITLIST_EXPIRED, entry, slot=slot.pk)
                _release_hold(slot, now)
                expired += 1
        except errors.BookingError:  # one entry that cannot be expired must not stop the rest
            logger.exception("waiting-list entry %s could not be expired", entry.pk)
    return expired


# --- audit -----------------------------------------------------------------------------------


def record_access(actor: AbstractBaseUser | None, obj: object, action: str = "view") -> None:
    """Note that a staff member looked at a visitor's personal data."""
    _audit(actor, action, obj, {})


# --- inside the door -------------------------------------------------------------------------


def _lock_slots(slot_ids: Sequence[int]) -> list[Slot]:
    # Locking the slot row serialises everyone who books or frees a place in it: the count
    # that follows cannot be overtaken by a concurrent booker (the lost-update race). Only the
    # slot rows are locked, in id order; the session is read afresh after the lock is granted,
    # so a session cancelled meanwhile is seen as cancelled.
    ids = sorted(set(slot_ids))
    locked = list(
        Slot.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(locked) != len(ids):
        raise errors.NotFound(_("No such slot."))
    by_id = Slot.objects.select_related("session__service", "session__location").in_bulk(ids)
    return [by_id[i] for i in slot_ids]


def _lock_booking(booking: Booking, also_slots: Sequence[int] = ()) -> Booking:
    visitor_id = Booking.objects.values_list("visitor_id", flat=True).get(pk=booking.pk)
    Visitor.objects.select_for_update().get(pk=visitor_id)
    # Read the slot only now: under the visitor's lock no reschedule can move the booking.
    slot_id = Booking.objects.values_list("slot_id", flat=True).get(pk=booking.pk)
    _lock_slots([slot_id, *also_slots])
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot__session__service", "slot__session__location", "visitor", "language")
        .get(pk=booking.pk)
    )


def _lock_entry(entry: WaitlistEntry) -> tuple[WaitlistEntry, Slot | None]:
    """Lock a waiting-list entry and the slot it holds a place in, slot first (the lock order
    every door keeps). Returns the slot only while the entry still holds a place in it."""
    for _attempt in range(3):
        held = WaitlistEntry.objects.values_list("offered_slot_id", flat=True).get(pk=entry.pk)
        slot = _lock_slots([held])[0] if held else None
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.offered_slot_id == held:  # not moved on while we waited for the slot
            holds = slot if locked.status == WaitlistEntry.Status.OFFERED else None
            return locked, holds
    raise errors.WaitlistEntryClosed()


def _release_hold(slot: Slot, now: dt.datetime) -> None:
    _give_back_place(slot)
    _offer_freed_place(slot, now)


def _check_transition(booking: Booking, to: str) -> None:
    if to not in TRANSITIONS[booking.status]:
        raise errors.InvalidTransition(
            _("A booking that is %(now)s cannot become %(to)s.")
            % {"now": booking.get_status_display(), "to": Status(to).label}
        )


def _check_bookable(
    slot: Slot, channel: str, actor: AbstractBaseUser | None, now: dt.datetime
) -> None:
    session = slot.session
    if session.status == Session.Status.CANCELLED:
        raise errors.SessionCancelled()
    if session.status != Session.Status.PUBLISHED:
        raise errors.SessionNotPublished()
    if not (session.service.is_active and session.location.is_active):
        raise errors.SessionNotPublished(_("This service or place is closed for now."))
    if not session.service.bookable_by(channel):
        raise errors.ChannelNotAllowed()
    # A visitor who walks in during a walk-in hour is booked at the desk while it runs.
    walking_in = (
        session.kind == Session.Kind.WALK_IN and channel == Channel.COUNTER and _is_staff(actor)
    )
    if slot.starts_at <= now and not (walking_in and now < slot.ends_at):
        raise errors.TooLate()
    if slot.starts_at > now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise errors.BeyondHorizon(
            _("Bookings open %(days)d days ahead.") % {"days": settings.BOOKING_HORIZON_DAYS}
        )


def _check_changeable_by(
    booking: Booking, actor: AbstractBaseUser | None, now: dt.datetime
) -> None:
    if now >= booking.starts_at:
        raise errors.TooLate(_("This booking has already started."))
    cutoff = booking.starts_at - dt.timedelta(hours=settings.CANCEL_CUTOFF_HOURS)
    if not _is_staff(actor) and now >= cutoff:
        raise errors.TooLateToCancel()


def _check_no_overlap(visitor: Visitor, slot: Slot, ignore: Booking | None = None) -> None:
    clash = Booking.objects.filter(
        visitor=visitor,
        status__in=Booking.ACTIVE,
        starts_at__lt=slot.ends_at,
        ends_at__gt=slot.starts_at,
    )
    if ignore:
        clash = clash.exclude(pk=ignore.pk)
    if clash.exists():
        raise errors.AlreadyBooked()


def _take_place(slot: Slot, language: Language, offer: SessionLanguage | None) -> None:
    """Take one place in a locked slot, or refuse. `offer` is the session's offer of `language`,
    if any (it may cap that language's places)."""
    if _language_is_full(slot, language, offer):
        raise errors.LanguageFull()
    if not _claim_place(slot):
        raise errors.SlotFull()


def _claim_place(slot: Slot) -> bool:
    # Compare-and-set: with the slot's lock this cannot fail for a reason we did not see, and
    # the check constraint on `taken` would refuse an overbooking even if the lock were missing.
    return bool(
        Slot.objects.filter(pk=slot.pk, taken__lt=F("capacity")).update(taken=F("taken") + 1)
    )


def _give_back_place(slot: Slot) -> None:
    Slot.objects.filter(pk=slot.pk).update(taken=F("taken") - 1)


def _create_booking(
    *,
    slot: Slot,
    offer: SessionLanguage | None,
    visitor: Visitor,
    language: Language,
    interpreter_needed: bool,
    topic: str,
    channel: str,
    booked_by: AbstractBaseUser | None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> Booking:
    status = _interpreter_status(interpreter_needed, offer)
    for _attempt in range(20):
        try:
            with transaction.atomic():  # a savepoint: a clashing reference is retried
                return Booking.objects.create(
                    reference=new_reference(),
                    slot=slot,
                    visitor=visitor,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    language=language,
                    interpreter_needed=interpreter_needed,
                    interpreter_status=status,
                    topic=topic,
                    channel=channel,
                    booked_by=booked_by,
                    idempotency_key=idempotency_key or None,
                    request_fingerprint=fingerprint,
                )
        except IntegrityError as exc:
            message = _constraint_of(exc)
            if "booking_no_overlap" in message:
                raise errors.AlreadyBooked() from exc
            if "idempotency_key" in message:
                raise errors.IdempotencyKeyReused(_("This Idempotency-Key is being used.")) from exc
            if "reference" not in message:
                raise
    # Twenty clashes in a row: nearly every reference is in use. Staff must widen them.
    logger.error("No free booking reference; raise BOOKING_REFERENCE_DIGITS.")
    raise errors.BookingError(_("No booking number is free; please try again later."))


def _set_status(
    booking: Booking, status: str, kind: str, channel: str, actor: AbstractBaseUser | None
) -> Booking:
    booking.status = status
    booking.save(update_fields=["status", "updated_at"])
    _record(kind, booking, channel, actor)
    _audit(actor, kind, booking, {"channel": channel})
    return booking


def _offer_freed_place(slot: Slot, now: dt.datetime) -> WaitlistEntry | None:
    """Hold a just-freed place in a locked slot for the first matching waiting visitor."""
    session = slot.session
    if session.status != Session.Status.PUBLISHED or slot.starts_at <= now:
        return None
    local_day = timezone.localdate(slot.starts_at)
    offered_languages = list(session.offered.values_list("language_id", flat=True))
    staff_language = Language.objects.filter(code=settings.STAFF_LANGUAGE).first()
    waiting = (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(
            service_id=session.service_id,
            status=WaitlistEntry.Status.WAITING,
            earliest__lte=local_day,
            latest__gte=local_day,
            language_id__in=[*offered_languages, *([staff_language.pk] if staff_language else [])],
        )
        .filter(Q(location__isnull=True) | Q(location_id=session.location_id))
        # One subquery, so that all three conditions hold for the same booking.
        .exclude(
            Exists(
                Booking.objects.filter(
                    visitor=OuterRef("visitor_id"),
                    status__in=Booking.ACTIVE,
                    starts_at__lt=slot.ends_at,
                    ends_at__gt=slot.starts_at,
                )
            )
        )
        .order_by("created_at", "pk")
    )
    for entry in waiting[:50]:
        try:  # only offer what the visitor could then take
            _check_bookable(slot, entry.channel, None, now)
        except errors.BookingError:
            continue
        if _language_is_full(slot, entry.language, _offer(slot.session_id, entry.language)):
            continue
        if not _claim_place(slot):
            return None
        hold = dt.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)
        entry.status = WaitlistEntry.Status.OFFERED
        entry.offered_slot = slot
        entry.offer_expires_at = min(now + hold, slot.starts_at)
        entry.save(update_fields=["status", "offered_slot", "offer_expires_at"])
        _record_entry(
            Event.Kind.WAITLIST_OFFER,
            entry,
            slot=slot.pk,
            expires_at=entry.offer_expires_at.isoformat(),
        )
        return entry
    return None


def _language_is_full(slot: Slot, language: Language, offer: SessionLanguage | None) -> bool:
    if offer is None or offer.places is None:
        return False
    return _language_taken([slot.pk], language).get(slot.pk, 0) >= offer.places


def _offer(session_id: int, language: Language) -> SessionLanguage | None:
    return SessionLanguage.objects.filter(session_id=session_id, language=language).first()


def _language_taken(slot_ids: Iterable[int], language: Language) -> dict[int, int]:
    """Places taken per slot in one language: active bookings and waiting-list holds."""
    slot_ids = list(slot_ids)
    taken: dict[int, int] = {}
    for rows in (
        Booking.objects.filter(
            slot_id__in=slot_ids, language=language, status__in=Booking.ACTIVE
        ).values_list("slot_id"),
        WaitlistEntry.objects.filter(
            offered_slot_id__in=slot_ids, language=language, status=WaitlistEntry.Status.OFFERED
        ).values_list("offered_slot_id"),
    ):
        for slot_id, n in rows.annotate(n=Count("pk")).order_by():
            taken[slot_id] = taken.get(slot_id, 0) + n
    return taken


def _interpreter_needed(language: Language, asked: bool | None) -> bool:
    if language.code == settings.STAFF_LANGUAGE:
        return False
    return True if asked is None else asked


def _interpreter_status(needed: bool, offer: SessionLanguage | None) -> str:
    if not needed:
        return Booking.InterpreterStatus.NOT_NEEDED
    if offer is not None:
        return Booking.InterpreterStatus.CONFIRMED
    return Booking.InterpreterStatus.REQUESTED


def _record(
    kind: str,
    booking: Booking,
    channel: str,
    actor: AbstractBaseUser | None,
    **data: object,
) -> Event:
    event = Event.objects.create(
        kind=kind,
        booking=booking,
        channel=channel,
        actor=actor if _is_staff(actor) else None,
        data={"slot": booking.slot_id, **data},
    )
    _notify_on_commit()
    return event


def _record_entry(kind: str, entry: WaitlistEntry, **data: object) -> Event:
    event = Event.objects.create(
        kind=kind, waitlist_entry=entry, channel=entry.channel, data=data
    )
    _notify_on_commit()
    return event


def _notify_on_commit() -> None:
    # Only after commit: a booking that rolls back must send nothing.
    transaction.on_commit(lambda: events_recorded.send(sender=Event))


def _audit(actor: AbstractBaseUser | None, action: str, obj: object, detail: dict) -> None:
    if not _is_staff(actor):
        return
    AuditEntry.objects.create(
        actor=actor,
        actor_username=actor.get_username(),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(getattr(obj, "pk", "")),
        detail=detail,
    )


def _is_staff(actor: AbstractBaseUser | None) -> bool:
    return actor is not None and actor.is_authenticated


def _constraint_of(exc: IntegrityError) -> str:
    """The name of the constraint that refused a row (PostgreSQL says it; SQLite only in words)."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or str(exc)


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return f"{field}: {messages[0]}"
    return exc.messages[0]


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _slot_starts(
    starts_at: dt.datetime, ends_at: dt.datetime, duration: dt.timedelta
) -> Iterable[dt.datetime]:
    start = starts_at
    while start + duration <= ends_at:
        yield start
        start += duration


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the local time zone (the first moment of a date filter)."""
    day = min(max(day, EARLIEST_DAY), LATEST_DAY)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
