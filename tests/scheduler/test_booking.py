"""The one door: booking rules a visitor and a counter clerk rely on."""

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from scheduler import errors, services
from scheduler.models import AuditEntry, Booking, Channel, Event, Session, Slot
from scheduler.references import normalise_reference
from scheduler.services import LanguageOffer
from tests.conftest import NOW, at


def first_slot(session: Session) -> Slot:
    return session.slots.order_by("starts_at").first()


def test_amina_books_an_appointment_with_a_confirmed_interpreter(appointments, amina):
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)

    assert booking.status == Booking.Status.BOOKED
    assert booking.language.code == "ar"
    assert booking.interpreter_needed is True
    assert booking.interpreter_status == Booking.InterpreterStatus.CONFIRMED
    assert booking.starts_at == at(1, 9)
    assert normalise_reference(booking.reference) == booking.reference
    assert Slot.objects.get(pk=booking.slot_id).taken == 1


def test_the_booking_and_its_outbox_event_are_written_together(appointments, amina):
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)

    event = Event.objects.get(booking=booking)
    assert event.kind == Event.Kind.BOOKED
    assert event.channel == Channel.SMS
    assert event.relayed_at is None
    assert event.data["slot"] == booking.slot_id


def test_a_language_not_offered_gets_an_interpreter_requested(appointments, yonas):
    booking = services.book(slot=first_slot(appointments), visitor=yonas, channel=Channel.PHONE)

    assert booking.interpreter_status == Booking.InterpreterStatus.REQUESTED


def test_a_visitor_who_speaks_dutch_needs_no_interpreter(appointments, languages, amina):
    booking = services.book(
        slot=first_slot(appointments), visitor=amina, language=languages["nl"],
        channel=Channel.COUNTER,
    )

    assert booking.interpreter_needed is False
    assert booking.interpreter_status == Booking.InterpreterStatus.NOT_NEEDED


def test_a_visitor_may_say_they_need_no_interpreter(appointments, yonas):
    booking = services.book(
        slot=first_slot(appointments), visitor=yonas, interpreter_needed=False,
        channel=Channel.COUNTER,
    )

    assert booking.interpreter_status == Booking.InterpreterStatus.NOT_NEEDED


def test_a_full_slot_is_refused_with_slot_full(appointments, amina, yonas):
    slot = first_slot(appointments)
    services.book(slot=slot, visitor=amina, channel=Channel.SMS)

    with pytest.raises(errors.SlotFull) as refused:
        services.book(slot=slot, visitor=yonas, channel=Channel.SMS)

    assert refused.value.code == "slot_full"
    assert Booking.objects.filter(slot=slot).count() == 1


def test_one_visitor_cannot_hold_two_overlapping_bookings(appointments, walk_in_service,
                                                        town_hall, amina):
    services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    overlapping = services.publish_session(
        service=walk_in_service, location=town_hall, kind=Session.Kind.WALK_IN,
        starts_at=at(1, 9), ends_at=at(1, 10), capacity=5,
    )

    with pytest.raises(errors.AlreadyBooked):
        services.book(slot=first_slot(overlapping), visitor=amina, channel=Channel.SMS)


def test_a_household_sharing_one_phone_books_side_by_side(appointments, yonas, saba):
    slots = list(appointments.slots.order_by("starts_at"))
    services.book(slot=slots[0], visitor=yonas, channel=Channel.SMS)
    services.book(slot=slots[1], visitor=saba, channel=Channel.SMS)

    assert Booking.objects.filter(visitor__phone="+31687654321").count() == 2


def test_the_same_visitor_may_book_back_to_back_slots(appointments, amina):
    slots = list(appointments.slots.order_by("starts_at"))
    services.book(slot=slots[0], visitor=amina, channel=Channel.SMS)
    services.book(slot=slots[1], visitor=amina, channel=Channel.SMS)

    assert amina.bookings.count() == 2


