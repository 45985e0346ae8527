"""Logistics read side: shipments with their scans, incidents, carrier-lane availability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.kernel.errors import NotFound
from hansa.logistics import health, store
from hansa.logistics.model import TrackingStatus


def shipment(conn: Connection, shipment_id: str) -> dict[str, Any]:
    row = store.shipment(conn, shipment_id)
    if row is None:
        raise NotFound(f"no tracked shipment {shipment_id}", code="shipment_not_found")
    found = dict(row._mapping)
    found["scans"] = [dict(r._mapping) for r in conn.execute(
        sa.select(store.scans).where(store.scans.c.shipment_id == shipment_id)
        .order_by(store.scans.c.occurred_at, store.scans.c.id))]
    return found


def incidents(conn: Connection, shipment_id: str | None = None,
              status: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(store.incidents).order_by(store.incidents.c.opened_at,
                                                store.incidents.c.id)
    if shipment_id is not None:
        query = query.where(store.incidents.c.shipment_id == shipment_id)
    if status is not None:
        query = query.where(store.incidents.c.status == status)
    return [dict(r._mapping) for r in conn.execute(query)]


def incident(conn: Connection, incident_id: str) -> dict[str, Any]:
    row = store.incident(conn, incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id}", code="incident_not_found")
    return dict(row._mapping)


def carrier_lane_available(conn: Connection, carrier: str, lane: str, now: datetime) -> bool:
    """False while the carrier's breaker for this lane is open (sourcing should avoid it)."""
    return health.lane_available(conn, carrier.lower(), lane, now)


def closed_carrier_lanes(conn: Connection, now: datetime) -> set[tuple[str, str]]:
    """(carrier, lane) pairs sourcing must avoid now; carriers in lower case."""
    return health.closed_lanes(conn, now)


def codes_to_poll(conn: Connection, carrier: str, limit: int) -> list[str]:
    """Tracking codes of the carrier's parcels still on their way (not final, not stopped),
    the ones whose next scan is due soonest first."""
    sh = store.shipments
    final = [s.value for s in TrackingStatus if s.final]
    rows = conn.execute(
        sa.select(sh.c.tracking_code, sa.func.min(sh.c.expected_by).label("due"))
        .where(sh.c.carrier == carrier.strip().lower(), sh.c.stopped_at.is_(None),
               sh.c.status.not_in(final))
        .group_by(sh.c.tracking_code)
        .order_by(sa.func.min(sh.c.expected_by).is_(None), sa.func.min(sh.c.expected_by),
                  sh.c.tracking_code)
        .limit(limit))
    return [r.tracking_code for r in rows]


def scan_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(store.scans)).scalar_one())
