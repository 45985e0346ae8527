"""A generated month of shipments with injected carrier failures, run through the real engine
on a virtual clock, against a baseline that waits for the customer to complain.

Journeys: label -> pre_transit (0.5-3 h) -> in_transit x2 (every 10-30 h) -> out_for_delivery
-> delivered. Failures: a parcel stalls after a scan (2% everywhere; 25% on one carrier's
lane during an injected outage in week 2) and then either resumes 12-96 h later (late but
delivered) or is lost (40% of stalls). Weather exception scans hit another lane in week 3.
"""

from __future__ import annotations

import heapq
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import sqlalchemy as sa

from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.inventory import messages as inv
from hansa.kernel.clock import VirtualClock
from hansa.kernel.money import Money
from hansa.logistics import store as logistics_store
from hansa.logistics.messages import RecordScan, TrackShipment
from hansa.logistics.model import Scan, TrackingStatus
from hansa.support import store as support_store

START = datetime(2026, 3, 2, tzinfo=UTC)
TICK = timedelta(minutes=30)
ORIGINS = {"CHI": (41.88, -87.63), "DAL": (32.78, -96.80), "ATL": (33.75, -84.39)}
REGIONAL = {"NWK": (40.73, -74.17), "LAX": (34.05, -118.24), "SEA": (47.61, -122.33),
            "DEN": (39.74, -104.99), "MIA": (25.76, -80.19)}
DESTINATIONS = ["10001", "90012", "98101", "80202", "33101", "60601", "75201", "30303",
                "02108", "94103"]
CARRIERS = ["ups", "fedex", "usps"]
SKUS = [f"SKU-{i:02d}" for i in range(20)]
RESHIP_SHIPPING_MINOR = 800  # what sending a replacement costs on top of the goods
COMPLAINT_AFTER_PROMISE = timedelta(days=2)  # baseline: the customer writes in


@dataclass
class Journey:
    shipment_id: str
    carrier: str
    origin: str
    postal: str
    start: datetime
    promised: date
    value: int
    lines: list[tuple[str, int]]
    scans: list[tuple[datetime, TrackingStatus, str]] = field(default_factory=list)
    stalled_at: datetime | None = None  # when the next scan should have come
    lost: bool = False

    @property
    def delivered_at(self) -> datetime | None:
        return next((at for at, s, _ in self.scans if s is TrackingStatus.DELIVERED), None)


def generate(count: int, days: int, seed: int) -> list[Journey]:
    """The month of shipments, reproducible from `seed`."""
    rng = random.Random(seed)
    journeys = []
    for n in range(count):
        start = START + timedelta(seconds=rng.uniform(0, days * 86400))
        carrier, origin = rng.choice(CARRIERS), rng.choice(list(ORIGINS))
        postal = rng.choice(DESTINATIONS)
        value = int(rng.lognormvariate(8.6, 0.7))  # median about 54.00
        lines = [(rng.choice(SKUS), 1)]
        j = Journey(f"m{n}", carrier, origin, postal, start,
                    (start + timedelta(days=4)).date(), value, lines)
        outage = (carrier == "fedex" and origin == "DAL"
                  and START + timedelta(days=7) <= start < START + timedelta(days=14))
        weather = postal == "60601" and START + timedelta(days=14) <= start < START + timedelta(
            days=18)
        stall_p = 0.25 if outage else 0.02
        at = start + timedelta(hours=rng.uniform(0.5, 3))
        plan = [TrackingStatus.PRE_TRANSIT, TrackingStatus.IN_TRANSIT, TrackingStatus.IN_TRANSIT,
                TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.DELIVERED]
        stall_after = rng.randrange(1, 4) if rng.random() < stall_p else None
        for i, status in enumerate(plan):
            sub = ""
            if weather and status is TrackingStatus.IN_TRANSIT and rng.random() < 0.5:
                status, sub = TrackingStatus.EXCEPTION, "weather_delay"
            j.scans.append((at, status, sub))
            gap = timedelta(hours=rng.uniform(10, 30) if i < 3 else rng.uniform(2, 8))
            if stall_after == i + 1:
                j.stalled_at = at + gap
                if rng.random() < 0.4:
                    j.lost = True
                    break
                gap += timedelta(hours=rng.uniform(12, 96))
            at += gap
        journeys.append(j)
    return journeys


