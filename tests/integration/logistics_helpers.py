"""Shared set-up for logistics and exceptions-path tests: stock, a tracked shipment, scans."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hansa.automation import queries as automation_queries
from hansa.bootstrap import Hansa
from hansa.inventory import messages as inv
from hansa.inventory import queries as inventory_queries
from hansa.kernel.money import Money
from hansa.logistics import queries as logistics_queries
from hansa.logistics.messages import RecordScan, TrackShipment
from hansa.logistics.model import Scan, TrackingStatus
from hansa.support import queries as support_queries
from hansa.support import store as support_store

LOCATIONS = {  # code: (lat, lon, postal)
    "CHI": (41.88, -87.63, "60601"),
    "NWK": (40.73, -74.17, "07102"),
    "LAX": (34.05, -118.24, "90012"),
}
SKU = "MUG-1"


def stock_up(app: Hansa, per_location: int = 5) -> dict[str, str]:
    """Three warehouses holding `per_location` mugs each; returns code -> location id."""
    ids = {}
    for code, (lat, lon, postal) in LOCATIONS.items():
        ids[code] = app.bus.execute(inv.CreateLocation(code=code, name=code, kind="warehouse",
                                                       lat=lat, lon=lon, country="US",
                                                       postal_code=postal))
        app.bus.execute(inv.ReceiveStock(sku=SKU, location_id=ids[code], quantity=per_location))
    return ids


def track(app: Hansa, origin: str, shipment_id: str = "shp-1", code: str = "1Z999",
          value: int = 12_000, carrier: str = "ups") -> str:
    return str(app.bus.execute(TrackShipment(
        shipment_id=shipment_id, order_id=f"ord-{shipment_id}", customer="Ada@Example.com",
        origin_location_id=origin, carrier=carrier, service="ground", tracking_code=code,
        destination_postal_code="10001", destination_country="US",
        promised_date=date(2026, 1, 14), lines=[(SKU, 1)], value=Money(value, "USD"))))


PHILADELPHIA = {"city": "Philadelphia", "postal_code": "19103", "country": "US",
                "lat": 39.95, "lon": -75.17}


def scan(app: Hansa, status: TrackingStatus, at: datetime, code: str = "1Z999",
         carrier: str = "ups", **where: Any) -> str:
    return str(app.bus.execute(RecordScan(provider="test", carrier=carrier, tracking_code=code,
                                          scan=Scan(status=status, occurred_at=at, **where))))


def drain(app: Hansa) -> None:
    app.worker.run_until_idle()


def advance(app: Hansa, clock: Any, delta: timedelta) -> None:
    clock.advance(delta)
    drain(app)


def reserved(app: Hansa, location_id: str) -> tuple[int, int]:
    """(on hand, reserved) of the test SKU at one location."""
    with app.db.read() as conn:
        [level] = [lv for lv in inventory_queries.levels(conn, [SKU])
                   if lv.location_id == location_id]
    return level.on_hand, level.reserved


def effects(app: Hansa) -> dict[str, int]:
    """How many tickets, messages, credits, incidents and exceptions runs exist."""
    with app.db.read() as conn:
        credits = conn.execute(sa.select(sa.func.count()).select_from(support_store.credit_entries)
                               .where(support_store.credit_entries.c.kind == "issue")).scalar()
        return {"tickets": len(support_queries.tickets(conn)),
                "messages": len(support_queries.messages(conn)),
                "credits": int(credits or 0),
                "incidents": len(logistics_queries.incidents(conn)),
                "runs": len(automation_queries.runs(conn, path="exceptions", limit=10_000))}


def incident(app: Hansa) -> dict[str, Any]:
    with app.db.read() as conn:
        [found] = logistics_queries.incidents(conn)
    return found


def exceptions_run(app: Hansa) -> automation_queries.RunRecord:
    with app.db.read() as conn:
        [summary] = automation_queries.runs(conn, path="exceptions")
        return automation_queries.run(conn, summary.id)