# --- time rules ---------------------------------------------------------------------------


def test_a_slot_that_has_started_cannot_be_booked(appointments, amina, frozen_time):
    frozen_time.move_to(at(1, 9, 1))

    with pytest.raises(errors.TooLate):
        services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)


def test_a_walk_in_hour_that_has_started_is_closed_to_sms(walk_in, amina, frozen_time):
    frozen_time.move_to(at(1, 13, 30))

    with pytest.raises(errors.TooLate):
        services.book(slot=first_slot(walk_in), visitor=amina, channel=Channel.SMS)


def test_the_counter_books_a_visitor_who_walks_in_during_the_hour(walk_in, amina, sam,
                                                                 frozen_time):
    frozen_time.move_to(at(1, 13, 30))

    booking = services.book(
        slot=first_slot(walk_in), visitor=amina, channel=Channel.COUNTER, booked_by=sam
    )

    assert booking.booked_by == sam


def test_the_counter_cannot_book_a_walk_in_hour_that_is_over(walk_in, amina, sam, frozen_time):
    frozen_time.move_to(at(1, 15))

    with pytest.raises(errors.TooLate):
        services.book(slot=first_slot(walk_in), visitor=amina, channel=Channel.COUNTER,
                      booked_by=sam)


def test_booking_beyond_the_horizon_is_refused(intake, town_hall, amina, settings):
    settings.BOOKING_HORIZON_DAYS = 14
    far = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(15, 9), ends_at=at(15, 10),
    )

    with pytest.raises(errors.BeyondHorizon):
        services.book(slot=first_slot(far), visitor=amina, channel=Channel.SMS)


def test_booking_on_the_last_day_of_the_horizon_is_allowed(intake, town_hall, amina, settings):
    settings.BOOKING_HORIZON_DAYS = 14
    edge = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=NOW + dt.timedelta(days=14), ends_at=NOW + dt.timedelta(days=14, hours=1),
    )

    assert services.book(slot=first_slot(edge), visitor=amina, channel=Channel.SMS)


def test_a_cancelled_session_cannot_be_booked(appointments, amina, olga):
    services.cancel_session(appointments, actor=olga)

    with pytest.raises(errors.SessionCancelled):
        services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)


def test_an_unpublished_session_cannot_be_booked(appointments, amina):
    Session.objects.filter(pk=appointments.pk).update(status=Session.Status.UNPUBLISHED)

    with pytest.raises(errors.SessionNotPublished):
        services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)


def test_a_service_closed_to_sms_refuses_sms_but_takes_the_counter(appointments, intake, amina,
                                                                 sam):
    intake.bookable_by_sms = False
    intake.save()

    with pytest.raises(errors.ChannelNotAllowed):
        services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    assert services.book(slot=first_slot(appointments), visitor=amina,
                         channel=Channel.COUNTER, booked_by=sam)


# --- cancelling ---------------------------------------------------------------------------


def test_a_cancelled_place_becomes_bookable_again(appointments, amina, yonas):
    slot = first_slot(appointments)
    booking = services.book(slot=slot, visitor=amina, channel=Channel.SMS)

    services.cancel(booking, channel=Channel.SMS)

    assert Slot.objects.get(pk=slot.pk).taken == 0
    assert services.book(slot=slot, visitor=yonas, channel=Channel.SMS)


def test_a_visitor_cannot_cancel_after_the_cutoff(appointments, amina, frozen_time, settings):
    settings.CANCEL_CUTOFF_HOURS = 2
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 7, 30))

    with pytest.raises(errors.TooLateToCancel):
        services.cancel(booking, channel=Channel.SMS)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED


def test_a_visitor_can_cancel_just_before_the_cutoff(appointments, amina, frozen_time, settings):
    settings.CANCEL_CUTOFF_HOURS = 2
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 6, 59))

    assert services.cancel(booking, channel=Channel.SMS).status == Booking.Status.CANCELLED


