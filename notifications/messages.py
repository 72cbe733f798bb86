"""The words a visitor reads: short, plain, time and place first, and always whether an
interpreter will be there.

English is the source language; translations live in gettext catalogues under `locale/`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from scheduler.models import Booking, Event, Session, SessionLanguage, Slot, Visitor

# Languages of the catalogues in `locale/`; messages fall back along the visitor's languages.
FALLBACK_LANGUAGES = ("en", "nl")


@dataclass(frozen=True)
class Draft:
    visitor: Visitor
    language: str
    body: str


def message_language(visitor: Visitor) -> str:
    """The first of the visitor's languages that has a catalogue, else English, else Dutch."""
    available = {code for code, _name in settings.LANGUAGES}
    wanted = [visitor.language.code]
    if visitor.second_language_id:
        wanted.append(visitor.second_language.code)
    for code in [*wanted, *FALLBACK_LANGUAGES]:
        if code in available:
            return code
    return settings.LANGUAGE_CODE


def drafts_for(event: Event) -> list[Draft]:
    """The messages an event asks for: none for events a visitor need not hear about, or for a
    visitor who cannot or will not get SMS."""
    visitor = _visitor_of(event)
    if visitor is None or not visitor.can_receive_sms:
        return []
    language = message_language(visitor)
    with translation.override(language):
        body = _body(event)
    return [Draft(visitor=visitor, language=language, body=body)] if body else []


def _visitor_of(event: Event) -> Visitor | None:
    if event.booking_id:
        return event.booking.visitor
    if event.waitlist_entry_id:
        return event.waitlist_entry.visitor
    return None


def _body(event: Event) -> str | None:
    kind = event.kind
    if kind == Event.Kind.BOOKED:
        booking = event.booking
        slot = _slot(event, booking)
        return _lines(
            capfirst(_when_where(slot)),
            _what(slot),
            _for_whom(booking.visitor),
            _interpreter_line(booking, slot),
            _("Your number: %(reference)s") % {"reference": booking.reference},
            _cannot_come(),
        )
    if kind == Event.Kind.INTERPRETER_CHANGED:
        booking = event.booking
        if not booking.is_active:
            return None  # cancelled since: the cancellation says all there is to say
        slot = _slot(event, booking)
        return _lines(
            capfirst(_when_where(slot)),
            _what(slot),
            _for_whom(booking.visitor),
            _interpreter_line(booking, slot, event.data.get("interpreter")),
            _("Your number: %(reference)s") % {"reference": booking.reference},
        )
    if kind == Event.Kind.RESCHEDULED:
        booking = event.booking
        slot = _slot(event, booking)
        return _lines(
            _("NEW TIME: %(when_where)s") % {"when_where": _when_where(slot)},
            _what(slot),
            _for_whom(booking.visitor),
            _interpreter_line(booking, slot),
            _("Your number: %(reference)s") % {"reference": booking.reference},
            _cannot_come(),
        )
    if kind == Event.Kind.CANCELLED:
        booking = event.booking
        slot = _slot(event, booking)
        return _lines(
            _("CANCELLED: %(when_where)s") % {"when_where": _when_where(slot)},
            _what(slot),
            _for_whom(booking.visitor),
            _("Your number was: %(reference)s") % {"reference": booking.reference},
            _("We had to cancel this. We are sorry. Call %(phone)s for a new time.")
            % {"phone": settings.MUNICIPALITY_PHONE}
            if event.data.get("session_cancelled")
            else None,
        )
    if kind == Event.Kind.WAITLIST_OFFER:
        slot = Slot.objects.select_related("session__service", "session__location").get(
            pk=event.data["slot"]
        )
        expires = dt.datetime.fromisoformat(event.data["expires_at"])
        return _lines(
            _("A PLACE IS FREE: %(when_where)s") % {"when_where": _when_where(slot)},
            _what(slot),
            _for_whom(event.waitlist_entry.visitor),
            _hold_line(expires),
            _("Call %(phone)s to take it.") % {"phone": settings.MUNICIPALITY_PHONE},
        )
    if kind == Event.Kind.WAITLIST_EXPIRED:
        slot = Slot.objects.select_related("session__service", "session__location").get(
            pk=event.data["slot"]
        )
        if event.data.get("session_cancelled"):
            return _lines(
                _("THE FREE PLACE IS GONE: %(when_where)s") % {"when_where": _when_where(slot)},
                _for_whom(event.waitlist_entry.visitor),
                _("We had to cancel this. You stay on the waiting list."),
            )
        return _lines(
            _("THE FREE PLACE IS GONE: %(when_where)s") % {"when_where": _when_where(slot)},
            _for_whom(event.waitlist_entry.visitor),
            _("The time to take it is over. You are no longer on the waiting list."),
            _("Call %(phone)s to wait again.") % {"phone": settings.MUNICIPALITY_PHONE},
        )
    return None


