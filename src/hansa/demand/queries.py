"""Demand read side: velocities, baselines, alerts covering a zone, spikes, PO value spent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db import bulk
from hansa.db.decoded import DecodedByText
from hansa.demand import store
from hansa.demand.baseline import Baseline

Key = tuple[str, str, str]  # item, zone, kind


def window_counts(conn: Connection, keys: Iterable[Key], since: datetime
                  ) -> dict[Key, dict[datetime, int]]:
    """Counts per hour bucket since `since` for each key."""
    wanted = sorted(set(keys))
    out: dict[Key, dict[datetime, int]] = {k: {} for k in wanted}
    v = store.velocity
    bucket = bulk.reader(conn, v.c.bucket)
    for item, zone, kind, at, count in bulk.select_keys(
            conn, v, ("item", "zone", "kind", "bucket", "count"), ("item", "zone", "kind"),
            wanted, since=("bucket", bulk.db_value(conn, v.c.bucket, since))):
        out[(item, zone, kind)][bucket(at)] = int(count)
    return out


def baselines_for(conn: Connection, keys: Iterable[Key]) -> dict[Key, Baseline]:
    b = store.baselines
    return {(r[0], r[1], r[2]): _baseline(r[3:]) for r in bulk.select_keys(
        conn, b, _BASELINE_COLUMNS, ("item", "zone", "kind"), sorted(set(keys)))}


def item_baselines(conn: Connection, item: str, kind: str) -> dict[str, Baseline]:
    """The baselines of one item (SKU) in every zone, by zone."""
    return items_baselines(conn, [item], kind).get(item, {})


def items_baselines(conn: Connection, items: Iterable[str], kind: str
                    ) -> dict[str, dict[str, Baseline]]:
    """The baselines of each item (those that have any) in every zone: item -> zone ->
    baseline, one statement per 2,000 items."""
    b = store.baselines
    out: dict[str, dict[str, Baseline]] = {}
    for r in bulk.select_in(conn, b, _BASELINE_COLUMNS, [("kind", kind)], "item",
                            sorted(set(items))):
        out.setdefault(r[0], {})[r[1]] = _baseline(r[3:])
    return out


def items_mean_rates(conn: Connection, items: Iterable[str], kind: str
                     ) -> dict[str, dict[str, tuple[float, float]]]:
    """What each item's baselines say of an average hour, without building the baselines:
    item -> zone -> (mean events per hour, sigma per hour), one statement per 2,000 items."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for item, zone, mean, sigma in bulk.select_in(
            conn, store.baselines, ("item", "zone", "mean_rate", "sigma"), [("kind", kind)],
            "item", sorted(set(items))):
        out.setdefault(item, {})[zone] = (float(mean), float(sigma))
    return out


# The rates are read as JSON text (raw, as the driver gives it) and decoded once per distinct
# text (`hansa.db.decoded`): baselines change only when refitted, and the detector reads the
# same ones every hour.
_BASELINE_COLUMNS = ("item", "zone", "kind", "method", "rates", "sigma", "history_hours",
                     "holiday_factor", "exposure")
_RATES_KEPT = 50_000
_rates = DecodedByText(lambda values: tuple(float(v) for v in values), kept=_RATES_KEPT)


def _baseline(r: Sequence[Any]) -> Baseline:
    """A baseline from the raw values of `_BASELINE_COLUMNS` after the key."""
    method, rates, sigma, hours, holiday_factor, exposure = r
    return Baseline(method, list(_rates(rates)), float(sigma), int(hours),
                    holiday_factor=float(holiday_factor), exposure=float(exposure))


