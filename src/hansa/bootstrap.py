"""Composition root: settings -> database -> bus -> handlers and consumers -> worker.

Only this module builds adapters; everything else receives what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hansa import migrations
from hansa.bus.backends.memory import InProcessTransport
from hansa.bus.deliveries import DeliveryWorker
from hansa.bus.dispatcher import Dispatcher, RetryPolicy
from hansa.bus.messagebus import MessageBus
from hansa.bus.relay import Relay
from hansa.bus.transport import Transport
from hansa.bus.worker import BusWorker
from hansa.catalog import handlers as catalog
from hansa.catalog import messages as catalog_msg
from hansa.config import Settings
from hansa.db.engine import Database
from hansa.kernel.clock import Clock, SystemClock


@dataclass
class Hansa:
    """A running Hansa: what heads, the CLI, tests and the simulator talk to."""

    settings: Settings
    db: Database
    clock: Clock
    bus: MessageBus
    dispatcher: Dispatcher
    transport: Transport
    worker: BusWorker
    extras: dict[str, object] = field(default_factory=dict)

    def close(self) -> None:
        self.worker.stop()
        self.db.dispose()


def register_handlers(bus: MessageBus) -> None:
    """Every command's one handler and every event's consumers, in one readable list."""
    bus.register(catalog_msg.CreateProduct, catalog.create_product)
    bus.register(catalog_msg.UpdateProduct, catalog.update_product)
    bus.register(catalog_msg.AddVariant, catalog.add_variant)


def build_transport(settings: Settings, bus: MessageBus, dispatcher: Dispatcher) -> Transport:
    if settings.bus == "nats":
        from hansa.bus.backends.nats import NatsTransport

        return NatsTransport(bus, dispatcher, settings.nats_url, stream=settings.nats_stream)
    return InProcessTransport(bus)


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool = False,
    retry: RetryPolicy | None = None,
    transport: Transport | None = None,
) -> Hansa:
    """Wire a Hansa. `migrate=True` brings the schema to the newest revision first."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    db = Database(settings.db)
    if migrate:
        migrations.upgrade(db)
    bus = MessageBus(db, clock)
    register_handlers(bus)
    dispatcher = Dispatcher(
        bus, retry or RetryPolicy(max_attempts=settings.bus_max_attempts,
                                  base=timedelta(seconds=2))
    )
    transport = transport or build_transport(settings, bus, dispatcher)
    worker = BusWorker(
        Relay(bus, transport), DeliveryWorker(bus, dispatcher), transport,
        poll_interval=settings.bus_poll_seconds,
    )
    bus.on_commit(worker.wake)
    return Hansa(settings=settings, db=db, clock=clock, bus=bus, dispatcher=dispatcher,
                 transport=transport, worker=worker)
