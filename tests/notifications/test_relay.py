"""The outbox relay: every committed booking change reaches the visitor's phone once; a booking
that rolled back reaches it never; a broker or provider outage delays a message, never loses it."""

import datetime as dt
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from notifications import relay
from notifications.gateways import Gateway, GatewayError, MemoryGateway
from notifications.models import OutboundMessage
from scheduler import services
from scheduler.models import Booking, Channel, Event, Visitor


def sweep() -> None:
    """Run the relay the way beat does: the task by its registered name."""
    celery_app.tasks["notifications.relay_outbox"].apply().get()


class FlakyGateway(Gateway):
    """The SMS provider, down for the next `outage` sends (a 503, a dropped connection)."""

    outage = 0
    error: Exception = GatewayError("503 Service Unavailable")

    def send(self, to: str, body: str) -> str:
        if FlakyGateway.outage > 0:
            FlakyGateway.outage -= 1
            raise FlakyGateway.error
        return MemoryGateway().send(to, body)


class RejectingGateway(Gateway):
    """The SMS provider refuses the number for good."""

    calls = 0

    def send(self, to: str, body: str) -> str:
        RejectingGateway.calls += 1
        raise GatewayError("21211: 'To' is not a valid phone number", permanent=True)


class SlowGateway(Gateway):
    """A provider so slow that after the first message of a batch the claim on the rest has run
    out, and while the second is being sent another relay (the beat sweep) takes over the rest."""

    frozen_time = None
    sends = 0

    def send(self, to: str, body: str) -> str:
        SlowGateway.sends += 1
        if SlowGateway.sends == 1:
            SlowGateway.frozen_time.shift(
                dt.timedelta(seconds=django_settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1)
            )
        elif SlowGateway.sends == 2:
            relay.relay_outbox()  # the other relay, while this send is still going on
        return MemoryGateway().send(to, body)


@pytest.fixture
def flaky_gateway(settings):
    settings.SMS_GATEWAY = f"{__name__}.FlakyGateway"
    FlakyGateway.outage = 0
    FlakyGateway.error = GatewayError("503 Service Unavailable")
    yield FlakyGateway
    FlakyGateway.outage = 0


@pytest.fixture
def rejecting_gateway(settings):
    settings.SMS_GATEWAY = f"{__name__}.RejectingGateway"
    RejectingGateway.calls = 0
    yield RejectingGateway


def book(slot, visitor, capture, **kwargs) -> Booking:
    kwargs.setdefault("channel", Channel.SMS)
    with capture(execute=True):
        return services.book(slot=slot, visitor=visitor, **kwargs)


# --- once, and only when committed ---------------------------------------------------------


