"""What a visitor reads: time and place first, whether an interpreter will be there, the booking
number, and how to answer -- in the visitor's language, or the next one they read."""

import pytest

from notifications.messages import message_language
from scheduler import services
from scheduler.models import Booking, Channel, SessionLanguage
from tests.conftest import at


@pytest.fixture
def sent(sms_outbox, django_capture_on_commit_callbacks):
    """Do something through the door, commit, and return the text of the one SMS it sent."""

    def sent(change, *args, **kwargs) -> str:
        before = len(sms_outbox)
        with django_capture_on_commit_callbacks(execute=True):
            change(*args, **kwargs)
        assert len(sms_outbox) == before + 1
        return sms_outbox[-1].body

    return sent


def book(sent, slot, visitor, **kwargs) -> tuple[Booking, str]:
    body = sent(services.book, slot=slot, visitor=visitor, channel=Channel.SMS, **kwargs)
    return Booking.objects.get(visitor=visitor, slot=slot), body


# --- time and place first ------------------------------------------------------------------


def test_amina_reads_her_appointment_in_english_with_time_and_place_first(
    appointments, amina, sent
):
    booking, body = book(sent, appointments.slots.first(), amina)

    assert body.splitlines() == [
        "Tuesday 3 March, 09:00, Stadhuis, Stadhuisplein 1, Almere",
        "Appointment: Civic integration intake.",
        "An interpreter for your language will be there.",
        f"Your number: {booking.reference}",
        "Cannot come? Call 14 036.",
    ]


def test_lina_who_prefers_dutch_reads_dutch_with_dutch_day_and_month(appointments, lina, sent):
    booking, body = book(sent, appointments.slots.first(), lina)

    assert body.splitlines() == [
        "Dinsdag 3 maart om 09:00 uur, Stadhuis, Stadhuisplein 1, Almere",
        "Afspraak: Civic integration intake.",
        f"Uw nummer: {booking.reference}",
        "Kunt u niet komen? Bel 14 036.",
    ]


def test_a_walk_in_hour_says_from_when_to_when_and_to_come_any_time(walk_in, yonas, sent):
    _booking, body = book(sent, walk_in.slots.get(), yonas)

    first, second = body.splitlines()[:2]
    assert first == "Tuesday 3 March, 13:00-15:00, Stadhuis, Stadhuisplein 1, Almere"
    assert second == "Walk-in hour: General walk-in hour. Come any time in these hours."


def test_a_walk_in_hour_in_dutch(walk_in, oksana, sent):
    _booking, body = book(sent, walk_in.slots.get(), oksana)

    first, second = body.splitlines()[:2]
    assert first == "Dinsdag 3 maart van 13:00 tot 15:00 uur, Stadhuis, Stadhuisplein 1, Almere"
    assert second.startswith("Inloopspreekuur: General walk-in hour.")


# --- which language --------------------------------------------------------------------------


def test_messages_fall_back_along_the_visitors_languages(amina, yonas, lina, oksana):
    # Arabic and Tigrinya have no catalogue yet: Amina reads her second language, Yonas English.
    assert message_language(amina) == "en"
    assert message_language(yonas) == "en"
    assert message_language(lina) == "nl"
    # Ukrainian has no catalogue yet; Oksana's second language is Dutch.
    assert message_language(oksana) == "nl"


# --- the interpreter line ------------------------------------------------------------------


def test_a_confirmed_interpreter_is_announced(appointments, amina, sent):
    booking, body = book(sent, appointments.slots.first(), amina)

    assert booking.interpreter_status == "confirmed"
    assert "An interpreter for your language will be there." in body


def test_a_confirmed_peer_expert_is_announced_as_someone_who_speaks_your_language(
    walk_in, yonas, sent
):
    booking, body = book(sent, walk_in.slots.get(), yonas)

    assert booking.interpreter_status == "confirmed"
    assert "Someone who speaks your language will be there to help." in body
    assert "interpreter" not in body


