"""What changed since a read model was built: versions bumped by committed events.

Local commits report their events at once (through the bus's commit listeners); commits of
other processes sharing the database are picked up by polling new outbox rows. Read models
compare the versions they were built at with the current ones instead of querying.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import sqlalchemy as sa

from hansa.bus.store import outbox
from hansa.db.engine import Database
from hansa.kernel.messages import Envelope

log = logging.getLogger(__name__)

STATIC_PREFIXES = ("hansa.catalog.", "hansa.pricing.", "hansa.channels.")
STOCK_PREFIXES = ("hansa.inventory.",)


class ChangeFeed:
    """Two counters: `static` (catalog, prices, channels) and `stock` (inventory movements)."""

    def __init__(self, db: Database, poll_interval: float = 0.1) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self.static_version = 0
        self.stock_version = 0
        self._last_position = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def observe(self, types: Iterable[str]) -> None:
        static = stock = False
        for event_type in types:
            static = static or event_type.startswith(STATIC_PREFIXES)
            stock = stock or event_type.startswith(STOCK_PREFIXES)
        with self._lock:
            if static:
                self.static_version += 1
            if stock:
                self.stock_version += 1

    def on_commit(self, envelopes: list[Envelope]) -> None:
        self.observe(e.type for e in envelopes)

    def poll_once(self) -> int:
        """Observe outbox rows written since the last poll (by any process); returns how many."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(outbox.c.position, outbox.c.type)
                .where(outbox.c.position > self._last_position)
                .order_by(outbox.c.position)
                .limit(10_000)
            ).all()
        if rows:
            self._last_position = rows[-1].position
            self.observe(r.type for r in rows)
        return len(rows)

    def start(self) -> None:
        """Begin polling from the newest row (local commits are reported directly)."""
        if self._thread is not None:
            return
        with self.db.read() as conn:
            newest = conn.execute(sa.select(sa.func.max(outbox.c.position))).scalar()
        self._last_position = int(newest or 0)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hansa-change-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.poll_once()
            except Exception:  # the database may be restarting; try again next tick
                log.exception("change feed poll failed")
