"""How fast does the one door book, and what do its locks cost? (`make bench`)

Two scenarios on PostgreSQL, each against a baseline measured in the same run:

1. sequential: N bookings, one per visitor, spread over N appointment slots, through
   `services.book`; baseline: the same N booking rows inserted plainly, one transaction each,
   without locks, counters or events.
2. race: T threads book one walk-in hour with fewer places than visitors, through
   `services.book`; baseline: the same threads inserting plainly, which overbooks.

Prints figures, asserts nothing. Runs in its own throw-away database (`test_<name>` of
DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench), created and dropped here. The
outbox relay is not kicked: events are written, as in production, but not sent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["SMS_GATEWAY"] = "notifications.gateways.MemoryGateway"
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.db import IntegrityError, connection, connections, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from interpreters.models import Language  # noqa: E402
from scheduler import errors, services  # noqa: E402
from scheduler.models import Booking, Channel, Location, Service, Session, Visitor  # noqa: E402
from scheduler.references import new_reference  # noqa: E402
from scheduler.signals import events_recorded  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=200, help="sequential bookings")
    parser.add_argument("--threads", type=int, default=8, help="racing threads")
    parser.add_argument("--visitors", type=int, default=200, help="visitors in the race")
    parser.add_argument("--places", type=int, default=100, help="places in the raced walk-in")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; median shown")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("make bench needs PostgreSQL (row locks, real concurrency): set DATABASE_URL.")

    # Measure the door, not the relay: the on-commit kick would reach for a broker.
    events_recorded.disconnect(dispatch_uid="notifications.kick_relay")
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    print(f"database {test_db} on PostgreSQL {connection.pg_version // 10000}; "
          f"median of {args.repeat} runs\n")
    try:
        world = World.make()
        results = {
            "sequential": sequential(world, args.bookings, args.repeat),
            "race": race(world, args.threads, args.visitors, args.places, args.repeat),
        }
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(test_db, verbosity=0)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    (out / f"booking_throughput-{stamp}.json").write_text(json.dumps(results, indent=2))


class World:
    """One language, location and service; sessions are published per run, tomorrow onwards."""

    def __init__(self, language: Language, location: Location, service: Service):
        self.language, self.location, self.service = language, location, service
        self.day = 0

    @classmethod
    def make(cls) -> World:
        language = Language.objects.create(
            code="ar", name="Arabic", endonym="العربية", direction="rtl"
        )
        location = Location.objects.create(name="Stadhuis", address="Stadhuisplein 1")
        service = Service.objects.create(name="Intake", slug="intake", duration_minutes=5)
        return cls(language, location, service)

    def session(self, kind: str, slots: int, capacity: int = 1) -> Session:
        # A fresh day for every session: visitors never overlap with an earlier run.
        self.day += 1
        start = (timezone.now() + dt.timedelta(days=self.day)).replace(
            hour=6, minute=0, second=0, microsecond=0
        )
        length = dt.timedelta(minutes=5 * slots)
        return services.publish_session(
            service=self.service,
            location=self.location,
            kind=kind,
            starts_at=start,
            ends_at=start + length,
            capacity=capacity,
            languages=[services.LanguageOffer(self.language)],
        )

    def visitors(self, n: int) -> list[Visitor]:
        return Visitor.objects.bulk_create(
            Visitor(phone=f"+3161{i:07d}", language=self.language) for i in range(n)
        )


def plain_insert(slot, visitor: Visitor, language: Language) -> None:
    """What a booking costs without the door: one row, its own transaction, nothing else. A
    clashing random reference is drawn again, as the door does."""
    for _attempt in range(20):
        try:
            with transaction.atomic():
                Booking.objects.create(
                    reference=new_reference(),
                    slot=slot,
                    visitor=visitor,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    language=language,
                    interpreter_needed=True,
                    interpreter_status="confirmed",
                    channel=Channel.API,
                )
            return
        except IntegrityError:
            continue
    raise RuntimeError("no free reference")


def sequential(world: World, n: int, repeat: int) -> dict:
    door, plain = [], []
    for _ in range(repeat):
        slots = list(world.session(Session.Kind.APPOINTMENTS, n).slots.order_by("pk"))
        people = world.visitors(n)
        started = time.perf_counter()
        for slot, visitor in zip(slots, people, strict=True):
            services.book(slot=slot, visitor=visitor, channel=Channel.API)
        door.append(time.perf_counter() - started)

        slots = list(world.session(Session.Kind.APPOINTMENTS, n).slots.order_by("pk"))
        people = world.visitors(n)
        started = time.perf_counter()
        for slot, visitor in zip(slots, people, strict=True):
            plain_insert(slot, visitor, world.language)
        plain.append(time.perf_counter() - started)

    # Round trips per booking: the usual reason a door is slower than one INSERT.
    slot = world.session(Session.Kind.APPOINTMENTS, 1).slots.get()
    with CaptureQueriesContext(connection) as door_queries:
        services.book(slot=slot, visitor=world.visitors(1)[0], channel=Channel.API)
    slot = world.session(Session.Kind.APPOINTMENTS, 1).slots.get()
    with CaptureQueriesContext(connection) as plain_queries:
        plain_insert(slot, world.visitors(1)[0], world.language)

    d, p = statistics.median(door), statistics.median(plain)
    print(f"1. sequential: {n} bookings over {n} slots, one thread")
    print(f"   services.book   {d:7.3f} s  {n / d:8.1f} bookings/s  {d / n * 1000:6.2f} ms each")
    print(f"   plain INSERT    {p:7.3f} s  {n / p:8.1f} rows/s      {p / n * 1000:6.2f} ms each")
    print(f"   ratio           {d / p:7.2f} x the plain insert")
    print(f"   queries         {len(door_queries)} per booking through the door, "
          f"{len(plain_queries)} for the plain insert (savepoints and transaction included)\n")
    return {
        "bookings": n, "door_s": d, "plain_s": p, "ratio": d / p,
        "door_queries": len(door_queries), "plain_queries": len(plain_queries),
    }


def race(world: World, threads: int, visitors: int, places: int, repeat: int) -> dict:
    door, plain, outcomes = [], [], []
    for _ in range(repeat):
        slot = world.session(Session.Kind.WALK_IN, 1, capacity=places).slots.get()
        people = world.visitors(visitors)
        refused: list[str] = []

        def book(visitor: Visitor, slot=slot, refused=refused) -> None:
            try:
                services.book(slot=slot, visitor=visitor, channel=Channel.API)
            except errors.BookingError as exc:
                refused.append(exc.code)

        door.append(_in_threads(threads, people, book))
        booked = Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE).count()
        slot.refresh_from_db()
        outcomes.append((booked, len(refused), slot.taken))

        slot = world.session(Session.Kind.WALK_IN, 1, capacity=places).slots.get()
        people = world.visitors(visitors)
        plain.append(
            _in_threads(threads, people, lambda v, s=slot: plain_insert(s, v, world.language))
        )
        plain_rows = Booking.objects.filter(slot=slot).count()

    d, p = statistics.median(door), statistics.median(plain)
    booked, refused, taken = outcomes[-1]
    print(f"2. race: {threads} threads, {visitors} visitors, one walk-in hour with {places} places")
    print(f"   services.book   {d:7.3f} s  {visitors / d:8.1f} attempts/s  "
          f"booked {booked}, refused {refused} (slot_full), taken {taken}/{places}")
    print(f"   plain INSERT    {p:7.3f} s  {visitors / p:8.1f} rows/s      "
          f"rows {plain_rows}: no lock, no count, overbooked by {plain_rows - places}")
    print(f"   ratio           {d / p:7.2f} x the plain insert")
    return {
        "threads": threads, "visitors": visitors, "places": places,
        "door_s": d, "plain_s": p, "ratio": d / p,
        "booked": booked, "refused": refused, "taken": taken,
    }


def _in_threads(threads: int, items: list, work) -> float:
    """Run `work(item)` for every item on `threads` threads, each with its own connection;
    the wall time from a common start."""
    chunks = [items[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def run(chunk: list) -> None:
        try:
            start.wait()
            for item in chunk:
                work(item)
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for w in workers:
        w.start()
    started = time.perf_counter()
    start.wait()
    for w in workers:
        w.join()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