def test_the_counter_can_cancel_after_the_cutoff_but_not_after_the_start(
    appointments, amina, sam, frozen_time
):
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 9))
    with pytest.raises(errors.TooLate):
        services.cancel(booking, channel=Channel.COUNTER, actor=sam)

    frozen_time.move_to(at(1, 8, 30))
    assert services.cancel(booking, channel=Channel.COUNTER, actor=sam).status == "cancelled"


def test_cancelling_a_whole_session_cancels_every_booking_and_frees_nothing_twice(
    walk_in, amina, yonas, olga
):
    slot = first_slot(walk_in)
    services.book(slot=slot, visitor=amina, channel=Channel.SMS)
    services.book(slot=slot, visitor=yonas, channel=Channel.SMS)

    cancelled = services.cancel_session(walk_in, actor=olga, reason="Staff ill")

    assert {b.status for b in cancelled} == {"cancelled"}
    assert Event.objects.filter(kind="cancelled", data__session_cancelled=True).count() == 2
    assert Slot.objects.get(pk=slot.pk).taken == 0


# --- rescheduling -------------------------------------------------------------------------


def test_moving_a_booking_keeps_its_reference_and_frees_the_old_place(appointments, amina):
    slots = list(appointments.slots.order_by("starts_at"))
    booking = services.book(slot=slots[0], visitor=amina, channel=Channel.SMS)
    reference = booking.reference

    moved = services.reschedule(booking, new_slot=slots[2], channel=Channel.SMS)

    assert moved.reference == reference
    assert moved.slot == slots[2]
    assert moved.starts_at == slots[2].starts_at
    assert [s.taken for s in Slot.objects.filter(session=appointments).order_by("starts_at")] \
        == [0, 0, 1, 0]
    event = Event.objects.get(booking=booking, kind=Event.Kind.RESCHEDULED)
    assert event.data == {"slot": slots[2].pk, "previous_slot": slots[0].pk}


def test_moving_to_a_full_slot_changes_nothing(appointments, amina, yonas):
    slots = list(appointments.slots.order_by("starts_at"))
    booking = services.book(slot=slots[0], visitor=amina, channel=Channel.SMS)
    services.book(slot=slots[1], visitor=yonas, channel=Channel.SMS)

    with pytest.raises(errors.SlotFull):
        services.reschedule(booking, new_slot=slots[1], channel=Channel.SMS)

    booking.refresh_from_db()
    assert booking.slot == slots[0]
    assert [s.taken for s in Slot.objects.filter(session=appointments).order_by("starts_at")] \
        == [1, 1, 0, 0]


def test_moving_recomputes_whether_an_interpreter_is_there(appointments, intake, town_hall,
                                                           amina):
    later = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(2, 9), ends_at=at(2, 10),
    )
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    assert booking.interpreter_status == "confirmed"

    moved = services.reschedule(booking, new_slot=first_slot(later), channel=Channel.SMS)

    assert moved.interpreter_status == "requested"


def test_a_booking_cannot_move_to_another_service(appointments, walk_in, amina):
    booking = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)

    with pytest.raises(errors.InvalidRequest):
        services.reschedule(booking, new_slot=first_slot(walk_in), channel=Channel.SMS)


# --- walk-in places per language ----------------------------------------------------------


def test_a_walk_in_hour_caps_places_per_language(walk_in, languages):
    slot = first_slot(walk_in)
    from scheduler.models import Visitor

    tigrinya = [
        Visitor.objects.create(phone=f"+3161111000{i}", language=languages["ti"])
        for i in range(4)
    ]
    for visitor in tigrinya[:3]:
        services.book(slot=slot, visitor=visitor, channel=Channel.SMS)

    with pytest.raises(errors.LanguageFull):
        services.book(slot=slot, visitor=tigrinya[3], channel=Channel.SMS)
    arabic = Visitor.objects.create(phone="+31611110009", language=languages["ar"])
    assert services.book(slot=slot, visitor=arabic, channel=Channel.SMS)


