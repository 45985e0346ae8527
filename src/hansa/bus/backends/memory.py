"""The embedded transport: relayed events fan out into durable delivery rows in the same DB."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from hansa.bus import deliveries
from hansa.bus.messagebus import MessageBus
from hansa.bus.outbox import OutboxRow


class InProcessTransport:
    """One process, one database: no broker to run. Deliveries are drained by DeliveryWorker."""

    name = "memory"

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    def handoff(self, conn: Connection, rows: Sequence[OutboxRow]) -> None:
        deliveries.enqueue_many(conn, [
            ([c.name for c in self.bus.consumers_of(row.envelope.type)], row.envelope,
             row.deliver_at) for row in rows])

    def consume_once(self, max_messages: int) -> int:
        return 0  # the DeliveryWorker drains bus_deliveries for this transport

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None
