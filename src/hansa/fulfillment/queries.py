"""Fulfilment read side: the network (nodes, carriers, ATP), allocations and shipments."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.catalog import queries as catalog
from hansa.db.decoded import DecodedByText
from hansa.fulfillment import store
from hansa.fulfillment.model import Line, Node, NodeKind
from hansa.fulfillment.promise import Promise
from hansa.inventory import queries as inventory
from hansa.kernel.geo import Position
from hansa.logistics import queries as logistics
from hansa.logistics.model import lane_of
from hansa.shipping.model import Item, PickupCalendar


def node_from_doc(doc: dict[str, Any]) -> Node:
    return Node(
        id=doc["location_id"], code=doc["code"], kind=NodeKind(doc["kind"]),
        position=Position(doc["lat"], doc["lon"]), country=doc["country"],
        capabilities=frozenset(doc.get("capabilities") or ()),
        priority=int(doc.get("priority", 100)), cutoff_minute=int(doc.get("cutoff_minute", 960)),
        handling_days=int(doc.get("handling_days", 0)),
        handling_cost=int(doc.get("handling_cost", 0)), supplier_id=doc.get("supplier_id"),
        radius_km=float(doc.get("radius_km", 0.0)),
        carriers=frozenset(doc.get("carriers") or ()), pickup=pickup_from_doc(doc))


def pickup_from_doc(doc: dict[str, Any]) -> PickupCalendar:
    """The node's pickup calendar; a node configured before calendars existed: every day."""
    weekdays = doc.get("pickup_weekdays")
    return PickupCalendar(
        weekdays=frozenset(range(7)) if weekdays is None else frozenset(int(d) for d in weekdays),
        closed=frozenset(date.fromisoformat(str(d)) for d in doc.get("no_pickup_dates") or ()))


_ANY_NODE = sa.select(store.nodes.c.location_id).limit(1)


def has_nodes(conn: Connection) -> bool:
    """Is any shipping node configured (the order-to-cash path waits until one is)?"""
    return conn.execute(_ANY_NODE).first() is not None


_node = DecodedByText(node_from_doc, kept=5_000)


def nodes(conn: Connection) -> list[Node]:
    """The active nodes, by code; each document is built into a `Node` once per process."""
    return [_node(text) for text in store.active_node_texts(conn)]


def open_nodes(conn: Connection, nodes: list[Node], carrier_codes: list[str], country: str,
               postal_code: str, now: datetime) -> list[Node]:
    """The nodes as sourcing may use them for this destination now: a carrier whose lane from
    a node is tripped (carrier health, ADR 0013) is taken off that node's carriers, and a node
    left with none is left out."""
    closed = logistics.closed_carrier_lanes(conn, now)
    if not closed:
        return nodes
    usable = []
    for node in nodes:
        lane = lane_of(node.id, country, postal_code)
        blocked = {c for c in carrier_codes if (c.lower(), lane) in closed}
        if not blocked:
            usable.append(node)
            continue
        allowed = (node.carriers or frozenset(carrier_codes)) - blocked
        if allowed:
            usable.append(dataclasses.replace(node, carriers=frozenset(allowed)))
    return usable


def atp(conn: Connection, skus: list[str], node_ids: set[str],
        own: Sequence[Mapping[str, Any]] = ()) -> dict[str, dict[str, int]]:
    """node id -> SKU -> ATP; units held by `own` (an order's reservation rows, from
    `inventory.queries.reservations_for`) count as its own (the re-check)."""
    out: dict[str, dict[str, int]] = {}
    for level in inventory.levels(conn, skus):
        if level.location_id in node_ids:
            out.setdefault(level.location_id, {})[level.sku] = level.available
    if own:
        for row in own:
            if row["status"] == "active" and row["location_id"] in node_ids:
                per = out.setdefault(str(row["location_id"]), {})
                sku = str(row["sku"])
                per[sku] = per.get(sku, 0) + int(row["quantity"])
    return out


def lines_for(conn: Connection, wanted: list[tuple[str, int]],
              facts: Mapping[str, catalog.SaleFacts] | None = None) -> list[Line]:
    """Order lines with what sourcing needs: weight, bulky flag, CTO components (`facts`:
    the SKUs' sale facts when the caller has read them already)."""
    skus = [sku for sku, _ in wanted]
    if facts is None:
        facts = catalog.sale_facts(conn, skus)
    shipping = catalog.shipping_facts(conn, skus)
    out = []
    for sku, quantity in wanted:
        weight, bulky = shipping.get(sku, (0, False))
        fact = facts.get(sku)
        components = tuple((c.sku, c.quantity) for c in fact.components) if fact else ()
        out.append(Line(sku, quantity, Item(sku, weight or 1000, bulky), components))
    return out


def allocation(conn: Connection, order_id: str) -> dict[str, Any] | None:
    row = store.allocation(conn, order_id)
    return None if row is None else {"order_id": row.order_id, "status": row.status,
                                     "promised_date": row.promised_date, **dict(row.plan)}


def shipments(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    labels = {r.shipment_id: r.status for r in conn.execute(
        sa.select(store.labels.c.shipment_id, store.labels.c.status)
        .where(store.labels.c.shipment_id.in_(
            sa.select(store.shipments.c.id).where(store.shipments.c.order_id == order_id))))}
    return [{"id": r.id, "order_id": r.order_id, "location_id": r.location_id,
             "carrier": r.carrier, "service": r.service, "tracking_code": r.tracking_code,
             "postal_code": r.postal_code, "country": r.country,
             "promised_date": r.promised_date, "lines": r.lines, "status": r.status,
             "label": labels.get(r.id)} for r in store.shipments_of(conn, order_id)]


def label_pdf(conn: Connection, shipment_id: str) -> tuple[bytes, str] | None:
    row = conn.execute(sa.select(store.labels.c.pdf, store.labels.c.zpl)
                       .where(store.labels.c.shipment_id == shipment_id)).first()
    return None if row is None else (bytes(row.pdf), str(row.zpl))


def inbound(conn: Connection, sku: str, node_ids: set[str]) -> list[tuple[str, int, datetime]]:
    """Transfers of `sku` on the road to a node, with their ETA: (node id, units, ETA)."""
    out = []
    for t in inventory.transfers_in_transit(conn, sku):
        expected, to = t.get("expected_at"), str(t["to_location_id"])
        if isinstance(expected, datetime) and to in node_ids:
            out.append((to, int(str(t["quantity"])), expected))
    return out


def quote(conn: Connection, sku: str, postal_code: str, country: str, now: datetime,
          extra: dict[str, int] | None = None) -> Promise:
    """The delivery promise for one unit of `sku` to a postal code at `now`, counting stock in
    transit at its ETA; `extra` adds units on hand at node ids (a what-if: once a transfer has
    landed)."""
    from hansa.fulfillment.destinations import destination
    from hansa.fulfillment.promise import promise, with_inbound
    from hansa.shipping import queries as shipping

    all_nodes = nodes(conn)
    carriers = shipping.carriers(conn)
    [line] = lines_for(conn, [(sku, 1)])
    wanted = sorted({sku} | {c for c, _ in line.components})
    stock = atp(conn, wanted, {n.id for n in all_nodes})
    for node_id, units in (extra or {}).items():
        per = stock.setdefault(node_id, {})
        per[sku] = per.get(sku, 0) + units
    position = destination(postal_code, country)
    found = promise(line, position, country.upper(), all_nodes, carriers, stock, now)
    if extra:
        return found
    return with_inbound(found, line, position, country.upper(), all_nodes, carriers,
                        inbound(conn, sku, {n.id for n in all_nodes}), now)
