"""The port between the outbox relay and whatever carries events to consumers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy.engine import Connection

from hansa.bus.outbox import OutboxRow


class Transport(Protocol):
    """Takes over relayed outbox rows. `handoff` runs inside the relay's transaction: if it
    raises, the rows stay unrelayed and are tried again; if it returns, they are marked relayed
    in that same commit. It may return a waiter instead of finishing (a broker's acks still on
    their way): the relay marks the rows, then calls it, and commits only if it returns."""

    name: str

    def handoff(
        self, conn: Connection, rows: Sequence[OutboxRow]
    ) -> Callable[[], None] | None: ...

    def consume_once(self, max_messages: int) -> int:
        """Deliver what the transport holds for local consumers; returns how many were attempted."""
        ...

    def start(self) -> None: ...

    def close(self) -> None: ...
