"""A real Celery worker process, on its own Redis server, against the test database.

The test process's clock is frozen (tests/conftest.py); the worker runs on the real clock. That
is harmless here: the relay compares only its own claim times with its own clock, and rendering
a message does not care whether the slot is past.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from notifications.models import OutboundMessage
from scheduler import services
from scheduler.models import Channel, Event
from tests.notifications.conftest import celery_broker, free_port

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(django_settings.BASE_DIR)
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds  # monotonic: time_machine leaves it running
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up after {seconds:.0f}s waiting until {what}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis server of our own on a free port, gone after the test."""
    port = free_port()
    server = subprocess.Popen(
        [*f"redis-server --port {port} --bind 127.0.0.1 --appendonly no".split(), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        try:
            wait_until(lambda: _pings(client), 10, "our redis-server answers")
        finally:
            client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(server)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def broker(redis_url, monkeypatch) -> Iterator[str]:
    """This process kicks the relay through our Redis, with eager mode off."""
    with celery_broker(redis_url, monkeypatch):
        yield redis_url


def database_url_for_workers() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        stop(self.process, signal.SIGKILL)


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start `celery worker` processes; every one is stopped before the database is flushed."""
    workers: list[Worker] = []
    logs = []

    def start(broker_url: str, *, beat: bool = False, **env: str) -> Worker:
        name = f"relay-{uuid.uuid4().hex[:8]}"
        log_path = tmp_path / f"{name}.log"
        log = log_path.open("w")
        logs.append(log)
        command = [
            CELERY,
            *f"-A config worker --pool solo --loglevel INFO --hostname {name}@%h".split(),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / f"{name}-beat")]
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={
                **os.environ,
                "PYTHONPATH": str(BASE_DIR),
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "SECRET_KEY": "worker-test-secret-key",
                "DATABASE_URL": database_url_for_workers(),
                "CELERY_BROKER_URL": broker_url,
                "REDIS_URL": broker_url,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "SMS_GATEWAY": "notifications.gateways.ConsoleGateway",
                "OUTBOX_SWEEP_SECONDS": "1",
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker = Worker(process, log_path)
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            stop(worker.process)
        for log in logs:
            log.close()


def sent(message_ids: list[int]) -> bool:
    return OutboundMessage.objects.filter(pk__in=message_ids, status="sent").count() == len(
        message_ids
    )


def test_a_real_worker_sends_the_confirmation_of_a_committed_booking(
    appointments, amina, broker, start_worker
):
    # No beat: it is the on-commit kick, through Redis, that makes the worker relay.
    worker = start_worker(broker)

    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)

    def confirmation_sent() -> bool:
        return OutboundMessage.objects.filter(event__booking=booking, status="sent").exists()

    try:
        wait_until(confirmation_sent, 30, "the confirmation is sent")
    except AssertionError:
        print(worker.output())
        raise
    message = OutboundMessage.objects.get(event__booking=booking)
    assert message.provider_id.startswith("console-")
    assert message.attempts == 1
    assert worker.output().count("--- SMS to +31612345678") == 1
    assert booking.reference in worker.output()


def test_a_new_workers_sweep_delivers_what_a_killed_worker_left_behind(
    appointments, amina, yonas, broker, monkeypatch, start_worker, tmp_path
):
    mark = tmp_path / "hanging-send"
    stuck = start_worker(
        broker,
        SMS_GATEWAY="tests.notifications.worker_gateways.HangingGateway",
        HANGING_GATEWAY_MARK=str(mark),
    )
    first = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    wait_until(mark.exists, 30, "the first worker is sending (and hangs)")

    # The worker dies holding its claim on Amina's message.
    stuck.kill()
    held = OutboundMessage.objects.get(event__booking=first)
    assert (held.status, held.attempts) == ("queued", 1)
    assert held.claimed_at is not None
    # While no worker runs and Redis is unreachable, Yonas books: his kick is lost.
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0", monkeypatch):
        second = services.book(slot=appointments.slots.all()[1], visitor=yonas, channel=Channel.SMS)
    assert Event.objects.get(booking=second).relayed_at is None

    # A new worker with beat: its sweep takes over the stale claim and relays the lost event.
    rescuer = start_worker(broker, beat=True, OUTBOX_CLAIM_TIMEOUT_SECONDS="3")

    def both_sent() -> bool:
        return (
            OutboundMessage.objects.filter(
                event__booking__in=[first, second], status="sent"
            ).count()
            == 2
        )

    try:
        wait_until(both_sent, 30, "both messages are sent")
    except AssertionError:
        print(rescuer.output())
        raise
    held.refresh_from_db()
    assert held.attempts == 2
    output = rescuer.output()
    assert output.count("--- SMS to +31612345678") == 1
    assert output.count("--- SMS to +31687654321") == 1
    assert first.reference in output
    assert second.reference in output
