"""Moves due outbox rows to the transport; a crash between commit and relay loses nothing."""

from __future__ import annotations

from hansa.bus import outbox
from hansa.bus.messagebus import MessageBus
from hansa.bus.transport import Transport


class Relay:
    """Reads due, unrelayed outbox rows in order and hands them to the transport."""

    def __init__(self, bus: MessageBus, transport: Transport, batch: int = 500) -> None:
        self.bus = bus
        self.transport = transport
        self.batch = batch

    def relay_once(self) -> int:
        now = self.bus.clock.now()
        with self.bus.db.read() as conn:  # an idle pass never queues for the writer
            if not outbox.any_due(conn, now):
                return 0
        with self.bus.db.write() as conn:
            # Marked relayed as they are read, in the same transaction: if the hand-over fails,
            # the rollback leaves them unrelayed.
            rows = outbox.claim_due(conn, now, self.batch, skip_locked=not self.bus.db.is_sqlite)
            if not rows:
                return 0
            waiting = self.transport.handoff(conn, rows)
            if waiting is not None:
                waiting()
            conn.commit()
        return len(rows)
