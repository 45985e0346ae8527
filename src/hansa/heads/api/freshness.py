"""What changed since a read model was built: versions bumped by committed events.

Local commits report their events at once (through the bus's commit listeners); commits of
other processes sharing the database are picked up by polling new outbox rows. Read models
compare the versions they were built at with the current ones instead of querying.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from hansa.bus.store import outbox
from hansa.db.engine import Database
from hansa.kernel.messages import Envelope

log = logging.getLogger(__name__)

STATIC_PREFIXES = ("hansa.catalog.", "hansa.pricing.", "hansa.channels.")
STOCK_PREFIXES = ("hansa.inventory.",)
NO_STOCK_EFFECT = ("hansa.inventory.reservation_expiry_due.v1",)  # a timer, nothing moved
STOCK_HISTORY = 1024  # stock versions whose SKUs are remembered for incremental re-reads


def moved_skus(event_type: str, data: Mapping[str, Any]) -> frozenset[str] | None:
    """The SKUs an inventory event says moved; None when it does not say (re-read all)."""
    if "sku" in data:
        return frozenset([str(data["sku"])])
    if data.get("allocations"):
        return frozenset(str(a["sku"]) for a in data["allocations"])
    return None


class ChangeFeed:
    """Two counters: `static` (catalog, prices, channels) and `stock` (inventory movements),
    and for recent stock versions the SKUs that moved, so a read model re-reads only those."""

    def __init__(self, db: Database, poll_interval: float = 0.1) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self.static_version = 0
        self.stock_version = 0
        self._last_position = 0
        self._stock_log: deque[tuple[int, frozenset[str] | None]] = deque(maxlen=STOCK_HISTORY)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def observe(self, events: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Note (type, data) of committed events."""
        static = False
        moved: set[str] | None = set()
        stock = False
        for event_type, data in events:
            static = static or event_type.startswith(STATIC_PREFIXES)
            if event_type.startswith(STOCK_PREFIXES) and event_type not in NO_STOCK_EFFECT:
                stock = True
                skus = moved_skus(event_type, data)
                moved = None if skus is None or moved is None else moved | skus
        with self._lock:
            if static:
                self.static_version += 1
            if stock:
                self.stock_version += 1
                self._stock_log.append((self.stock_version,
                                        None if moved is None else frozenset(moved)))

    def on_commit(self, envelopes: list[Envelope]) -> None:
        self.observe((e.type, e.data) for e in envelopes)

    def moved_since(self, version: int) -> set[str] | None:
        """The SKUs whose stock moved after `version`; None when that is not known (too far
        back, or an event that did not say): the caller re-reads everything."""
        with self._lock:
            if version == self.stock_version:
                return set()
            if not self._stock_log or self._stock_log[0][0] > version + 1:
                return None
            found: set[str] = set()
            for at, skus in self._stock_log:
                if at <= version:
                    continue
                if skus is None:
                    return None
                found |= skus
            return found

    def poll_once(self) -> int:
        """Observe outbox rows written since the last poll (by any process); returns how many."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(outbox.c.position, outbox.c.type, outbox.c.data)
                .where(outbox.c.position > self._last_position)
                .order_by(outbox.c.position)
                .limit(10_000)
            ).all()
        if rows:
            self._last_position = rows[-1].position
            self.observe((r.type, r.data or {}) for r in rows)
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
