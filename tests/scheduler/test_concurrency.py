"""Many people at once, on PostgreSQL: the locks and constraints hold.

Each racer is a thread with its own database connection, released together by a barrier so that
their transactions really overlap.
"""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from scheduler import errors, services
from scheduler.models import Booking, Channel, Event, Session, Slot, Visitor
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(n: int, attempt: Callable[[int], object]) -> list[object]:
    """Run `attempt(i)` in `n` threads started at the same moment; return results or errors."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = attempt(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung: a deadlock?"
    return results


def outcome(results: list[object]) -> Counter:
    return Counter(
        "booked" if isinstance(r, Booking) else getattr(r, "code", repr(r)) for r in results
    )


def visitors(languages, n: int, prefix: str = "+316300", language: str = "ar") -> list[Visitor]:
    return [
        Visitor.objects.create(phone=f"{prefix}{i:04d}", language=languages[language])
        for i in range(n)
    ]


def test_sixty_bookers_racing_for_the_last_places_of_a_walk_in_hour(walk_in, languages):
    slot = walk_in.slots.get()
    early = visitors(languages, 7, prefix="+316301")
    for visitor in early:
        services.book(slot=slot, visitor=visitor, channel=Channel.SMS)
    racers = visitors(languages, 60)

    results = race(60, lambda i: services.book(slot=slot, visitor=racers[i],
                                               channel=Channel.SMS))

    assert outcome(results) == {"booked": 3, "slot_full": 57}
    slot.refresh_from_db()
    active = Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE).count()
    assert slot.taken == active == slot.capacity == 10
    assert Event.objects.filter(kind="booked").count() == 10


def test_fifty_bookers_racing_for_one_appointment_leave_one_booking(appointments, languages):
    slot = appointments.slots.order_by("starts_at").first()
    racers = visitors(languages, 50)

    results = race(50, lambda i: services.book(slot=slot, visitor=racers[i],
                                               channel=Channel.PHONE))

    assert outcome(results) == {"booked": 1, "slot_full": 49}
    assert Booking.objects.filter(slot=slot).count() == 1
    assert Slot.objects.get(pk=slot.pk).taken == 1


def test_one_visitor_racing_for_every_overlapping_slot_gets_one(walk_in_service, town_hall,
                                                               amina):
    sessions = [
        services.publish_session(
            service=walk_in_service, location=town_hall, kind=Session.Kind.WALK_IN,
            starts_at=at(2, 10), ends_at=at(2, 12), capacity=5,
        )
        for _ in range(20)
    ]
    slots = [s.slots.get() for s in sessions]

    results = race(20, lambda i: services.book(slot=slots[i], visitor=amina,
                                               channel=Channel.SMS))

    assert outcome(results) == {"booked": 1, "already_booked": 19}
    assert sum(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("taken",
                                                                             flat=True)) == 1


def test_retries_of_one_request_racing_each_other_make_one_booking(walk_in, amina):
    slot = walk_in.slots.get()

    results = race(30, lambda i: services.book(slot=slot, visitor=amina, channel=Channel.SMS,
                                               idempotency_key="sms:SMrace"))

    assert outcome(results) == {"booked": 30}
    assert len({r.pk for r in results}) == 1
    assert Slot.objects.get(pk=slot.pk).taken == 1


def test_cancellations_and_bookings_interleaved_keep_the_count_true(walk_in, languages):
    slot = walk_in.slots.get()
    holders = visitors(languages, 10, prefix="+316302")
    bookings = [services.book(slot=slot, visitor=v, channel=Channel.SMS) for v in holders]
    newcomers = visitors(languages, 30)

    def attempt(i: int):
        if i < 10:
            return services.cancel(bookings[i], channel=Channel.SMS)
        return services.book(slot=slot, visitor=newcomers[i - 10], channel=Channel.SMS)

    results = race(40, attempt)

    slot.refresh_from_db()
    active = Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE).count()
    assert slot.taken == active <= slot.capacity
    assert sum(1 for r in results[:10] if isinstance(r, Booking)) == 10
    assert all(isinstance(r, Booking | errors.SlotFull) for r in results[10:])


def test_two_visitors_swapping_slots_at_once_do_not_deadlock(intake, town_hall, amina, yonas):
    pairs = services.publish_session(
        service=intake, location=town_hall, kind=Session.Kind.APPOINTMENTS,
        starts_at=at(2, 9), ends_at=at(2, 10), capacity=2,
    )
    first, second = pairs.slots.order_by("starts_at")
    a = services.book(slot=first, visitor=amina, channel=Channel.SMS)
    y = services.book(slot=second, visitor=yonas, channel=Channel.SMS)

    # Amina moves to Yonas's slot while Yonas moves to Amina's. Were each door to lock its old
    # slot first, each would wait for the other's; slots are locked in id order instead.
    for _ in range(5):
        targets = [second, first]
        results = race(2, lambda i, targets=targets: services.reschedule(
            [a, y][i], new_slot=targets[i], channel=Channel.SMS))
        assert all(isinstance(r, Booking) for r in results), results
        first, second = second, first

    assert [s.taken for s in Slot.objects.filter(session=pairs)] == [1, 1]


def test_cancelling_a_session_while_its_held_place_is_taken_or_released_does_not_deadlock(
    walk_in, intake, languages, olga
):
    import datetime as dt

    from scheduler.models import WaitlistEntry

    slot = walk_in.slots.get()
    holders = visitors(languages, 10, prefix="+316304")
    bookings = [services.book(slot=slot, visitor=v, channel=Channel.SMS) for v in holders]
    # Dutch speakers: every session serves the staff's language.
    waiting = visitors(languages, 3, prefix="+316305", language="nl")
    day = slot.starts_at.date()
    entries = [
        services.join_waitlist(visitor=v, service=walk_in.service, channel=Channel.SMS,
                               earliest=day - dt.timedelta(days=1), latest=day)
        for v in waiting
    ]
    for booking in bookings[:3]:
        services.cancel(booking, channel=Channel.SMS)
    assert {e.status for e in WaitlistEntry.objects.all()} == {"offered"}

    def attempt(i: int):
        if i == 0:
            return services.cancel_session(walk_in, actor=olga)
        if i == 1:
            return services.accept_offer(entries[0], channel=Channel.SMS)
        if i == 2:
            return services.leave_waitlist(entries[1])
        return services.expire_waitlist_offers(now=at(5, 0))

    for outcome_ in race(4, attempt):
        assert not isinstance(outcome_, Exception) or hasattr(outcome_, "code"), outcome_

    slot.refresh_from_db()
    assert slot.taken == 0
    assert not Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE).exists()
    assert not WaitlistEntry.objects.filter(status="offered").exists()


def test_no_booking_slips_into_a_session_being_cancelled(walk_in, languages, olga):
    slot = walk_in.slots.get()
    racers = visitors(languages, 30)

    def attempt(i: int):
        if i == 15:
            return services.cancel_session(walk_in, actor=olga)
        return services.book(slot=slot, visitor=racers[i], channel=Channel.SMS)

    race(30, attempt)

    assert not Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE).exists()
    assert Slot.objects.get(pk=slot.pk).taken == 0
    booked_events = Event.objects.filter(kind="booked").count()
    assert Event.objects.filter(kind="cancelled").count() == booked_events