def _slot(event: Event, booking: Booking) -> Slot:
    # The event's own slot, not the booking's: the booking may have moved since.
    slot_id = event.data.get("slot", booking.slot_id)
    return Slot.objects.select_related("session__service", "session__location").get(pk=slot_id)


def _when_where(slot: Slot) -> str:
    session = slot.session
    place = session.location.name
    if session.location.address:
        place = f"{place}, {session.location.address}"
    start = timezone.localtime(slot.starts_at)
    day = formats.date_format(start, "l j F")
    if session.kind == Session.Kind.WALK_IN:
        return _("%(day)s, %(start)s-%(end)s, %(place)s") % {
            "day": day,
            "start": _time(slot.starts_at),
            "end": _time(slot.ends_at),
            "place": place,
        }
    return _("%(day)s, %(time)s, %(place)s") % {
        "day": day,
        "time": _time(slot.starts_at),
        "place": place,
    }


def _what(slot: Slot) -> str:
    service = slot.session.service.name
    if slot.session.kind == Session.Kind.WALK_IN:
        return _("Walk-in hour: %(service)s. Come any time in these hours.") % {
            "service": service
        }
    return _("Appointment: %(service)s.") % {"service": service}


def _interpreter_line(booking: Booking, slot: Slot, status: str | None = None) -> str | None:
    """What the visitor reads about the interpreter; `status` as it was when the event was
    written, when the event says (it may have changed again since)."""
    Status = Booking.InterpreterStatus
    status = status or booking.interpreter_status
    if status == Status.CONFIRMED:
        offer = slot.session.offered.filter(language=booking.language).first()
        if offer and offer.support == SessionLanguage.Support.PEER_EXPERT:
            return _("Someone who speaks your language will be there to help.")
        return _("An interpreter for your language will be there.")
    if status == Status.REQUESTED:
        return _("We asked for an interpreter. We will send a message when this is sure.")
    if status == Status.UNAVAILABLE:
        return _("There will be NO interpreter. You may bring someone who translates.")
    if booking.language.code == settings.STAFF_LANGUAGE:
        return None  # the staff speak this language: an interpreter line would only confuse
    return _("There will be no interpreter. You said you do not need one.")


def _for_whom(visitor: Visitor) -> str | None:
    # A household shares one phone: say whose booking this is, or two look the same.
    if not visitor.name or not visitor.phone:
        return None
    if not Visitor.objects.filter(phone=visitor.phone).exclude(pk=visitor.pk).exists():
        return None
    return _("This message is for %(name)s.") % {"name": visitor.name}


def _hold_line(expires: dt.datetime) -> str:
    # Say the day unless it is today: "until 10:00" under a line about tomorrow 09:00 would
    # read as tomorrow.
    if timezone.localdate(expires) == timezone.localdate():
        return _("We keep it for you until %(time)s today.") % {"time": _time(expires)}
    return _("We keep it for you until %(day)s, %(time)s.") % {
        "day": formats.date_format(timezone.localtime(expires), "l j F"),
        "time": _time(expires),
    }


def _cannot_come() -> str:
    return _("Cannot come? Call %(phone)s.") % {"phone": settings.MUNICIPALITY_PHONE}


def _time(moment: dt.datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


def _lines(*lines: str | None) -> str:
    return "\n".join(line for line in lines if line)
