"""When nothing fits: the waiting list, and the freed place held for the first in line."""

import datetime as dt

import pytest

from scheduler import errors, services
from scheduler.models import Booking, Channel, Event, Slot, WaitlistEntry
from tests.conftest import NOW, at

TOMORROW = (NOW + dt.timedelta(days=1)).date()


@pytest.fixture
def full_slot(appointments, yonas):
    """Tomorrow 9:00, taken by Yonas."""
    slot = appointments.slots.order_by("starts_at").first()
    services.book(slot=slot, visitor=yonas, channel=Channel.SMS)
    return slot


def wait(visitor, service, **kwargs) -> WaitlistEntry:
    return services.join_waitlist(visitor=visitor, service=service, channel=Channel.SMS,
                                  earliest=TOMORROW, latest=TOMORROW, **kwargs)


def test_a_freed_place_is_held_for_the_first_waiting_visitor(full_slot, intake, amina, saba,
                                                            settings):
    settings.WAITLIST_HOLD_MINUTES = 120
    first = wait(amina, intake)
    wait(saba, intake)

    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.OFFERED
    assert first.offered_slot == full_slot
    assert first.offer_expires_at == NOW + dt.timedelta(hours=2)
    assert Slot.objects.get(pk=full_slot.pk).taken == 1  # held, not free for anyone
    assert Event.objects.filter(kind=Event.Kind.WAITLIST_OFFER, waitlist_entry=first).exists()


def test_a_held_place_cannot_be_booked_by_someone_else(full_slot, intake, amina, saba):
    wait(amina, intake)
    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    with pytest.raises(errors.SlotFull):
        services.book(slot=full_slot, visitor=saba, channel=Channel.SMS)


def test_accepting_the_offer_turns_the_hold_into_a_booking(full_slot, intake, amina):
    entry = wait(amina, intake)
    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)
    entry.refresh_from_db()

    booking = services.accept_offer(entry, channel=Channel.SMS)

    assert booking.slot == full_slot
    assert booking.interpreter_status == Booking.InterpreterStatus.CONFIRMED
    assert Slot.objects.get(pk=full_slot.pk).taken == 1
    entry.refresh_from_db()
    assert (entry.status, entry.booking) == (WaitlistEntry.Status.ACCEPTED, booking)


def test_an_expired_offer_passes_to_the_next_in_line(full_slot, intake, amina, saba,
                                                     languages, frozen_time):
    saba.language = languages["ar"]
    saba.save()
    first = wait(amina, intake)
    second = wait(saba, intake)
    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)
    frozen_time.shift(dt.timedelta(minutes=121))

    assert services.expire_waitlist_offers() == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistEntry.Status.EXPIRED
    assert second.status == WaitlistEntry.Status.OFFERED
    assert Slot.objects.get(pk=full_slot.pk).taken == 1
    with pytest.raises(errors.OfferExpired):
        services.accept_offer(first, channel=Channel.SMS)


def test_an_offer_never_outlasts_the_start(full_slot, intake, amina, sam, frozen_time):
    frozen_time.move_to(at(1, 8, 0))
    entry = wait(amina, intake)

    services.cancel(full_slot.bookings.get(), channel=Channel.COUNTER, actor=sam)

    entry.refresh_from_db()
    assert entry.offer_expires_at == at(1, 9)


def test_a_place_goes_unoffered_when_nobody_waits_in_that_language(full_slot, intake, yonas,
                                                                   saba):
    entry = wait(saba, intake)  # Tigrinya; the 9:00 session offers Arabic only

    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    assert Slot.objects.get(pk=full_slot.pk).taken == 0


def test_someone_waiting_for_another_day_is_not_offered_this_one(full_slot, intake, amina):
    entry = services.join_waitlist(visitor=amina, service=intake, channel=Channel.SMS,
                                   earliest=TOMORROW + dt.timedelta(days=1),
                                   latest=TOMORROW + dt.timedelta(days=3))

    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING


def test_a_visitor_waits_once_per_service(intake, amina):
    wait(amina, intake)

    with pytest.raises(errors.AlreadyWaiting):
        wait(amina, intake)


