"""Inventory read side: locations, levels, available-to-promise, ledger checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.inventory import store
from hansa.inventory.model import Location, StockLevel
from hansa.kernel.errors import NotFound


def locations(conn: Connection) -> list[Location]:
    return store.location_rows(conn)


def location(conn: Connection, location_id: str) -> Location:
    found = store.location_rows(conn, [location_id])
    if not found:
        raise NotFound(f"no location {location_id}", code="location_not_found")
    return found[0]


def location_by_code(conn: Connection, code: str) -> Location:
    lid = conn.execute(sa.select(store.locations.c.id)
                       .where(store.locations.c.code == code.upper())).scalar_one_or_none()
    if lid is None:
        raise NotFound(f"no location with code {code!r}", code="location_not_found")
    return location(conn, lid)


def levels(conn: Connection, skus: Iterable[str]) -> list[StockLevel]:
    return store.levels_of(conn, skus)


def atp_by_location(conn: Connection, sku: str) -> dict[str, int]:
    """Available-to-promise per location id for one SKU (active locations only)."""
    active = {loc.id for loc in store.location_rows(conn) if loc.active}
    return {lv.location_id: lv.available for lv in store.levels_of(conn, [sku])
            if lv.location_id in active}


def atp_totals(conn: Connection, skus: Iterable[str]) -> dict[str, int]:
    """Available-to-promise summed over active locations, for many SKUs in one query."""
    wanted = list(skus)
    totals = dict.fromkeys(wanted, 0)
    if not wanted:
        return totals
    lv, loc = store.levels, store.locations
    rows = conn.execute(
        sa.select(lv.c.sku, sa.func.sum(lv.c.on_hand - lv.c.reserved))
        .join(loc, loc.c.id == lv.c.location_id)
        .where(lv.c.sku.in_(wanted), loc.c.active.is_(True))
        .group_by(lv.c.sku)
    )
    for sku, available in rows:
        totals[sku] = int(available or 0)
    return totals


_RESERVATIONS_FOR = (sa.select(store.reservations)
                     .where(store.reservations.c.reference == sa.bindparam("reference"))
                     .order_by(store.reservations.c.sku, store.reservations.c.location_id,
                               store.reservations.c.created_at))


def reservations_for(conn: Connection, reference: str) -> list[dict[str, object]]:
    rows = conn.execute(_RESERVATIONS_FOR, {"reference": reference})
    return [
        {"sku": r.sku, "location_id": r.location_id, "quantity": r.quantity, "status": r.status,
         "expires_at": r.expires_at}
        for r in rows
    ]


def ledger_entries(conn: Connection, sku: str, location_id: str | None = None,
                   limit: int = 500) -> list[dict[str, object]]:
    query = sa.select(store.ledger).where(store.ledger.c.sku == sku).order_by(store.ledger.c.id)
    if location_id is not None:
        query = query.where(store.ledger.c.location_id == location_id)
    return [dict(r._mapping) for r in conn.execute(query.limit(limit))]


@dataclass(frozen=True, slots=True)
class Imbalance:
    sku: str
    location_id: str
    level_on_hand: int
    ledger_on_hand: int
    level_reserved: int
    ledger_reserved: int


def ledger_imbalances(conn: Connection) -> list[Imbalance]:
    """Levels that disagree with the sum of their ledger entries: must always be empty."""
    led = store.ledger
    sums = (
        sa.select(led.c.sku, led.c.location_id,
                  sa.func.sum(led.c.on_hand_delta).label("on_hand"),
                  sa.func.sum(led.c.reserved_delta).label("reserved"))
        .group_by(led.c.sku, led.c.location_id)
        .subquery()
    )
    lv = store.levels
    rows = conn.execute(
        sa.select(lv.c.sku, lv.c.location_id, lv.c.on_hand, lv.c.reserved,
                  sums.c.on_hand.label("l_on_hand"), sums.c.reserved.label("l_reserved"))
        .select_from(lv.outerjoin(sums, (sums.c.sku == lv.c.sku)
                                  & (sums.c.location_id == lv.c.location_id)))
    )
    out = []
    for r in rows:
        l_on, l_res = int(r.l_on_hand or 0), int(r.l_reserved or 0)
        if (l_on, l_res) != (r.on_hand, r.reserved):
            out.append(Imbalance(r.sku, r.location_id, r.on_hand, l_on, r.reserved, l_res))
    return out


def outflow_by_location(conn: Connection, sku: str, since: datetime) -> dict[str, int]:
    """Units of `sku` that left each location (picks) since `since`: its recent velocity."""
    led = store.ledger
    rows = conn.execute(sa.select(led.c.location_id, sa.func.sum(led.c.quantity))
                        .where(led.c.sku == sku, led.c.kind == "pick", led.c.at >= since)
                        .group_by(led.c.location_id))
    return {r[0]: int(r[1] or 0) for r in rows}


def transfers_in_transit(conn: Connection, sku: str) -> list[dict[str, object]]:
    """Transfers of `sku` dispatched and not yet received."""
    tr = store.transfers
    rows = conn.execute(sa.select(tr).where(tr.c.sku == sku, tr.c.status == "in_transit")
                        .order_by(tr.c.dispatched_at))
    return [dict(r._mapping) for r in rows]
