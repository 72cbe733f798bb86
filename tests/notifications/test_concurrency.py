"""Two relays racing over the same outbox on PostgreSQL, each with its own connection: row locks
with SKIP LOCKED and the compare-and-set claim keep every message to one send."""

import collections
import threading

import pytest
from django.db import connection

from notifications import relay
from notifications.models import OutboundMessage
from scheduler import services
from scheduler.models import Channel, Event, Session, Visitor
from tests.conftest import at

VISITORS = 40


def pending() -> bool:
    return (
        Event.objects.filter(relayed_at__isnull=True).exists()
        or OutboundMessage.objects.filter(status="queued").exists()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_racing_over_many_events_never_send_a_message_twice(
    walk_in_service, town_hall, languages, olga, sam, settings, sms_outbox, broker_down
):
    # Small batches, so the two relays meet many times instead of one taking everything.
    settings.OUTBOX_BATCH_SIZE = 3
    session = services.publish_session(
        service=walk_in_service,
        location=town_hall,
        kind=Session.Kind.WALK_IN,
        starts_at=at(2, 13),
        ends_at=at(2, 16),
        capacity=VISITORS,
        actor=olga,
    )
    slot = session.slots.get()
    # The broker is down, so every event waits in the outbox for a relay.
    for n in range(VISITORS):
        visitor = Visitor.objects.create(
            phone=f"+316200000{n:02d}", name=f"Visitor {n}", language=languages["nl"]
        )
        services.book(slot=slot, visitor=visitor, channel=Channel.COUNTER, booked_by=sam)
    assert sms_outbox == []
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def relay_until_done() -> None:
        try:
            start.wait(timeout=10)
            for _round in range(200):
                if not pending():
                    return
                relay.relay_outbox()
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)
        finally:
            connection.close()

    relays = [threading.Thread(target=relay_until_done) for _ in range(2)]
    for thread in relays:
        thread.start()
    for thread in relays:
        thread.join(timeout=60)

    assert errors == []
    assert not pending()
    sent_to = collections.Counter(sms.to for sms in sms_outbox)
    assert len(sent_to) == VISITORS
    assert set(sent_to.values()) == {1}, "a phone got its confirmation twice"
    messages = OutboundMessage.objects.all()
    assert messages.count() == VISITORS
    assert {(m.status, m.attempts) for m in messages} == {("sent", 1)}
    assert len({m.provider_id for m in messages}) == VISITORS