def test_a_confirmation_is_sent_once_even_when_the_relay_runs_again(
    appointments, amina, sms_outbox, django_capture_on_commit_callbacks
):
    booking = book(appointments.slots.first(), amina, django_capture_on_commit_callbacks)

    sweep()
    sweep()

    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == "+31612345678"
    assert booking.reference in sms_outbox[0].body
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.provider_id == sms_outbox[0].provider_id
    assert Event.objects.get(booking=booking).relayed_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_is_sent_once_when_relays_run_at_the_same_time(
    appointments, amina, sms_outbox, broker_down
):
    services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    assert sms_outbox == []
    start = threading.Barrier(4)

    def relay_at_once() -> None:
        try:
            start.wait()
            relay.relay_outbox()
        finally:
            connection.close()

    threads = [threading.Thread(target=relay_at_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sweep()

    assert len(sms_outbox) == 1
    assert OutboundMessage.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_booking_that_rolls_back_sends_nothing(appointments, amina, sms_outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
        raise RuntimeError("the counter page failed after booking")
    sweep()

    assert sms_outbox == []
    assert not Booking.objects.exists()
    assert not Event.objects.exists()
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_the_broker_is_down_stands_and_the_sweep_sends_it_once(
    appointments, amina, sms_outbox, broker_down, caplog
):
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)

    # The booking came back (before the fix it hung in kombu's connection retries for good).
    assert Booking.objects.get(pk=booking.pk).status == "booked"
    assert "the outbox sweep will relay" in caplog.text
    assert sms_outbox == []
    assert not OutboundMessage.objects.exists()
    assert Event.objects.get(booking=booking).relayed_at is None

    sweep()
    sweep()

    assert len(sms_outbox) == 1
    assert booking.reference in sms_outbox[0].body
    assert OutboundMessage.objects.get().status == "sent"


def test_a_message_taken_over_by_another_relay_during_a_slow_batch_is_sent_once(
    appointments, languages, sms_outbox, settings, frozen_time, django_capture_on_commit_callbacks
):
    settings.SMS_GATEWAY = f"{__name__}.SlowGateway"
    SlowGateway.frozen_time, SlowGateway.sends = frozen_time, 0
    # Booked without running the kick, so that one relay finds all three messages at once.
    with django_capture_on_commit_callbacks(execute=False):
        for i, slot in enumerate(appointments.slots.order_by("starts_at")[:3]):
            visitor = Visitor.objects.create(phone=f"+3161234500{i}", language=languages["en"])
            services.book(slot=slot, visitor=visitor, channel=Channel.SMS)

    relay.relay_outbox()

    # The first relay sent the first two; the one that took over sent the third, once.
    assert [sms.to for sms in sms_outbox] == ["+31612345000", "+31612345002", "+31612345001"]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


# --- when the provider fails -----------------------------------------------------------------


def test_a_message_the_provider_could_not_take_is_sent_on_a_later_sweep(
    appointments, amina, sms_outbox, flaky_gateway, frozen_time, django_capture_on_commit_callbacks
):
    flaky_gateway.outage = 1
    book(appointments.slots.first(), amina, django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "503" in message.last_error
    assert sms_outbox == []

    sweep()  # too soon: the provider gets time to recover
    assert sms_outbox == []

    frozen_time.shift(dt.timedelta(seconds=31))
    sweep()
    sweep()

    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")


def test_a_visitor_who_opts_out_while_a_message_waits_for_a_retry_does_not_get_it(
    appointments, amina, sms_outbox, flaky_gateway, frozen_time, django_capture_on_commit_callbacks
):
    flaky_gateway.outage = 1
    book(appointments.slots.first(), amina, django_capture_on_commit_callbacks)
    services.update_visitor(amina, sms_consent=False)

    frozen_time.shift(dt.timedelta(minutes=5))
    sweep()

    assert sms_outbox == []
    message = OutboundMessage.objects.get()
    assert (message.status, message.last_error) == ("failed", "The visitor no longer takes SMS.")


def test_a_gateway_that_crashes_is_treated_like_an_outage(
    appointments, amina, sms_outbox, flaky_gateway, frozen_time, django_capture_on_commit_callbacks
):
    flaky_gateway.outage = 1
    flaky_gateway.error = ConnectionResetError("connection reset by peer")
    book(appointments.slots.first(), amina, django_capture_on_commit_callbacks)
    assert OutboundMessage.objects.get().status == "queued"

    frozen_time.shift(dt.timedelta(minutes=1))
    sweep()

    assert len(sms_outbox) == 1


def test_waits_grow_between_tries_and_the_relay_gives_up_after_the_last_attempt(
    appointments,
    amina,
    sms_outbox,
    flaky_gateway,
    frozen_time,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    flaky_gateway.outage = 99
    book(appointments.slots.first(), amina, django_capture_on_commit_callbacks)
    message = OutboundMessage.objects.get()
    assert message.retry_at == timezone.now() + dt.timedelta(seconds=30)

    frozen_time.shift(dt.timedelta(seconds=30))
    sweep()
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.retry_at == timezone.now() + dt.timedelta(seconds=60)

    frozen_time.shift(dt.timedelta(seconds=60))
    sweep()
    frozen_time.shift(dt.timedelta(hours=2))
    sweep()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert sms_outbox == []


def test_a_number_the_provider_refuses_for_good_is_marked_failed_and_not_tried_again(
    appointments,
    amina,
    sms_outbox,
    rejecting_gateway,
    frozen_time,
    django_capture_on_commit_callbacks,
):
    book(appointments.slots.first(), amina, django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "21211" in message.last_error

    frozen_time.shift(dt.timedelta(hours=3))
    sweep()

    assert rejecting_gateway.calls == 1
    assert OutboundMessage.objects.get().status == "failed"


def test_a_message_whose_worker_died_on_its_last_attempt_is_marked_failed(
    appointments, amina, sms_outbox, settings, frozen_time
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    # Committed, but not yet relayed (this test's on-commit callbacks do not run).
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    # What a worker killed inside `gateway.send` leaves behind: its last attempt, claimed.
    OutboundMessage.objects.create(
        event=Event.objects.get(booking=booking),
        visitor=amina,
        to=amina.phone,
        language="en",
        body="...",
        attempts=1,
        claimed_at=timezone.now(),
        claim_token="a-worker-that-died",
    )

    sweep()
    assert OutboundMessage.objects.get().status == "queued"  # the worker may still be alive

    frozen_time.shift(dt.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1))
    sweep()

    message = OutboundMessage.objects.get()
    assert (message.status, message.last_error) == ("failed", "No attempts left.")
    assert sms_outbox == []


# --- who gets a message ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    ["no phone", "no SMS consent", "opted out"],
)
def test_a_visitor_who_cannot_or_will_not_get_sms_gets_no_message(
    reason, walk_in, languages, sam, sms_outbox, django_capture_on_commit_callbacks
):
    visitor = services.register_visitor(
        language=languages["uk"],
        phone="" if reason == "no phone" else "+31655556666",
        sms_consent=reason != "no SMS consent",
        actor=sam,
    )
    if reason == "opted out":
        Visitor.objects.filter(pk=visitor.pk).update(sms_opted_out_at=timezone.now())
        visitor.refresh_from_db()

    booking = book(
        walk_in.slots.get(),
        visitor,
        django_capture_on_commit_callbacks,
        channel=Channel.COUNTER,
        booked_by=sam,
    )

    assert booking.status == "booked"
    assert sms_outbox == []
    assert not OutboundMessage.objects.exists()
    # The event is done with, not left for the sweep to pick up again and again.
    assert Event.objects.get(booking=booking).relayed_at is not None


def test_a_household_sharing_a_phone_gets_one_message_per_booking(
    walk_in, yonas, saba, sms_outbox, django_capture_on_commit_callbacks
):
    slot = walk_in.slots.get()
    for_yonas = book(slot, yonas, django_capture_on_commit_callbacks)
    for_saba = book(slot, saba, django_capture_on_commit_callbacks)
    sweep()

    assert [sms.to for sms in sms_outbox] == ["+31687654321", "+31687654321"]
    yonas_sms, saba_sms = (sms.body for sms in sms_outbox)
    assert for_yonas.reference in yonas_sms
    assert "This message is for Yonas." in yonas_sms
    assert for_saba.reference in saba_sms
    assert "This message is for Saba." in saba_sms


def test_a_cancelled_session_tells_each_booking_of_a_household_once(
    walk_in, yonas, saba, olga, sms_outbox, django_capture_on_commit_callbacks
):
    slot = walk_in.slots.get()
    book(slot, yonas, django_capture_on_commit_callbacks)
    book(slot, saba, django_capture_on_commit_callbacks)
    sms_outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_session(walk_in, actor=olga, reason="the host is ill")
    sweep()

    assert len(sms_outbox) == 2
    assert all(sms.body.startswith("CANCELLED: ") for sms in sms_outbox)
    assert {sms.body.count("This message is for") for sms in sms_outbox} == {1}


# --- beat ------------------------------------------------------------------------------------


def test_beat_sweeps_the_outbox_every_few_seconds():
    sweeps = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "notifications.relay_outbox"
    ]
    assert len(sweeps) == 1
    assert 0 < sweeps[0]["schedule"] <= 60
    assert "notifications.relay_outbox" in celery_app.tasks
    assert celery_app.conf.beat_schedule == django_settings.CELERY_BEAT_SCHEDULE