def open_spikes(conn: Connection, keys: Iterable[Key]) -> dict[Key, str]:
    wanted = sorted(set(keys))
    s = store.spikes
    out: dict[Key, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for r in conn.execute(sa.select(s.c.id, s.c.item, s.c.zone, s.c.kind)
                              .where(s.c.status == "open",
                                     sa.tuple_(s.c.item, s.c.zone, s.c.kind).in_(chunk))):
            out[(r.item, r.zone, r.kind)] = r.id
    return out


def alerts_covering(conn: Connection, zone: str, now: datetime,
                    lead: timedelta = timedelta(hours=48)) -> list[dict[str, Any]]:
    """Weather alerts covering `zone` in force now or starting within `lead` (people buy ahead
    of a storm)."""
    a, c = store.alerts, store.alert_cells
    rows = conn.execute(sa.select(a.c.alert_id, a.c.evidence)
                        .join(c, c.c.alert_id == a.c.alert_id)
                        .where(c.c.zone.in_(_cells_within(zone)), a.c.expires >= now,
                               a.c.onset <= now + lead)
                        .order_by(a.c.onset, a.c.alert_id))
    found: dict[str, dict[str, Any]] = {}
    for r in rows:  # a coarse zone meets an alert in many cells
        found.setdefault(r.alert_id, dict(r.evidence))
    return list(found.values())


def _cells_within(zone: str) -> list[str]:
    """The zone itself and, for a zone coarser than the alert cells' resolution (a collector
    may name a coarser h3 cell for thin demand), the alert-resolution cells inside it."""
    import h3

    from hansa.kernel.geo import DEFAULT_ZONE_RESOLUTION

    if not h3.is_valid_cell(zone) or h3.get_resolution(zone) >= DEFAULT_ZONE_RESOLUTION:
        return [zone]
    return [zone, *sorted(h3.cell_to_children(zone, DEFAULT_ZONE_RESOLUTION))]


def latest_levels(conn: Connection, zone: str, item: str, since: datetime
                  ) -> list[dict[str, Any]]:
    """The latest sentiment and economic indicator readings for the zone (item or zone-wide)."""
    s = store.signals
    rows = conn.execute(sa.select(s.c.kind, s.c.item, s.c.value, s.c.at, s.c.detail, s.c.source)
                        .where(s.c.zone == zone, s.c.at >= since, s.c.item.in_([item, ""]),
                               s.c.kind.in_(["social_sentiment", "economic_indicator"]))
                        .order_by(s.c.at.desc()).limit(20))
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rows:
        key = (r.kind, str((r.detail or {}).get("indicator") or (r.detail or {}).get("topic")))
        if key in seen:
            continue
        seen.add(key)
        out.append({"kind": r.kind, "item": r.item, "value": r.value, "at": r.at.isoformat(),
                    "source": r.source, **(r.detail or {})})
    return out


def history(conn: Connection, kind: str, end: datetime, hours: int
            ) -> dict[tuple[str, str], np.ndarray]:
    """Hourly count series per (item, zone) of `kind` over [end - hours, end), each starting at
    its first non-empty bucket (a series is as long as its history), as integers."""
    v = store.velocity
    start = end - timedelta(hours=hours)
    rows = conn.execute(sa.select(v.c.item, v.c.zone, v.c.bucket, v.c["count"])
                        .where(v.c.kind == kind, v.c.bucket >= start, v.c.bucket < end)
                        .order_by(v.c.item, v.c.zone, v.c.bucket))
    series: dict[tuple[str, str], np.ndarray] = {}
    current: tuple[str, str] | None = None
    first: datetime | None = None
    values: list[tuple[int, int]] = []

    def close() -> None:
        if current is not None and first is not None:
            length = int((end - first) / timedelta(hours=1))
            y = np.zeros(length, dtype=np.int32)  # counts: half the memory of floats
            for offset, count in values:
                y[offset] = count
            series[current] = y

    for r in rows:
        key = (r.item, r.zone)
        if key != current:
            close()
            current, first, values = key, r.bucket, []
        assert first is not None
        values.append((int((r.bucket - first) / timedelta(hours=1)), int(r[3])))
    close()
    return series


def spikes(conn: Connection, *, status: str | None = None, limit: int = 100
           ) -> list[dict[str, Any]]:
    s = store.spikes
    query = sa.select(s).order_by(s.c.opened_at.desc()).limit(limit)
    if status:
        query = query.where(s.c.status == status)
    return [dict(r._mapping) for r in conn.execute(query)]


def spike(conn: Connection, spike_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(store.spikes).where(store.spikes.c.id == spike_id)).first()
    return None if row is None else dict(row._mapping)


def po_value_since(conn: Connection, since: datetime, currency: str) -> int:
    """PO value (minor units) the path added since `since` in `currency`."""
    a = store.actions
    total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(a.c.value), 0))
                         .where(a.c.at >= since, a.c.currency == currency,
                                a.c.action.in_(["raise", "create"]))).scalar_one()
    return int(total)


