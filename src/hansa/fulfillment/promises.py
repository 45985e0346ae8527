"""The delivery promise read model: promises cached per SKU and destination zone (h3 cell),
dropped when that SKU's stock moves, when the network changes, or at the next cut-off."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from hansa.fulfillment import queries
from hansa.fulfillment.destinations import destination
from hansa.fulfillment.promise import Promise, promise, valid_until, with_inbound
from hansa.kernel.geo import Position, zone_of
from hansa.shipping import queries as shipping

STOCK_CHANGED = "hansa.inventory.stock_changed.v1"
NETWORK_CHANGED = ("hansa.fulfillment.node_configured.v1", "hansa.shipping.carrier_defined.v1",
                   "hansa.inventory.location_created.v1",
                   "hansa.logistics.carrier_lane_tripped.v1")


@dataclass(frozen=True, slots=True)
class Cached:
    promise: Promise
    until: datetime
    generation: int


class Promises:
    """Promise lookups; `listener` is hooked to the bus's commits for invalidation."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str], Cached] = {}
        self._by_sku: dict[str, set[tuple[str, str, str]]] = {}
        self._generation = 0  # bumped when everything goes (network changes)
        self._epoch = 0  # bumped whenever anything goes: a result computed across it is stale
        self._lock = threading.Lock()
        self._zones: dict[tuple[str, str], tuple[str, Position]] = {}
        self.hits = 0
        self.misses = 0

    def zone(self, postal_code: str, country: str) -> tuple[str, Position]:
        key = (postal_code.strip().upper(), country.upper())
        found = self._zones.get(key)
        if found is None:
            position = destination(*key)
            found = (zone_of(position), position)
            self._zones[key] = found
        return found

    def lookup(self, conn: Connection, skus: list[str], postal_code: str, country: str,
               now: datetime) -> dict[str, Promise]:
        """Promises for `skus` to a postal code, from the zone cache where still valid."""
        zone, position = self.zone(postal_code, country)
        country = country.upper()
        out: dict[str, Promise] = {}
        missing = []
        for sku in skus:
            hit = self._cache.get((sku, zone, country))
            if hit is not None and hit.until > now and hit.generation == self._generation:
                out[sku] = hit.promise
                self.hits += 1
            else:
                missing.append(sku)
        if missing:
            self.misses += len(missing)
            out.update(self._compute(conn, missing, zone, position, country, postal_code, now,
                                     self._generation, self._epoch))
        return out

    def _compute(self, conn: Connection, skus: list[str], zone: str, position: Position,
                 country: str, postal_code: str, now: datetime, generation: int, epoch: int
                 ) -> dict[str, Promise]:
        carriers = shipping.carriers(conn)
        # Tripped carrier lanes are keyed by postal prefix, the cache by zone: a zone takes
        # the lanes of the postal code that filled it (zones are far smaller than prefixes).
        nodes = queries.open_nodes(conn, queries.nodes(conn), [c.code for c in carriers],
                                   country, postal_code, now)
        lines = queries.lines_for(conn, [(sku, 1) for sku in skus])
        wanted = sorted({ln.sku for ln in lines} | {c for ln in lines for c, _ in ln.components})
        node_ids = {n.id for n in nodes}
        atp = queries.atp(conn, wanted, node_ids)
        until = valid_until(now, nodes)
        out = {}
        for line in lines:
            found = with_inbound(promise(line, position, country, nodes, carriers, atp, now),
                                 line, position, country, nodes, carriers,
                                 queries.inbound(conn, line.sku, node_ids), now)
            out[line.sku] = found
            key = (line.sku, zone, country)
            with self._lock:
                if epoch == self._epoch:  # nothing was invalidated while computing
                    self._cache[key] = Cached(found, until, generation)
                    self._by_sku.setdefault(line.sku, set()).add(key)
                    for sku, _ in line.components:  # a CTO promise moves with its parts
                        self._by_sku.setdefault(sku, set()).add(key)
        return out

    def invalidate_sku(self, sku: str) -> None:
        with self._lock:
            self._epoch += 1
            for key in self._by_sku.pop(sku, set()):
                self._cache.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._epoch += 1
            self._generation += 1
            self._cache.clear()
            self._by_sku.clear()

    def listener(self, envelopes: list[Any]) -> None:
        """For `bus.on_commit`: stock moved -> that SKU's promises go; network -> all go."""
        for envelope in envelopes:
            if envelope.type == STOCK_CHANGED:
                sku = envelope.data.get("sku")
                if sku is None:  # an envelope flushed without its data: which SKU is unknown
                    self.clear()
                else:
                    self.invalidate_sku(str(sku))
            elif envelope.type in NETWORK_CHANGED:
                self.clear()