# --- idempotency ---------------------------------------------------------------------------


def test_a_retried_request_returns_the_first_booking(appointments, amina):
    slot = first_slot(appointments)
    first = services.book(slot=slot, visitor=amina, channel=Channel.SMS,
                          idempotency_key="sms:SM123")
    again = services.book(slot=slot, visitor=amina, channel=Channel.SMS,
                          idempotency_key="sms:SM123")

    assert again.pk == first.pk
    assert Booking.objects.count() == 1
    assert Event.objects.filter(kind="booked").count() == 1
    assert Slot.objects.get(pk=slot.pk).taken == 1


def test_a_reused_key_with_another_request_is_refused(appointments, amina):
    slots = list(appointments.slots.order_by("starts_at"))
    services.book(slot=slots[0], visitor=amina, channel=Channel.SMS, idempotency_key="k1")

    with pytest.raises(errors.IdempotencyKeyReused):
        services.book(slot=slots[1], visitor=amina, channel=Channel.SMS, idempotency_key="k1")
    assert Booking.objects.count() == 1


def test_a_retry_after_the_first_was_cancelled_still_returns_the_first(appointments, amina):
    slot = first_slot(appointments)
    first = services.book(slot=slot, visitor=amina, channel=Channel.SMS, idempotency_key="k2")
    services.cancel(first, channel=Channel.SMS)

    again = services.book(slot=slot, visitor=amina, channel=Channel.SMS, idempotency_key="k2")

    assert again.pk == first.pk
    assert again.status == "cancelled"


# --- find_options --------------------------------------------------------------------------


def test_options_put_slots_with_the_visitors_language_first(appointments, intake, town_hall,
                                                            languages):
    earlier_without_arabic = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(0, 14), ends_at=at(0, 15),
    )

    options = services.find_options(service=intake, language=languages["ar"])

    assert [o.slot.session_id for o in options[:4]] == [appointments.pk] * 4
    assert options[0].interpreter_status == "confirmed"
    assert options[0].support == "interpreter"
    assert options[4].slot.session_id == earlier_without_arabic.pk
    assert options[4].interpreter_status == "requested"


def test_options_for_a_dutch_speaker_are_simply_earliest_first(appointments, intake, town_hall,
                                                               languages):
    services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(0, 14), ends_at=at(0, 15),
    )

    options = services.find_options(service=intake, language=languages["nl"])

    starts = [o.slot.starts_at for o in options]
    assert starts == sorted(starts)
    assert {o.interpreter_status for o in options} == {"not_needed"}


def test_options_leave_out_full_slots_and_days_outside_the_range(appointments, intake, amina,
                                                                 languages):
    slots = list(appointments.slots.order_by("starts_at"))
    services.book(slot=slots[0], visitor=amina, channel=Channel.SMS)

    tomorrow = services.find_options(service=intake, language=languages["ar"],
                                     date_from=at(1, 0).date(), date_to=at(1, 0).date())
    later = services.find_options(service=intake, language=languages["ar"],
                                  date_from=at(2, 0).date())

    assert [o.slot for o in tomorrow] == slots[1:]
    assert later == []


def test_options_skip_a_walk_in_hour_whose_language_places_are_gone(walk_in, walk_in_service,
                                                                    languages):
    from scheduler.models import Visitor

    for i in range(3):
        visitor = Visitor.objects.create(phone=f"+3162222000{i}", language=languages["ti"])
        services.book(slot=first_slot(walk_in), visitor=visitor, channel=Channel.SMS)

    assert services.find_options(service=walk_in_service, language=languages["ti"]) == []
    assert len(services.find_options(service=walk_in_service, language=languages["ar"])) == 1


