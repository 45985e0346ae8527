"""The storefront listing read model: products with channel prices and live availability.

Built from catalog, pricing and inventory queries, serialised once and cached per channel. An
entry stays valid while no event has been written since (the outbox position is the change
stamp: one indexed read per request), no promotion window opens or closes, and at most
`max_age` has passed (a bound for several API processes sharing one PostgreSQL).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from hansa.bus import outbox
from hansa.catalog import queries as catalog
from hansa.catalog.model import InventoryModel, Product
from hansa.channels import queries as channels
from hansa.channels.model import Channel, in_assortment
from hansa.inventory import queries as inventory
from hansa.pricing import queries as pricing
from hansa.pricing.model import Quote


def variant_availability(product: Product, sku: str, atp: dict[str, int]) -> int | None:
    """Units promisable now: MTS from stock, CTO from its scarcest component, MTO unbounded."""
    if product.inventory_model is InventoryModel.MTO:
        return None
    if product.inventory_model is InventoryModel.CTO:
        return min((atp.get(c.sku, 0) // c.quantity for c in product.components), default=0)
    return atp.get(sku, 0)


def _money(quote: Quote, field: str) -> dict[str, Any]:
    value = getattr(quote, field)
    return {"amount": value.amount, "currency": value.currency}


def product_view(product: Product, quotes: dict[str, Quote], atp: dict[str, int]) -> dict[str, Any]:
    variants = []
    for v in product.variants:
        quote = quotes.get(v.sku)
        if quote is None:
            continue  # unpriced in this channel: not for sale here
        available = variant_availability(product, v.sku, atp)
        variants.append({
            "sku": v.sku, "title": v.title, "gtin": v.gtin, "options": v.options,
            "price": _money(quote, "unit_price"), "list_price": _money(quote, "list_unit_price"),
            "promotion_id": quote.promotion_id,
            "available": available,
            "in_stock": available is None or available > 0,
        })
    return {
        "id": product.id, "handle": product.handle, "title": product.title,
        "description": product.description, "category": product.category,
        "attributes": product.attributes, "media": list(product.media),
        "inventory_model": product.inventory_model.value,
        "lead_time_hours": product.lead_time_hours, "variants": variants,
    }


def build_listing(conn: Connection, channel: Channel, at: datetime) -> list[dict[str, Any]]:
    products = [p for p in catalog.products(conn, active_only=True)
                if in_assortment(channel, p.id, p.category)]
    skus = [v.sku for p in products for v in p.variants]
    stocked = set(skus) | {c.sku for p in products for c in p.components}
    quotes = pricing.quotes(conn, channel.price_list_id, skus, at)
    atp = inventory.atp_totals(conn, stocked)
    views = [product_view(p, quotes, atp) for p in products]
    return [view for view in views if view["variants"]]


@dataclass
class _Entry:
    stamp: int
    built_at: datetime
    valid_until: datetime | None
    products: list[dict[str, Any]]
    pages: dict[tuple[int, int], bytes]


class ListingCache:
    """Per-channel cache of the listing, checked against the outbox stamp on every read."""

    def __init__(self, max_age: timedelta = timedelta(seconds=5)) -> None:
        self.max_age = max_age
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.builds = 0

    def _fresh(self, entry: _Entry | None, stamp: int, now: datetime) -> bool:
        return (
            entry is not None
            and entry.stamp == stamp
            and now - entry.built_at < self.max_age
            and (entry.valid_until is None or now < entry.valid_until)
        )

    def _entry(self, conn: Connection, channel: Channel, now: datetime, stamp: int) -> _Entry:
        entry = self._entries.get(channel.id)
        if self._fresh(entry, stamp, now):
            assert entry is not None
            return entry
        with self._lock:
            entry = self._entries.get(channel.id)
            if self._fresh(entry, stamp, now):
                assert entry is not None
                return entry
            entry = _Entry(
                stamp=stamp, built_at=now,
                valid_until=pricing.next_price_change(conn, channel.price_list_id, now),
                products=build_listing(conn, channel, now), pages={},
            )
            self._entries[channel.id] = entry
            self.builds += 1
            return entry

    def page(self, conn: Connection, channel: Channel, now: datetime, stamp: int, *,
             limit: int, offset: int) -> bytes:
        """The JSON body of one page of the listing."""
        entry = self._entry(conn, channel, now, stamp)
        body = entry.pages.get((limit, offset))
        if body is None:
            body = orjson.dumps({
                "channel": channel.key, "currency": channel.currency,
                "total": len(entry.products), "limit": limit, "offset": offset,
                "products": entry.products[offset: offset + limit],
            })
            entry.pages[(limit, offset)] = body
        return body

    def products(self, conn: Connection, channel: Channel, now: datetime,
                 stamp: int) -> list[dict[str, Any]]:
        return self._entry(conn, channel, now, stamp).products


class ChannelCache:
    """Channel by public key, re-read whenever anything has been written since."""

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[int, Channel]] = {}

    def get(self, conn: Connection, key: str, stamp: int) -> Channel:
        hit = self._by_key.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        channel = channels.channel_by_key(conn, key)
        self._by_key[key] = (stamp, channel)
        return channel


def change_stamp(conn: Connection) -> int:
    """The newest outbox position: moves on every committed change that emitted an event."""
    return outbox.last_position(conn)