def test_a_requested_interpreter_is_not_promised(appointments, yonas, sent):
    booking, body = book(sent, appointments.slots.first(), yonas)

    assert booking.interpreter_status == "requested"
    assert "We asked for an interpreter. We will send a message when this is sure." in body


def test_a_visitor_who_needs_no_interpreter_is_told_there_will_be_none(appointments, amina, sent):
    booking, body = book(sent, appointments.slots.first(), amina, interpreter_needed=False)

    assert booking.interpreter_status == "not_needed"
    assert "There will be no interpreter. You said you do not need one." in body


def test_a_visitor_who_speaks_the_staffs_language_gets_no_interpreter_line(
    appointments, lina, sent
):
    booking, body = book(sent, appointments.slots.first(), lina)

    assert booking.interpreter_status == "not_needed"
    assert "tolk" not in body


def test_the_interpreter_line_in_dutch(appointments, oksana, languages, sent):
    SessionLanguage.objects.create(
        session=appointments, language=languages["uk"], support="interpreter"
    )
    _booking, body = book(sent, appointments.slots.first(), oksana)

    assert "Er is een tolk voor uw taal." in body


# --- changes -----------------------------------------------------------------------------------


def test_a_moved_booking_shows_the_new_time_and_keeps_its_number(appointments, amina, sent):
    first, later = appointments.slots.all()[0], appointments.slots.all()[2]
    booking, _body = book(sent, first, amina)

    body = sent(services.reschedule, booking, new_slot=later, channel=Channel.SMS)

    assert body.splitlines()[0] == (
        "NEW TIME: Tuesday 3 March, 10:00, Stadhuis, Stadhuisplein 1, Almere"
    )
    assert "09:00" not in body
    assert f"Your number: {booking.reference}" in body


def test_a_cancelled_booking_names_the_time_it_was_for(appointments, amina, sent):
    booking, _body = book(sent, appointments.slots.first(), amina)

    body = sent(services.cancel, booking, channel=Channel.SMS)

    assert body.splitlines() == [
        "CANCELLED: Tuesday 3 March, 09:00, Stadhuis, Stadhuisplein 1, Almere",
        "Appointment: Civic integration intake.",
        f"Your number was: {booking.reference}",
    ]


def test_a_cancelled_session_says_sorry_and_how_to_get_a_new_time(
    appointments, amina, lina, olga, sent
):
    slot = appointments.slots.first()
    book(sent, slot, amina)

    body = sent(services.cancel_session, appointments, actor=olga, reason="the host is ill")

    assert body.startswith("CANCELLED: Tuesday 3 March, 09:00, Stadhuis")
    assert body.endswith("We had to cancel this. We are sorry. Call 14 036 for a new time.")


def test_a_cancelled_session_in_dutch(appointments, lina, olga, sent):
    book(sent, appointments.slots.first(), lina)

    body = sent(services.cancel_session, appointments, actor=olga)

    assert body.startswith("AFGEZEGD: dinsdag 3 maart om 09:00 uur, Stadhuis")
    assert body.endswith(
        "Wij moesten dit afzeggen. Het spijt ons. Bel 14 036 voor een nieuwe tijd."
    )


def test_a_place_freed_for_the_waiting_list_is_offered_with_how_long_it_is_held(
    appointments, intake, amina, yonas, sent, sms_outbox, django_capture_on_commit_callbacks
):
    slot = appointments.slots.first()
    day = slot.starts_at.date()
    services.join_waitlist(
        visitor=amina, service=intake, channel=Channel.SMS, earliest=day, latest=day
    )
    booking, _body = book(sent, slot, yonas)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(booking, channel=Channel.SMS)

    # Yonas hears that his booking is cancelled; Amina is offered his place.
    offers = [sms.body for sms in sms_outbox if sms.to == "+31612345678"]
    assert len(offers) == 1
    assert offers[0].splitlines() == [
        "A PLACE IS FREE: Tuesday 3 March, 09:00, Stadhuis, Stadhuisplein 1, Almere",
        "Appointment: Civic integration intake.",
        "We keep it for you until 10:00 today.",
        "Call 14 036 to take it.",
    ]