def test_options_are_empty_for_a_channel_the_service_does_not_take(appointments, intake,
                                                                   languages):
    intake.bookable_by_phone = False
    intake.save()

    assert services.find_options(service=intake, language=languages["ar"],
                                 channel=Channel.PHONE) == []


# --- publishing ----------------------------------------------------------------------------


def test_an_appointment_block_is_cut_into_slots_of_the_service_duration(appointments):
    slots = list(appointments.slots.order_by("starts_at"))

    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (at(1, 9), at(1, 9, 30)), (at(1, 9, 30), at(1, 10)),
        (at(1, 10), at(1, 10, 30)), (at(1, 10, 30), at(1, 11)),
    ]
    assert all(s.capacity == 1 for s in slots)


def test_a_walk_in_hour_is_one_slot_with_its_places(walk_in):
    (slot,) = walk_in.slots.all()

    assert (slot.starts_at, slot.ends_at, slot.capacity) == (at(1, 13), at(1, 15), 10)
    assert walk_in.offered.get().places == 3


def test_a_block_across_the_dst_change_keeps_wall_clock_slots(intake, town_hall):
    # 29 March 2026: clocks go from 2:00 to 3:00 in Amsterdam.
    session = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=dt.datetime(2026, 3, 29, 1, 0, tzinfo=NOW.tzinfo),
        ends_at=dt.datetime(2026, 3, 29, 4, 0, tzinfo=NOW.tzinfo),
    )

    # Two real hours: four half-hour slots, none lost or doubled.
    assert session.slots.count() == 4
    total = Slot.objects.filter(session=session).aggregate(n=Sum("capacity"))["n"]
    assert total == 4


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (at(1, 10), at(1, 9), "eindigen na het begin"),
        (at(-1, 9), at(-1, 10), "toekomst"),
        (at(1, 9), at(1, 9, 10), "korter"),
    ],
)
def test_a_session_with_impossible_times_is_refused(intake, town_hall, starts, ends, message):
    # Staff read these in Dutch, the default language.
    with pytest.raises(errors.InvalidSession, match=message):
        services.publish_session(
            service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
            starts_at=starts, ends_at=ends,
        )
    assert not Session.objects.exists()


def test_two_sessions_cannot_take_one_room_at_the_same_time(intake, town_hall, languages):
    room = town_hall.rooms.get()
    services.publish_session(
        service=intake, location=town_hall, room=room, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(1, 9), ends_at=at(1, 10), languages=[LanguageOffer(languages["ar"])],
    )

    with pytest.raises(errors.RoomTaken):
        services.publish_session(
            service=intake, location=town_hall, room=room, kind=Session.Kind.APPOINTMENTS,
            starts_at=at(1, 9, 30), ends_at=at(1, 11),
        )


def test_staff_actions_are_in_the_audit_trail_and_visitor_actions_are_not(appointments, amina,
                                                                          yonas, sam):
    services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    services.book(slot=appointments.slots.order_by("starts_at")[1], visitor=yonas,
                  channel=Channel.COUNTER, booked_by=sam)

    entries = list(AuditEntry.objects.filter(action="book"))
    assert [(e.actor_username, e.object_type) for e in entries] == [("sam", "booking")]
    assert AuditEntry.objects.filter(action="publish_session", actor_username="olga").exists()


# --- series ----------------------------------------------------------------------------------


def test_a_weekly_walk_in_hour_keeps_its_local_hours_across_the_clock_change(
    walk_in_service, town_hall, languages
):
    # Mondays 13:00-15:00 from 2 March; on 29 March the clocks go forward.
    series = services.publish_series(
        rule="FREQ=WEEKLY;COUNT=6", service=walk_in_service, location=town_hall,
        kind=Session.Kind.WALK_IN, starts_at=at(0, 13), ends_at=at(0, 15), capacity=10,
        languages=[LanguageOffer(languages["ar"], support="peer_expert")],
    )

    local = [(timezone.localtime(s.starts_at), timezone.localtime(s.ends_at)) for s in series]
    assert [start.date() for start, _ in local] == [
        (NOW + dt.timedelta(weeks=w)).date() for w in range(6)
    ]
    assert {(start.time(), end.time()) for start, end in local} == {(dt.time(13), dt.time(15))}
    assert {s.offered.get().language.code for s in series} == {"ar"}
    assert Slot.objects.filter(session__in=series, capacity=10).count() == 6