def baseline(journeys: list[Journey]) -> dict[str, Any]:
    """Wait for the customer: a complaint two days after the promise, then ticket, message,
    credit and a reship at once; false when the original arrives after all."""
    waits, reships, false = [], 0, 0
    cost = 0
    for j in journeys:
        due = datetime.combine(j.promised, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
        delivered = j.delivered_at
        if delivered is not None and delivered <= due + COMPLAINT_AFTER_PROMISE:
            continue
        complaint = due + COMPLAINT_AFTER_PROMISE
        if j.stalled_at is not None:
            waits.append((complaint - j.stalled_at).total_seconds() / 60)
        reships += 1
        if delivered is not None:
            false += 1
            cost += j.value + RESHIP_SHIPPING_MINOR
    return {"complaints": reships, "reships_released": reships, "false_reships": false,
            "false_reship_cost_minor": cost, "credits_issued": reships,
            "minutes_stall_to_message": _spread(waits)}


def _spread(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {"count": len(ordered), "p50": round(median(ordered), 1),
            "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "max": round(ordered[-1], 1)}


def _setup(app: Hansa, journeys: list[Journey]) -> dict[str, str]:
    ids = {}
    for code, (lat, lon) in {**ORIGINS, **REGIONAL}.items():
        ids[code] = app.bus.execute(inv.CreateLocation(code=code, name=code, kind="warehouse",
                                                       lat=lat, lon=lon, country="US"))
        for sku in SKUS:
            app.bus.execute(inv.ReceiveStock(sku=sku, location_id=ids[code],
                                             quantity=len(journeys)))
    return ids


def run_engine(journeys: list[Journey], days: int,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Replay the month through a real Hansa (SQLite file, in-process bus, virtual clock)."""
    folder = tempfile.mkdtemp(prefix="hansa-month-")
    clock = VirtualClock(START)
    app = bootstrap(Settings(db=f"sqlite:///{Path(folder) / 'month.db'}", bus="memory"),
                    clock=clock, migrate=True)
    ids = _setup(app, journeys)
    events: list[tuple[datetime, int, str, Any]] = []
    for n, j in enumerate(journeys):
        heapq.heappush(events, (j.start, n, "track", j))
        for k, (at, status, sub) in enumerate(j.scans):
            heapq.heappush(events, (at, n * 10 + k, "scan", (j, Scan(
                status=status, occurred_at=at, substatus=sub, postal_code=j.postal,
                city="", country="US"))))
    end = START + timedelta(days=days + 12)
    ticks = int((end - START) / TICK)
    started = time.perf_counter()
    for tick in range(ticks):
        now = START + TICK * (tick + 1)
        with app.bus.uow() as uow:
            while events and events[0][0] <= now:
                _, _, kind, item = heapq.heappop(events)
                if kind == "track":
                    uow.execute(TrackShipment(
                        shipment_id=item.shipment_id, order_id=f"o-{item.shipment_id}",
                        customer=f"c{item.shipment_id}@example.com",
                        origin_location_id=ids[item.origin], carrier=item.carrier,
                        service="ground", tracking_code=f"T{item.shipment_id}",
                        destination_postal_code=item.postal, destination_country="US",
                        promised_date=item.promised, lines=item.lines,
                        value=Money(item.value, "USD")))
                else:
                    j, scan = item
                    uow.execute(RecordScan(provider="sim", carrier=j.carrier,
                                           tracking_code=f"T{j.shipment_id}", scan=scan))
            uow.commit()
        clock.set(now)
        app.worker.run_until_idle(max_passes=100_000)
        if progress is not None:
            progress(tick + 1, ticks)
    elapsed = time.perf_counter() - started
    result = _measure(app, journeys)
    result["engine_seconds"] = round(elapsed, 1)
    app.close()
    return result


def _measure(app: Hansa, journeys: list[Journey]) -> dict[str, Any]:
    by_id = {j.shipment_id: j for j in journeys}
    inc, msg = logistics_store.incidents, support_store.messages
    with app.db.read() as conn:
        incidents = list(conn.execute(sa.select(inc)))
        sent = {r.reference: r.queued_at for r in conn.execute(sa.select(msg))}
        credits = conn.execute(sa.select(sa.func.count(), sa.func.sum(
            support_store.credit_entries.c.amount)).where(
            support_store.credit_entries.c.kind == "issue")).one()
    waits, on_time_notice, false, cost, released, cancelled = [], 0, 0, 0, 0, 0
    for row in incidents:
        j = by_id[row.shipment_id]
        queued = sent.get(row.id)
        if j.stalled_at is not None and queued is not None and queued >= j.stalled_at:
            waits.append((queued - j.stalled_at).total_seconds() / 60)
        if queued is not None and queued.date() <= j.promised:
            on_time_notice += 1
        if row.reship_status == "released":
            released += 1
            if j.delivered_at is not None:
                false += 1
                cost += j.value + RESHIP_SHIPPING_MINOR
        cancelled += row.reship_status == "cancelled"
    stalled = sum(j.stalled_at is not None for j in journeys)
    return {"incidents": len(incidents), "stalled_parcels": stalled,
            "lost_parcels": sum(j.lost for j in journeys),
            "incidents_without_stall": sum(by_id[r.shipment_id].stalled_at is None
                                           for r in incidents),
            "messages": len(sent), "notified_by_promise_date": on_time_notice,
            "reships_released": released, "reships_cancelled_on_recovery": cancelled,
            "false_reships": false, "false_reship_cost_minor": cost,
            "credits_issued": int(credits[0] or 0), "credit_total_minor": int(credits[1] or 0),
            "minutes_stall_to_message": _spread(waits)}
