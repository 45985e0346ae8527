"""The storefront listing read model: products with channel prices and live availability.

Two parts, cached per channel and API process (ADR 0005):
- the static part (products, variants, channel prices) is rebuilt when a catalog, pricing or
  channel event is committed, when a promotion window opens or closes, or after `max_age`;
- availability is re-read (one grouped query) when stock has moved, at most once per
  `stock_lag` seconds: only the SKUs the change feed says moved, or all of them when it
  cannot say and after `max_age`.
A page whose parts are both fresh is served from memory without touching the database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from hansa.catalog import queries as catalog
from hansa.catalog.model import InventoryModel, Product
from hansa.channels import queries as channels
from hansa.channels.model import Channel, in_assortment
from hansa.db.engine import Database
from hansa.heads.api.freshness import ChangeFeed
from hansa.inventory import queries as inventory
from hansa.kernel.clock import Clock
from hansa.pricing import queries as pricing
from hansa.pricing.model import Quote


def variant_availability(model: InventoryModel, sku: str, components: list[list[Any]],
                         atp: dict[str, int]) -> int | None:
    """Units promisable now: MTS from stock, CTO from its scarcest component, MTO unbounded."""
    if model is InventoryModel.MTO:
        return None
    if model is InventoryModel.CTO:
        return min((atp.get(c_sku, 0) // qty for c_sku, qty in components), default=0)
    return atp.get(sku, 0)


def product_availability(product: Product, sku: str, atp: dict[str, int]) -> int | None:
    parts = [[c.sku, c.quantity] for c in product.components]
    return variant_availability(product.inventory_model, sku, parts, atp)


def _money(quote: Quote, name: str) -> dict[str, Any]:
    value = getattr(quote, name)
    return {"amount": value.amount, "currency": value.currency}


def static_view(product: Product, quotes: dict[str, Quote]) -> dict[str, Any] | None:
    """A product as the channel sells it, without availability; None when nothing is priced."""
    variants = [
        {"sku": v.sku, "title": v.title, "gtin": v.gtin, "options": v.options,
         "price": _money(quotes[v.sku], "unit_price"),
         "list_price": _money(quotes[v.sku], "list_unit_price"),
         "promotion_id": quotes[v.sku].promotion_id}
        for v in product.variants if v.sku in quotes
    ]
    if not variants:
        return None
    return {
        "id": product.id, "handle": product.handle, "title": product.title,
        "description": product.description, "category": product.category,
        "attributes": product.attributes, "media": list(product.media),
        "inventory_model": product.inventory_model.value,
        "lead_time_hours": product.lead_time_hours, "variants": variants,
        "_components": [[c.sku, c.quantity] for c in product.components],
    }


def with_availability(view: dict[str, Any], atp: dict[str, int]) -> dict[str, Any]:
    model = InventoryModel(view["inventory_model"])
    variants = []
    for variant in view["variants"]:
        available = variant_availability(model, variant["sku"], view["_components"], atp)
        variants.append(variant | {"available": available,
                                   "in_stock": available is None or available > 0})
    public = {k: v for k, v in view.items() if not k.startswith("_")}
    return public | {"variants": variants}


@dataclass
class _Static:
    version: int
    built_at: float
    valid_until: datetime | None
    views: list[dict[str, Any]]
    stocked_skus: list[str]
    serial: int
    view_skus: list[frozenset[str]] = field(default_factory=list)  # per view: SKUs it shows


@dataclass
class _Stock:
    version: int
    taken_at: float
    atp: dict[str, int]
    serial: int
    base: int | None = None  # serial of the snapshot this one was derived from
    moved: frozenset[str] | None = None  # SKUs re-read since `base`; None: all of them


@dataclass
class _ChannelEntry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    static: _Static | None = None
    stock: _Stock | None = None
    pages: dict[tuple[int, int, int, int], bytes] = field(default_factory=dict)
    listed: tuple[int, int, list[dict[str, Any]]] | None = None  # (static, stock serial, views)


class Listing:
    """Per-channel listing cache over one database, kept fresh by a ChangeFeed."""

    def __init__(self, db: Database, clock: Clock, feed: ChangeFeed, *, max_age: float = 5.0,
                 stock_lag: float = 0.1) -> None:
        self.db = db
        self.clock = clock
        self.feed = feed
        self.max_age = max_age
        self.stock_lag = stock_lag
        self._entries: dict[str, _ChannelEntry] = {}
        self._serial = 0
        self.builds = 0

    # freshness (no database) ------------------------------------------------------------------
    def _static_fresh(self, static: _Static | None, now: float) -> bool:
        return (static is not None and static.version == self.feed.static_version
                and now - static.built_at < self.max_age
                and (static.valid_until is None or self.clock.now() < static.valid_until))

    def _stock_fresh(self, stock: _Stock | None, now: float) -> bool:
        if stock is None or now - stock.taken_at >= self.max_age:
            return False
        return stock.version == self.feed.stock_version or now - stock.taken_at < self.stock_lag

    def _entry(self, channel: Channel) -> _ChannelEntry:
        entry = self._entries.get(channel.id)
        if entry is None:
            entry = self._entries.setdefault(channel.id, _ChannelEntry())
        return entry

    def cached_page(self, channel: Channel, limit: int, offset: int) -> bytes | None:
        """The page's JSON if every part of it is fresh; None means: call `page` (DB work)."""
        entry = self._entry(channel)
        now = time.monotonic()
        static, stock = entry.static, entry.stock
        if not (self._static_fresh(static, now) and self._stock_fresh(stock, now)):
            return None
        assert static is not None and stock is not None
        return entry.pages.get((static.serial, stock.serial, limit, offset))

    # building (database) ----------------------------------------------------------------------
    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _refresh(self, conn: Connection, channel: Channel, entry: _ChannelEntry) -> None:
        now = time.monotonic()
        if not self._static_fresh(entry.static, now):
            version = self.feed.static_version  # read before building: a change during the
            at = self.clock.now()               # build bumps it and forces the next rebuild
            products = [p for p in catalog.products(conn, active_only=True)
                        if in_assortment(channel, p.id, p.category)]
            quotes = pricing.quotes(conn, channel.price_list_id,
                                    [v.sku for p in products for v in p.variants], at)
            views = [v for v in (static_view(p, quotes) for p in products) if v is not None]
            stocked = sorted({v["sku"] for view in views for v in view["variants"]}
                             | {c[0] for view in views for c in view["_components"]})
            entry.static = _Static(version, now, pricing.next_price_change(
                conn, channel.price_list_id, at), views, stocked, self._next_serial(),
                [frozenset([v["sku"] for v in view["variants"]]
                           + [c[0] for c in view["_components"]]) for view in views])
            entry.stock = None
            entry.pages = {}
            self.builds += 1
        if not self._stock_fresh(entry.stock, now):
            assert entry.static is not None
            version = self.feed.stock_version  # read before the query, like the static part
            old = entry.stock
            atp, moved = self._atp(conn, entry.static, old, now)
            entry.stock = _Stock(version, now, atp, self._next_serial(),
                                 None if old is None else old.serial, moved)
            entry.pages = {}

    def _atp(self, conn: Connection, static: _Static, old: _Stock | None,
             now: float) -> tuple[dict[str, int], frozenset[str] | None]:
        """Availability of the channel's SKUs: only those that moved since `old` when the feed
        knows which did and `old` is younger than `max_age`, else all of them. Also returns
        the SKUs re-read (None: all)."""
        moved = None
        if old is not None and now - old.taken_at < self.max_age:
            moved = self.feed.moved_since(old.version)
        if moved is None or old is None:
            return inventory.atp_totals(conn, static.stocked_skus), None
        atp = dict(old.atp)
        wanted = [sku for sku in moved if sku in atp]
        if wanted:
            atp.update(inventory.atp_totals(conn, wanted))
        return atp, frozenset(wanted)

    def page(self, channel: Channel, limit: int, offset: int) -> bytes:
        """The JSON body of one page, refreshing what is stale first."""
        entry = self._entry(channel)
        with entry.lock:
            cached = self.cached_page(channel, limit, offset)
            if cached is not None:
                return cached
            with self.db.read() as conn:
                self._refresh(conn, channel, entry)
            static, stock = entry.static, entry.stock
            assert static is not None and stock is not None
            body = orjson.dumps({
                "channel": channel.key, "currency": channel.currency,
                "total": len(static.views), "limit": limit, "offset": offset,
                "products": [with_availability(view, stock.atp)
                             for view in static.views[offset: offset + limit]],
            })
            entry.pages[(static.serial, stock.serial, limit, offset)] = body
            return body

    def products(self, channel: Channel) -> list[dict[str, Any]]:
        """Every product of the channel with availability (for the storefront page)."""
        entry = self._entry(channel)
        with entry.lock:
            with self.db.read() as conn:
                self._refresh(conn, channel, entry)
            static, stock = entry.static, entry.stock
            assert static is not None and stock is not None
            return list(self._listed(entry, static, stock))

    @staticmethod
    def _listed(entry: _ChannelEntry, static: _Static, stock: _Stock) -> list[dict[str, Any]]:
        """The views with availability, kept per channel: after a stock re-read that names its
        SKUs, only the views showing one of them are rebuilt. Callers must not mutate them."""
        listed = entry.listed
        if listed is not None and listed[0] == static.serial:
            if listed[1] == stock.serial:
                return listed[2]
            if stock.base == listed[1] and stock.moved is not None:
                moved = stock.moved
                views = [with_availability(view, stock.atp) if not moved.isdisjoint(skus)
                         else old for view, skus, old
                         in zip(static.views, static.view_skus, listed[2], strict=True)]
                entry.listed = (static.serial, stock.serial, views)
                return views
        views = [with_availability(view, stock.atp) for view in static.views]
        entry.listed = (static.serial, stock.serial, views)
        return views


class ChannelCache:
    """Channels by public key, re-read when a catalog, pricing or channel event is committed."""

    def __init__(self, db: Database, feed: ChangeFeed, max_age: float = 5.0) -> None:
        self.db = db
        self.feed = feed
        self.max_age = max_age
        self._by_key: dict[str, tuple[int, float, Channel]] = {}

    def cached(self, key: str) -> Channel | None:
        hit = self._by_key.get(key)
        if hit is None or hit[0] != self.feed.static_version:
            return None
        if time.monotonic() - hit[1] >= self.max_age:
            return None
        return hit[2]

    def get(self, key: str) -> Channel:
        """From memory when fresh, else from the database (raises NotFound for unknown keys)."""
        channel = self.cached(key)
        if channel is not None:
            return channel
        version = self.feed.static_version
        with self.db.read() as conn:
            channel = channels.channel_by_key(conn, key)
        self._by_key[key] = (version, time.monotonic(), channel)
        return channel