def test_a_series_with_one_date_refused_publishes_nothing_and_names_the_date(
    intake, town_hall, languages
):
    room = town_hall.rooms.get()
    services.publish_session(service=intake, location=town_hall, room=room,
                             kind=Session.Kind.APPOINTMENTS, starts_at=at(14, 9),
                             ends_at=at(14, 10))

    with pytest.raises(errors.RoomTaken) as refused:
        services.publish_series(
            rule="FREQ=WEEKLY;COUNT=4", service=intake, location=town_hall, room=room,
            kind=Session.Kind.APPOINTMENTS, starts_at=at(0, 9), ends_at=at(0, 10),
        )

    assert "16 maart 2026" in refused.value.detail
    assert Session.objects.count() == 1


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY", "FREQ=DAILY;COUNT=60", "NOT A RULE"])
def test_an_endless_long_or_broken_repeat_rule_is_refused(rule, intake, town_hall):
    with pytest.raises(errors.InvalidSession):
        services.publish_series(
            rule=rule, service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
            starts_at=at(1, 9), ends_at=at(1, 10),
        )
    assert not Session.objects.exists()


def test_a_session_that_has_started_cannot_be_cancelled(walk_in, olga, frozen_time):
    frozen_time.move_to(at(1, 13, 5))

    with pytest.raises(errors.TooLate):
        services.cancel_session(walk_in, actor=olga)
    assert Session.objects.get(pk=walk_in.pk).status == Session.Status.PUBLISHED


def test_a_session_is_cancelled_only_once(walk_in, olga):
    services.cancel_session(walk_in, actor=olga)

    with pytest.raises(errors.SessionCancelled):
        services.cancel_session(walk_in, actor=olga)
    assert AuditEntry.objects.filter(action="cancel_session").count() == 1


def test_a_closed_service_takes_no_bookings_and_offers_no_times(appointments, intake, amina,
                                                               languages):
    intake.is_active = False
    intake.save()

    with pytest.raises(errors.SessionNotPublished):
        services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)
    assert services.find_options(service=intake, language=languages["ar"]) == []


def test_options_over_the_widest_date_range_do_not_overflow(appointments, intake, languages):
    options = services.find_options(service=intake, language=languages["ar"],
                                    date_from=dt.date.min, date_to=dt.date.max)

    assert len(options) == 4


def test_a_session_in_year_one_is_refused_not_crashed(intake, town_hall):
    ancient = dt.datetime(1, 1, 1, 9, tzinfo=NOW.tzinfo)

    with pytest.raises(errors.InvalidSession):
        services.publish_session(service=intake, location=town_hall,
                                 kind=Session.Kind.APPOINTMENTS, starts_at=ancient,
                                 ends_at=ancient + dt.timedelta(hours=1))


def test_a_time_in_the_visitors_language_comes_first_even_weeks_ahead(intake, town_hall,
                                                                     languages):
    # Three weeks of full days without Arabic, then one morning with an Arabic interpreter.
    for day in range(1, 21):
        services.publish_session(
            service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
            starts_at=at(day, 8), ends_at=at(day, 18),
        )
    arabic = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(21, 9), ends_at=at(21, 10), languages=[LanguageOffer(languages["ar"])],
    )

    options = services.find_options(service=intake, language=languages["ar"], limit=3)

    assert [o.slot.session_id for o in options[:2]] == [arabic.pk, arabic.pk]
    assert options[2].interpreter_status == "requested"


