"""Delivery options at checkout: the merchant's CEL rules evaluated over the cart, the
destination and the network (drop-ship sites near the destination and what they stock)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from hansa.fulfillment import queries
from hansa.fulfillment.destinations import destination
from hansa.fulfillment.model import NodeKind
from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import haversine_km
from hansa.shipping import queries as shipping
from hansa.shipping.rules import RuleBook


def variables(conn: Connection, lines: list[tuple[str, int]], postal_code: str, country: str,
              currency: str, subtotal: int = 0) -> dict[str, Any]:
    """The CEL activation: `cart`, `destination` and `network` (see shipping.rules)."""
    if not lines:
        raise InvalidData("the cart is empty", code="empty_cart")
    place = destination(postal_code, country)
    sourced = queries.lines_for(conn, lines)
    items = [{"sku": ln.sku, "quantity": ln.quantity, "weight_kg": ln.item.weight_g / 1000,
              "bulky": ln.item.bulky} for ln in sourced]
    nodes = queries.nodes(conn)
    skus = sorted({ln.sku for ln in sourced})
    atp = queries.atp(conn, skus, {n.id for n in nodes})
    dropship = []
    nearest = None
    for node in nodes:
        distance = round(haversine_km(node.position, place), 1)
        nearest = distance if nearest is None else min(nearest, distance)
        if node.kind is NodeKind.DROPSHIP:
            dropship.append({
                "code": node.code, "supplier_id": node.supplier_id or "",
                "distance_km": distance, "radius_km": node.radius_km,
                "within": node.radius_km == 0 or distance <= node.radius_km,
                "skus": sorted(s for s, q in atp.get(node.id, {}).items() if q > 0)})
    return {
        "cart": {"items": items, "units": sum(ln.quantity for ln in sourced),
                 "subtotal": subtotal, "currency": currency,
                 "bulky": any(ln.item.bulky for ln in sourced)},
        "destination": {"postal_code": postal_code, "country": country.upper(),
                        "lat": place.lat, "lon": place.lon},
        "network": {"dropship": dropship, "nearest_km": nearest if nearest is not None else -1.0},
    }


def delivery_options(conn: Connection, book: RuleBook, lines: list[tuple[str, int]],
                     postal_code: str, country: str, currency: str) -> dict[str, Any]:
    """The options the merchant's rules offer for this cart and destination, cheapest first."""
    found = variables(conn, lines, postal_code, country, currency)
    offered = [o for o in book.options(shipping.active_rules(conn), found)
               if o["currency"] == currency]
    offered.sort(key=lambda o: (o["price"], o["code"]))
    return {"postal_code": postal_code, "country": country.upper(), "options": offered}
