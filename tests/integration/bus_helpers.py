"""Test-only events, an effects table and a bus rig shared by the bus test modules.

The rig is wired by hand the way `hansa.bootstrap` wires the bus, so that a test can pick the
transport (in-process or NATS JetStream) and the retry policy. Consumers write one row into
`bustest_effects` inside their unit of work: that row is the observable effect, and it commits
or rolls back together with the consumer's inbox row.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hansa import migrations
from hansa.automation.engine import Engine
from hansa.bootstrap import Hansa
from hansa.bus.backends.memory import InProcessTransport
from hansa.bus.deliveries import DeliveryWorker
from hansa.bus.dispatcher import Dispatcher, RetryPolicy
from hansa.bus.messagebus import EventHandler, MessageBus
from hansa.bus.relay import Relay
from hansa.bus.store import inbox, outbox
from hansa.bus.transport import Transport
from hansa.bus.unit_of_work import UnitOfWork
from hansa.bus.worker import BusWorker
from hansa.config import Settings
from hansa.db.engine import Database
from hansa.kernel.clock import VirtualClock
from hansa.kernel.messages import Event

FAST = RetryPolicy(max_attempts=3, base=timedelta(0))
"""Retry at once: contract tests look at outcomes, not at backoff."""

TEST_METADATA = sa.MetaData()
effects = sa.Table(
    "bustest_effects",
    TEST_METADATA,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(60), nullable=False),
    sa.Column("n", sa.Integer(), nullable=False),
)


@dataclass(frozen=True)
class Pinged(Event):
    context = "bustest"
    n: int
    note: str = ""

    def subject(self) -> str:
        return f"ping-{self.n}"


@dataclass(frozen=True)
class Ponged(Event):
    context = "bustest"
    n: int


class Fault:
    """What a test consumer raises after its write, until the test clears it."""

    def __init__(self, error: type[Exception] | None = None) -> None:
        self.error = error

    def clear(self) -> None:
        self.error = None


def recording_handler(name: str, calls: list[tuple[str, int]],
                      fault: Fault | None = None) -> EventHandler:
    """A consumer that logs each call, writes its effect row, then raises if `fault` is set."""

    def handle(event: Any, uow: UnitOfWork) -> None:
        calls.append((name, event.n))
        uow.conn.execute(effects.insert().values(consumer=name, n=event.n))
        if fault is not None and fault.error is not None:
            raise fault.error(f"injected failure in {name} for n={event.n}")

    return handle


def create_effects_table(db: Database) -> None:
    TEST_METADATA.create_all(db.engine)


def effect_rows(db: Database) -> list[tuple[str, int]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(effects.c.consumer, effects.c.n).order_by(effects.c.id))
        return [(r.consumer, r.n) for r in rows]


def inbox_rows(db: Database) -> list[tuple[str, str]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(inbox.c.consumer, inbox.c.event_id))
        return sorted((r.consumer, r.event_id) for r in rows)


def unrelayed_count(db: Database) -> int:
    with db.read() as conn:
        query = sa.select(sa.func.count()).where(outbox.c.relayed_at.is_(None))
        return int(conn.execute(query).scalar_one())


def mark_all_unrelayed(db: Database) -> None:
    """What a crash after the transport took the events, before the relay's commit, leaves."""
    with db.write() as conn:
        conn.execute(outbox.update().values(relayed_at=None))
        conn.commit()


def vacuum(db: Database) -> None:
    """Let the database reuse the space of delivered rows, as autovacuum does in production."""
    if db.is_sqlite:  # the driver runs in autocommit mode; Hansa emits BEGIN itself
        raw = db.engine.raw_connection()
        try:
            raw.cursor().execute("VACUUM")
        finally:
            raw.close()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM bus_deliveries")


def drain_worker(worker: BusWorker, *, idle_passes: int = 1, max_rounds: int = 200) -> int:
    """Run the worker until `idle_passes` drains in a row find nothing; returns the work done."""
    total, idle = 0, 0
    for _ in range(max_rounds):
        done = worker.run_until_idle()
        total += done
        idle = idle + 1 if done == 0 else 0
        if idle >= idle_passes:
            return total
    raise AssertionError(f"the bus did not go idle within {max_rounds} drains")


@dataclass
class BusRig:
    """One Hansa bus on a migrated database, with a chosen transport and a virtual clock."""

    app: Hansa
    clock: VirtualClock
    kind: str
    stream: str | None = None
    calls: list[tuple[str, int]] = field(default_factory=list)
    _started: bool = False

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def bus(self) -> MessageBus:
        return self.app.bus

    def subscribe(self, event_type: type[Event], name: str, fault: Fault | None = None) -> None:
        if self._started:
            raise AssertionError("subscribe every consumer before the transport starts")
        self.bus.subscribe(event_type, name, recording_handler(name, self.calls, fault))

    def start(self) -> None:
        if not self._started:
            self.app.transport.start()
            self._started = True

    def publish(self, *events: Event, deliver_at: datetime | None = None) -> list[str]:
        """Commit one unit of work that records `events`; returns their event ids in order."""
        with self.bus.uow() as uow:
            for event in events:
                uow.record(event, deliver_at=deliver_at)
            uow.commit()
        return [envelope.id for envelope in uow.envelopes]

    def relay_once(self) -> int:
        self.start()
        return self.app.worker.relay.relay_once()

    def drain(self) -> int:
        """Deliver everything that is due; NATS fetches asynchronously, so demand quiet passes."""
        self.start()
        return drain_worker(self.app.worker, idle_passes=3 if self.kind == "nats" else 1)

    def effects(self) -> list[tuple[str, int]]:
        return effect_rows(self.db)

    def close(self) -> None:
        try:
            self.app.close()
        finally:
            if self.stream is not None:
                asyncio.run(_delete_stream(self.app.settings.nats_url, self.stream))


def build_rig(url: str, kind: str, *, clock: VirtualClock | None = None,
              retry: RetryPolicy = FAST, nats_url: str = "nats://127.0.0.1:4222") -> BusRig:
    """Wire database, bus, dispatcher, transport and worker as `hansa.bootstrap` does."""
    clock = clock or VirtualClock()
    settings = Settings(db=url, bus="nats" if kind == "nats" else "memory", nats_url=nats_url)
    db = Database(url)
    migrations.upgrade(db)
    create_effects_table(db)
    bus = MessageBus(db, clock)
    engine = Engine(bus)
    dispatcher = Dispatcher(bus, retry)
    stream: str | None = None
    transport: Transport
    if kind == "nats":
        from hansa.bus.backends.nats import NatsTransport

        tag = uuid.uuid4().hex[:12]
        stream = f"T{tag}"
        transport = NatsTransport(bus, dispatcher, nats_url, stream=stream,
                                  subject_prefix=f"t{tag}")
    else:
        transport = InProcessTransport(bus)
    worker = BusWorker(Relay(bus, transport), DeliveryWorker(bus, dispatcher), transport)
    bus.on_commit(lambda _envelopes: worker.wake())
    app = Hansa(settings=settings, db=db, clock=clock, bus=bus, dispatcher=dispatcher,
                transport=transport, worker=worker, engine=engine)
    return BusRig(app=app, clock=clock, kind=kind, stream=stream)


async def _delete_stream(url: str, stream: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(url, connect_timeout=5)
    try:
        await nc.jetstream().delete_stream(stream)
    except NotFoundError:
        pass  # the transport never started, so it never created the stream
    finally:
        await nc.close()