# --- interpreter ---------------------------------------------------------------------------


def test_an_interpreter_found_later_is_confirmed_and_the_visitor_told(appointments, yonas, sam):
    booking = services.book(slot=first_slot(appointments), visitor=yonas, channel=Channel.SMS)
    assert booking.interpreter_status == "requested"

    services.set_interpreter_status(booking, status="confirmed", actor=sam)
    services.set_interpreter_status(booking, status="confirmed", actor=sam)  # a double click

    booking.refresh_from_db()
    assert booking.interpreter_status == "confirmed"
    assert Event.objects.filter(booking=booking, kind="interpreter_changed").count() == 1
    assert AuditEntry.objects.filter(action="set_interpreter_status", actor=sam).count() == 1


@pytest.mark.parametrize(
    ("status", "interpreter_needed", "cancelled", "refusal"),
    [
        ("not_needed", None, False, errors.InvalidRequest),
        ("confirmed", False, False, errors.InvalidRequest),
        ("confirmed", None, True, errors.InvalidTransition),
    ],
)
def test_the_interpreter_status_is_only_settled_for_an_active_booking_that_needs_one(
    status, interpreter_needed, cancelled, refusal, appointments, yonas, sam
):
    booking = services.book(slot=first_slot(appointments), visitor=yonas, channel=Channel.SMS,
                            interpreter_needed=interpreter_needed)
    if cancelled:
        services.cancel(booking, channel=Channel.COUNTER, actor=sam)

    with pytest.raises(refusal):
        services.set_interpreter_status(booking, status=status, actor=sam)


def test_cancelling_a_session_keeps_counting_a_visitor_already_served(walk_in, amina, yonas,
                                                                     sam, olga, frozen_time):
    slot = walk_in.slots.get()
    early = services.book(slot=slot, visitor=amina, channel=Channel.SMS)
    services.book(slot=slot, visitor=yonas, channel=Channel.SMS)
    frozen_time.move_to(at(1, 11, 30))
    services.check_in(early, actor=sam)
    services.mark_served(early, actor=sam)  # helped before the hour began

    services.cancel_session(walk_in, actor=olga)

    assert Slot.objects.get(pk=slot.pk).taken == 1


@pytest.mark.parametrize(
    "rule",
    [
        "DTSTART:20300101T120000Z\nRRULE:FREQ=WEEKLY;COUNT=2",
        "FREQ=WEEKLY;UNTIL=20200101",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2",
    ],
)
def test_a_repeat_rule_with_its_own_start_or_without_dates_is_refused(rule, intake, town_hall):
    with pytest.raises(errors.InvalidSession):
        services.publish_series(
            rule=rule, service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
            starts_at=at(1, 9), ends_at=at(1, 10),
        )


def test_an_unpublished_session_takes_no_new_bookings_but_keeps_its_old_ones(
    appointments, intake, amina, yonas, olga, languages
):
    kept = services.book(slot=first_slot(appointments), visitor=amina, channel=Channel.SMS)

    services.set_session_published(appointments, published=False, actor=olga)

    with pytest.raises(errors.SessionNotPublished):
        services.book(slot=appointments.slots.order_by("starts_at")[1], visitor=yonas,
                      channel=Channel.SMS)
    assert services.find_options(service=intake, language=languages["ar"]) == []
    assert Booking.objects.get(pk=kept.pk).status == "booked"

    services.set_session_published(appointments, published=True, actor=olga)
    assert len(services.find_options(service=intake, language=languages["ar"])) == 3
    assert AuditEntry.objects.filter(actor=olga, action__in=["unpublish", "publish"]).count() == 2


def test_a_cancelled_session_cannot_be_published_again(walk_in, olga):
    services.cancel_session(walk_in, actor=olga)

    with pytest.raises(errors.SessionCancelled):
        services.set_session_published(walk_in, published=True, actor=olga)