def test_leaving_the_list_with_a_held_place_offers_it_to_the_next(full_slot, intake, amina,
                                                                  saba, languages):
    saba.language = languages["ar"]
    saba.save()
    first = wait(amina, intake)
    second = wait(saba, intake)
    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)
    first.refresh_from_db()

    services.leave_waitlist(first)

    second.refresh_from_db()
    assert second.status == WaitlistEntry.Status.OFFERED
    assert Slot.objects.get(pk=full_slot.pk).taken == 1


def test_a_visitor_with_other_bookings_that_do_not_clash_is_still_offered_the_place(
    full_slot, intake, walk_in, walk_in_service, town_hall, amina
):
    # Amina holds the 13:00 walk-in hour, and had (then cancelled) a place at 8:30-9:15. The
    # first is active but later, the second overlaps but is cancelled: neither clashes with 9:00.
    services.book(slot=walk_in.slots.get(), visitor=amina, channel=Channel.SMS)
    early = services.publish_session(
        service=walk_in_service, location=town_hall, kind="walk_in",
        starts_at=at(1, 8, 30), ends_at=at(1, 9, 15), capacity=3,
    )
    services.cancel(services.book(slot=early.slots.get(), visitor=amina, channel=Channel.SMS),
                    channel=Channel.SMS)
    entry = wait(amina, intake)

    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED


def test_a_visitor_already_booked_at_that_time_is_passed_over(full_slot, intake, town_hall,
                                                              walk_in_service, amina, saba,
                                                              languages):
    clash = services.publish_session(
        service=walk_in_service, location=town_hall, kind="walk_in",
        starts_at=at(1, 8, 30), ends_at=at(1, 9, 15), capacity=3,
    )
    services.book(slot=clash.slots.get(), visitor=amina, channel=Channel.SMS)
    saba.language = languages["ar"]
    saba.save()
    passed_over = wait(amina, intake)
    next_in_line = wait(saba, intake)

    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    passed_over.refresh_from_db()
    next_in_line.refresh_from_db()
    assert (passed_over.status, next_in_line.status) == ("waiting", "offered")


def test_a_place_held_for_the_waiting_list_counts_against_the_language_places(
    walk_in, walk_in_service, languages
):
    from scheduler.models import Visitor

    slot = walk_in.slots.get()
    tigrinya = [Visitor.objects.create(phone=f"+3163333000{i}", language=languages["ti"])
                for i in range(5)]
    booked = [services.book(slot=slot, visitor=v, channel=Channel.SMS) for v in tigrinya[:3]]
    services.join_waitlist(visitor=tigrinya[3], service=walk_in_service, channel=Channel.SMS,
                           earliest=TOMORROW, latest=TOMORROW)
    services.cancel(booked[0], channel=Channel.SMS)  # held for tigrinya[3]

    with pytest.raises(errors.LanguageFull):
        services.book(slot=slot, visitor=tigrinya[4], channel=Channel.SMS)


def test_cancelling_a_session_tells_the_visitor_whose_held_place_is_gone(full_slot, intake,
                                                                        appointments, amina,
                                                                        olga):
    entry = wait(amina, intake)
    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    services.cancel_session(appointments, actor=olga)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    withdrawn = Event.objects.get(kind=Event.Kind.WAITLIST_EXPIRED, waitlist_entry=entry)
    assert withdrawn.data == {"slot": full_slot.pk, "session_cancelled": True}
    assert Slot.objects.get(pk=full_slot.pk).taken == 0


def test_booking_the_place_held_for_you_takes_over_the_hold(full_slot, intake, amina, sam):
    entry = wait(amina, intake)
    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    # Amina phones the counter instead of answering the offer.
    booking = services.book(slot=full_slot, visitor=amina, channel=Channel.COUNTER,
                            booked_by=sam)

    entry.refresh_from_db()
    assert (entry.status, entry.booking) == (WaitlistEntry.Status.ACCEPTED, booking)
    assert Slot.objects.get(pk=full_slot.pk).taken == 1


def test_no_place_is_offered_for_a_service_that_has_closed(full_slot, intake, amina):
    entry = wait(amina, intake)
    intake.is_active = False
    intake.save()

    services.cancel(full_slot.bookings.get(), channel=Channel.SMS)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    assert not Event.objects.filter(kind=Event.Kind.WAITLIST_OFFER).exists()