def po_actions(conn: Connection, spike_id: str) -> list[dict[str, Any]]:
    a = store.actions
    return [dict(r._mapping) for r in conn.execute(
        sa.select(a).where(a.c.spike_id == spike_id).order_by(a.c.at))]


def signal_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(store.signals)).scalar_one())



def plan_for(conn: Connection, sku: str, *, service_level: float = 0.95, review_hours: int = 24,
             cart_to_order: float = 0.35) -> dict[str, Any]:
    """The replenishment numbers for one SKU over the network: forecast, error, supplier terms,
    reorder point, order-up-to level, position and what would be ordered now."""
    from hansa.demand.replenishment import Forecast, Supply, levels, order_quantity
    from hansa.inventory import queries as inventory
    from hansa.suppliers import queries as suppliers

    sku = sku.strip().upper()
    kind, factor = "sale", 1.0
    by_zone = item_baselines(conn, sku, "sale")
    if not by_zone:
        kind, factor = "add_to_cart", cart_to_order
        by_zone = item_baselines(conn, sku, "add_to_cart")
    mu = sum(b.mean_per_hour for b in by_zone.values()) * factor
    sigma = float(np.sqrt(sum(b.sigma ** 2 for b in by_zone.values()))) * factor
    sources = suppliers.sourcing_for(conn, sku)
    source = sources[0] if sources else None
    supply = Supply(int(source["lead_time_hours"]), int(source["moq"]),
                    int(source["case_pack"])) if source else Supply(72)
    lv = levels(Forecast(mu, sigma), supply, review_hours, service_level)
    on_hand = sum(inventory.atp_by_location(conn, sku).values())
    on_order = sum(int(q) for po in suppliers.open_purchase_orders(conn, sku)
                   for s, q, *_ in po["lines"] if s == sku)
    position = on_hand + on_order
    return {"sku": sku, "forecast_from": kind, "zones": len(by_zone),
            "methods": sorted({b.method for b in by_zone.values()}),
            "mean_per_hour": round(mu, 4), "sigma_per_hour": round(sigma, 4),
            "supplier": source["supplier_code"] if source else None,
            "lead_time_hours": supply.lead_time_hours, "moq": supply.moq,
            "case_pack": supply.case_pack, "review_hours": review_hours,
            "service_level": service_level, **lv.as_dict(), "available": on_hand,
            "on_order": on_order, "position": position,
            "order_now": order_quantity(position, lv, supply)}


def zone_area_cells(conn: Connection, codes: Iterable[str]) -> dict[str, list[str]]:
    """The cells of the loaded NWS zone / SAME areas among `codes`, by code."""
    wanted = sorted({c.strip().upper() for c in codes if c.strip()})
    if not wanted:
        return {}
    z = store.zone_areas
    return {r.code: list(r.cells) for r in conn.execute(
        sa.select(z.c.code, z.c.cells).where(z.c.code.in_(wanted)))}


def zone_areas(conn: Connection) -> list[dict[str, Any]]:
    z = store.zone_areas
    return [{"code": r.code, "postal_codes": list(r.postal_codes), "cells": len(r.cells),
             "geometry": r.geometry is not None, "loaded_at": r.loaded_at.isoformat()}
            for r in conn.execute(sa.select(z).order_by(z.c.code))]


def alerts_in_force(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    """Alerts not yet expired, with their evidence (which names their UGC and SAME codes)."""
    a = store.alerts
    return [{"alert_id": r.alert_id, **dict(r.evidence)} for r in conn.execute(
        sa.select(a.c.alert_id, a.c.evidence).where(a.c.expires >= now))]