def test_an_offer_held_past_midnight_names_the_day(
    appointments,
    intake,
    amina,
    yonas,
    sent,
    sms_outbox,
    frozen_time,
    django_capture_on_commit_callbacks,
):
    slot = appointments.slots.first()
    day = slot.starts_at.date()
    services.join_waitlist(
        visitor=amina, service=intake, channel=Channel.SMS, earliest=day, latest=day
    )
    booking, _body = book(sent, slot, yonas)
    frozen_time.move_to(at(0, 23, 30))

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(booking, channel=Channel.SMS, actor=None)

    (offer,) = [sms.body for sms in sms_outbox if sms.to == "+31612345678"]
    assert "We keep it for you until Tuesday 3 March, 01:30." in offer


@pytest.mark.parametrize(
    ("session_cancelled", "lines"),
    [
        (True, ["We had to cancel this. You stay on the waiting list."]),
        (False, ["The time to take it is over. You are no longer on the waiting list.",
                 "Call 14 036 to wait again."]),
    ],
)
def test_a_visitor_is_told_when_the_place_held_for_them_is_gone(
    session_cancelled, lines, appointments, intake, amina, yonas, olga, sent, sms_outbox,
    frozen_time, django_capture_on_commit_callbacks,
):
    slot = appointments.slots.first()
    day = slot.starts_at.date()
    services.join_waitlist(
        visitor=amina, service=intake, channel=Channel.SMS, earliest=day, latest=day
    )
    booking, _body = book(sent, slot, yonas)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(booking, channel=Channel.SMS)

    with django_capture_on_commit_callbacks(execute=True):
        if session_cancelled:
            services.cancel_session(appointments, actor=olga)
        else:
            services.expire_waitlist_offers(now=at(1, 8, 0))

    last = [sms.body for sms in sms_outbox if sms.to == "+31612345678"][-1]
    assert last.splitlines() == [
        "THE FREE PLACE IS GONE: Tuesday 3 March, 09:00, Stadhuis, Stadhuisplein 1, Almere",
        *lines,
    ]


@pytest.mark.parametrize(
    ("status", "line"),
    [
        ("confirmed", "An interpreter for your language will be there."),
        ("unavailable", "There will be NO interpreter. You may bring someone who translates."),
    ],
)
def test_a_visitor_waiting_to_hear_about_an_interpreter_is_told(
    status, line, appointments, yonas, sam, sent
):
    booking, body = book(sent, appointments.slots.first(), yonas)
    assert "We asked for an interpreter" in body

    update = sent(services.set_interpreter_status, booking, status=status, actor=sam)

    assert update.splitlines() == [
        "Tuesday 3 March, 09:00, Stadhuis, Stadhuisplein 1, Almere",
        "Appointment: Civic integration intake.",
        line,
        f"Your number: {booking.reference}",
    ]


def test_each_interpreter_message_says_what_was_true_when_it_was_written(
    appointments, yonas, sam, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.book(slot=appointments.slots.first(), visitor=yonas,
                                channel=Channel.SMS)
    # Confirmed, then the interpreter falls ill: both changes reach the relay together.
    with django_capture_on_commit_callbacks(execute=True):
        services.set_interpreter_status(booking, status="confirmed", actor=sam)
        services.set_interpreter_status(booking, status="unavailable", actor=sam)

    confirmed, unavailable = (sms.body.splitlines()[2] for sms in sms_outbox[1:])
    assert confirmed == "An interpreter for your language will be there."
    assert unavailable == "There will be NO interpreter. You may bring someone who translates."
