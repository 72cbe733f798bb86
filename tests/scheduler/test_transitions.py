"""Every status change a booking may make, and every one it may not."""

import itertools

import pytest

from scheduler import errors, services
from scheduler.models import Booking, Channel, Event
from tests.conftest import at

S = Booking.Status
ALLOWED = {
    (S.BOOKED, S.CHECKED_IN),
    (S.BOOKED, S.CANCELLED),
    (S.BOOKED, S.NO_SHOW),
    (S.CHECKED_IN, S.SERVED),
    (S.CHECKED_IN, S.NO_SHOW),  # checked in, then left before being called
}
TARGETS = [S.CHECKED_IN, S.CANCELLED, S.NO_SHOW, S.SERVED]
# When each change is attempted (tomorrow's 9:00 slot): cancelling before the start, checking
# in shortly before, marking absent after the start.
WHEN = {S.CANCELLED: (1, 8, 0), S.CHECKED_IN: (1, 8, 50), S.NO_SHOW: (1, 9, 10),
        S.SERVED: (1, 9, 20)}


def change(booking: Booking, to: str, actor) -> Booking:
    if to == S.CHECKED_IN:
        return services.check_in(booking, actor=actor)
    if to == S.CANCELLED:
        return services.cancel(booking, channel=Channel.COUNTER, actor=actor)
    if to == S.NO_SHOW:
        return services.mark_no_show(booking, actor=actor)
    return services.mark_served(booking, actor=actor)


@pytest.mark.parametrize(("start", "to"), list(itertools.product(list(S), TARGETS)))
def test_status_change(start, to, appointments, amina, sam, frozen_time):
    booking = services.book(slot=appointments.slots.order_by("starts_at").first(),
                            visitor=amina, channel=Channel.SMS)
    Booking.objects.filter(pk=booking.pk).update(status=start)
    frozen_time.move_to(at(*WHEN[to]))
    events_before = Event.objects.count()

    if (start, to) in ALLOWED:
        changed = change(booking, to, sam)
        assert changed.status == to
        assert Booking.objects.get(pk=booking.pk).status == to
        assert Event.objects.count() == events_before + 1
    else:
        with pytest.raises(errors.InvalidTransition) as refused:
            change(booking, to, sam)
        assert refused.value.code == "invalid_transition"
        assert Booking.objects.get(pk=booking.pk).status == start
        assert Event.objects.count() == events_before


def test_check_in_opens_two_hours_before_the_start(appointments, amina, sam, frozen_time):
    booking = services.book(slot=appointments.slots.order_by("starts_at").first(),
                            visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 6, 59))
    with pytest.raises(errors.TooEarly):
        services.check_in(booking, actor=sam)

    frozen_time.move_to(at(1, 7, 0))
    assert services.check_in(booking, actor=sam).status == S.CHECKED_IN


def test_a_visitor_cannot_check_in_after_their_time_is_over(appointments, amina, sam,
                                                           frozen_time):
    booking = services.book(slot=appointments.slots.order_by("starts_at").first(),
                            visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 9, 30))

    with pytest.raises(errors.TooLate):
        services.check_in(booking, actor=sam)


def test_nobody_is_marked_absent_before_their_time(appointments, amina, sam, frozen_time):
    booking = services.book(slot=appointments.slots.order_by("starts_at").first(),
                            visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 8, 59))

    with pytest.raises(errors.TooEarly):
        services.mark_no_show(booking, actor=sam)


def test_a_no_show_keeps_its_place_counted(appointments, amina, sam, frozen_time):
    slot = appointments.slots.order_by("starts_at").first()
    booking = services.book(slot=slot, visitor=amina, channel=Channel.SMS)
    frozen_time.move_to(at(1, 9, 10))

    services.mark_no_show(booking, actor=sam)

    slot.refresh_from_db()
    assert slot.taken == 1  # the time has passed; nobody else can use it
