"""Demand use cases: ingest signals (and detect spikes in the same unit of work), fit baselines,
raise the open purchase order (guarded), and publish the zone's promise with the plan."""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.demand import messages as m
from hansa.demand import queries, store
from hansa.demand.baseline import Baseline, fit
from hansa.demand.calendar import NO_HOLIDAYS, HolidayCalendar
from hansa.demand.detector import SpikeRule, SpikeVerdict, evaluate, transition
from hansa.demand.model import DETECTED, Signal, SignalKind, hour_bucket, window_buckets
from hansa.demand.signals import WeatherAlert, parse_alert, parse_signal
from hansa.demand.zones import area
from hansa.fulfillment import queries as fulfillment
from hansa.guards import breakers, detectors
from hansa.guards.messages import BreakerTripped
from hansa.kernel.clock import utc
from hansa.kernel.errors import Conflict, HansaError, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.money import Money
from hansa.suppliers import queries as suppliers
from hansa.suppliers.messages import ChangePurchaseOrder, PoLine, SendPurchaseOrder

PO_VALUE_GUARD = "demand:po-value"
Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Ingested:
    signals: int
    alerts: int
    fired: list[str]
    closed: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"signals": self.signals, "alerts": self.alerts, "spikes_fired": self.fired,
                "spikes_closed": self.closed}


def _parse(raw: Any, now: datetime, source: str) -> Signal | WeatherAlert:
    if not isinstance(raw, dict):
        raise InvalidData("a signal is an object", code="invalid_signal")
    if raw.get("kind") == SignalKind.WEATHER_ALERT.value or raw.get("type") == "Feature":
        return parse_alert(raw.get("alert", raw))
    return parse_signal(raw, now, source)


def _alert_signal(alert: WeatherAlert, source: str) -> Signal:
    return Signal(kind=SignalKind.WEATHER_ALERT, at=alert.onset, item="",
                  zone=alert.cells[0] if alert.cells else "", value=1.0, source=source,
                  detail={**alert.as_evidence(), "cells": list(alert.cells)})


def ingest_signals(cmd: m.IngestSignals, uow: UnitOfWork, *, rule: SpikeRule,
                   calendar: HolidayCalendar = NO_HOLIDAYS) -> Ingested:
    """Append the batch (all or nothing), add it to the hourly velocities, record weather
    alerts with the cells they cover, then run the detector on every touched key."""
    now = uow.now()
    batch: list[Signal] = []
    alerts: list[WeatherAlert] = []
    for n, raw in enumerate(cmd.signals):
        try:
            parsed = _parse(raw, now, cmd.source)
        except HansaError as exc:
            raise InvalidData(f"signals[{n}]: {exc}", code=exc.code or "invalid_signal",
                              index=n) from None
        if isinstance(parsed, WeatherAlert):
            parsed = _with_zone_areas(uow, parsed)
            alerts.append(parsed)
            batch.append(_alert_signal(parsed, cmd.source))
        else:
            batch.append(parsed)
    store.append_signals(uow.conn, batch, now)
    for alert in alerts:
        store.upsert_alert(uow.conn, alert.alert_id, {
            "event": alert.event, "severity": alert.severity, "onset": alert.onset,
            "expires": alert.expires, "evidence": alert.as_evidence(), "received_at": now},
            alert.cells)
    counts: dict[tuple[str, str, str, datetime], tuple[int, float]] = {}
    postal: dict[Key, Counter[tuple[str, str]]] = {}
    for s in batch:
        if not s.kind.counted:
            continue
        key = (s.item, s.zone, s.kind.value, hour_bucket(s.at))
        c, v = counts.get(key, (0, 0.0))
        counts[key] = (c + int(s.value), v + s.value)
        if s.kind in DETECTED and s.postal_code:
            postal.setdefault(key[:3], Counter())[(s.postal_code, s.country)] += int(s.value)
    store.add_velocity(uow.conn, counts)
    fired: list[str] = []
    closed: list[str] = []
    if not cmd.backfill:  # history is counted, not judged: the detector looks at the present
        watched = {k[:3] for k in counts if SignalKind(k[2]) in DETECTED and k[0]}
        watched |= _open_keys(uow)  # a key that went quiet must be able to close (and re-arm)
        fired, closed = detect(uow, watched, rule, postal, calendar)
    uow.record(m.SignalsIngested(count=len(batch), alerts=len(alerts), source=cmd.source))
    return Ingested(len(batch), len(alerts), fired, closed)


def _with_zone_areas(uow: UnitOfWork, alert: WeatherAlert) -> WeatherAlert:
    """An alert without a polygon covers the loaded areas of the zones and counties it names."""
    if alert.has_shape:
        return alert
    mapped = queries.zone_area_cells(uow.conn, alert.codes)
    cells = set(alert.cells).union(*mapped.values()) if mapped else set(alert.cells)
    return dataclasses.replace(alert, cells=tuple(sorted(cells)))


def load_zone_areas(cmd: m.LoadZoneAreas, uow: UnitOfWork) -> dict[str, Any]:
    """Store the mapping (all or nothing; an entry replaces the code's earlier one) and let the
    alerts in force that have no polygon cover the areas they name."""
    areas = [area(raw, n) for n, raw in enumerate(cmd.areas)]
    now = uow.now()
    store.upsert_zone_areas(uow.conn, [
        {"code": a.code, "postal_codes": list(a.postal_codes), "geometry": a.geometry,
         "cells": list(a.cells), "loaded_at": now} for a in areas])
    by_code = {a.code: a.cells for a in areas}
    updated = 0
    for alert in queries.alerts_in_force(uow.conn, now):
        if alert.get("shape", True):
            continue
        cells = {c for code in [*alert.get("ugc", []), *alert.get("same", [])]
                 for c in by_code.get(code, ())}
        updated += bool(store.add_alert_cells(uow.conn, alert["alert_id"], cells))
    return {"areas": len(areas), "cells": len({c for a in areas for c in a.cells}),
            "alerts_updated": updated}


def window_verdicts(uow: UnitOfWork, keys: set[Key], rule: SpikeRule, now: datetime,
                    calendar: HolidayCalendar = NO_HOLIDAYS) -> dict[Key, SpikeVerdict]:
    """The detector's verdict for each key over the window ending now (on a holiday hour the
    baseline expects its rate times the series' holiday multiplier)."""
    buckets = window_buckets(now, rule.window_hours)
    counts = queries.window_counts(uow.conn, keys, buckets[0][0])
    baselines = queries.baselines_for(uow.conn, keys)
    out = {}
    for key in keys:
        baseline = baselines.get(key)
        observed = sum(counts[key].get(b, 0) for b, _ in buckets)
        expected = 0.0 if baseline is None or baseline.method == "none" else sum(
            baseline.expected(b, calendar.is_holiday(b)) * share for b, share in buckets)
        out[key] = evaluate(observed, expected, rule,
                            exposure=baseline.exposure if baseline else math.inf,
                            dispersion=baseline.dispersion if baseline else 1.0)
    return out


def detect(uow: UnitOfWork, keys: set[Key], rule: SpikeRule,
           postal: dict[Key, Counter[tuple[str, str]]] | None = None,
           calendar: HolidayCalendar = NO_HOLIDAYS) -> tuple[list[str], list[str]]:
    """Edge-triggered: open a spike (SpikeConfirmed) on crossing, close it on falling back."""
    if not keys:
        return [], []
    now = uow.now()
    verdicts = window_verdicts(uow, keys, rule, now, calendar)
    open_ids = queries.open_spikes(uow.conn, keys)
    fired, closed = [], []
    for key in sorted(keys):
        verdict = verdicts[key]
        step = transition(key in open_ids, verdict, rule)
        if step == "fire":
            opened = _open_spike(uow, key, verdict, (postal or {}).get(key), now)
            if opened is not None:
                fired.append(opened)
        elif step == "close":
            spike_id = open_ids[key]
            uow.conn.execute(store.spikes.update().where(store.spikes.c.id == spike_id)
                             .values(status="closed", closed_at=now))
            uow.record(m.SpikeSubsided(spike_id=spike_id, item=key[0], zone=key[1],
                                       ratio=round(verdict.ratio, 4)))
            closed.append(spike_id)
    return fired, closed


def _open_spike(uow: UnitOfWork, key: Key, verdict: SpikeVerdict,
                postal: Counter[tuple[str, str]] | None, now: datetime) -> str | None:
    item, zone, kind = key
    postal_code, country = postal.most_common(1)[0][0] if postal else ("", "")
    evidence: list[dict[str, Any]] = [
        {"type": "weather_alert", **a} for a in queries.alerts_covering(uow.conn, zone, now)]
    evidence += [{"type": lv.pop("kind"), **lv} for lv in
                 queries.latest_levels(uow.conn, zone, item, now - timedelta(hours=72))]
    spike_id = new_id()
    if not store.open_spike(uow.conn, {
            "id": spike_id, "item": item, "zone": zone, "kind": kind, "postal_code": postal_code,
            "country": country, "status": "open", "opened_at": now, "closed_at": None,
            "verdict": verdict.as_dict(), "evidence": evidence}):
        return None  # a concurrent batch confirmed it first
    uow.record(m.SpikeConfirmed(
        spike_id=spike_id, item=item, zone=zone, kind=kind, postal_code=postal_code,
        country=country, observed=verdict.observed, expected=round(verdict.expected, 4),
        ratio=round(verdict.ratio, 4), p_value=verdict.p_value, evidence=evidence))
    return spike_id


def _open_keys(uow: UnitOfWork) -> set[Key]:
    s = store.spikes
    return {(r.item, r.zone, r.kind) for r in uow.conn.execute(
        sa.select(s.c.item, s.c.zone, s.c.kind).where(s.c.status == "open"))}


def review_spikes(cmd: m.ReviewSpikes, uow: UnitOfWork, *, rule: SpikeRule,
                  calendar: HolidayCalendar = NO_HOLIDAYS) -> list[str]:
    """Re-evaluate open spikes (every batch does this too; this is for quiet stretches)."""
    return detect(uow, _open_keys(uow), rule, calendar=calendar)[1]


def on_signals_observed(event: m.SignalsObserved, uow: UnitOfWork, *, rule: SpikeRule,
                        calendar: HolidayCalendar = NO_HOLIDAYS) -> None:
    """Consumer: signals published on the bus by a collector."""
    ingest_signals(m.IngestSignals(signals=tuple(event.signals), source=event.source or "bus"),
                   uow, rule=rule, calendar=calendar)


def fit_baselines(cmd: m.FitBaselines, uow: UnitOfWork, *,
                  calendar: HolidayCalendar = NO_HOLIDAYS) -> dict[str, Any]:
    """Refit every baseline of a kind from the hourly velocities (statsforecast), holidays of
    the market's calendar kept out of the profile and learned as multipliers."""
    try:
        kind = SignalKind(cmd.kind)
    except ValueError:
        raise InvalidData(f"unknown signal kind {cmd.kind!r}", code="invalid_kind") from None
    if not kind.counted:
        raise InvalidData(f"{kind} is not a counted signal", code="invalid_kind")
    end = hour_bucket(uow.now())
    started = time.perf_counter()
    series = queries.history(uow.conn, kind.value, end, cmd.history_days * 24)
    fitted = fit({f"{i}\x1f{z}": y for (i, z), y in series.items()}, end, calendar)
    now = uow.now()
    store.replace_baselines(uow.conn, kind.value,  # rows made a chunk at a time
                            (baseline_row(key, kind.value, b, now) for key, b in fitted.items()))
    methods = dict(Counter(b.method for b in fitted.values()))
    seconds = round(time.perf_counter() - started, 3)
    uow.record(m.BaselinesFitted(kind=kind.value, series=len(fitted), methods=methods,
                                 seconds=seconds))
    return {"series": len(fitted), "methods": methods, "seconds": seconds}


def baseline_row(key: str, kind: str, b: Baseline, at: datetime) -> dict[str, Any]:
    """The stored row of a fitted baseline (`key` is item and zone joined by \\x1f)."""
    item, zone = key.split("\x1f")
    rates = np.round(np.asarray(b.rates, dtype=float), 5).tolist()
    return {"item": item, "zone": zone, "kind": kind, "method": b.method, "rates": rates,
            "mean_rate": sum(rates) / len(rates),  # as `Baseline.mean_per_hour` of the row
            "sigma": round(b.sigma, 5),
            "history_hours": b.history_hours, "holiday_factor": b.holiday_factor,
            "exposure": round(b.exposure, 3), "fitted_at": at}


# the path's steps --------------------------------------------------------------------------
def raise_purchase_order(cmd: m.RaisePurchaseOrder, uow: UnitOfWork, *,
                         max_value_per_hour: int) -> dict[str, Any]:
    """Raise the open PO (ChangePurchaseOrder: an 860 / ORDERS change / JSON) or send a new one
    (SendPurchaseOrder), unless the PO value added within the last hour would pass the guard:
    then the breaker `demand:po-value` opens (the path's next steps block) and nothing is sent."""
    key = cmd.idempotency_key or f"spike:{cmd.spike_id}:po"
    a = store.actions
    done = uow.conn.execute(sa.select(a).where(a.c.key == key)).first()
    if done is not None:
        return {"po_number": done.po_number, "action": done.action, "again": True}
    if cmd.add_quantity <= 0 or cmd.unit_cost < 0:
        raise InvalidData("a PO raise adds a positive quantity", code="invalid_po_raise")
    now = uow.now()
    value = cmd.add_quantity * cmd.unit_cost
    spent = queries.po_value_since(uow.conn, now - timedelta(hours=1), cmd.currency)
    verdict = detectors.quantity_range(spent + value, low=0, high=max_value_per_hour,
                                       guard=PO_VALUE_GUARD)
    number = cmd.po_number or cmd.new_po_number
    if not verdict.allowed:
        breaker = breakers.ensure(uow.conn, PO_VALUE_GUARD, now)
        verdict = dataclasses.replace(verdict, dry_run=breaker.dry_run, reason=(
            f"PO value within the hour would reach {Money(spent + value, cmd.currency).format()}"
            f", above the {Money(max_value_per_hour, cmd.currency).format()} bound"))
        breakers.log_verdict(uow.conn, verdict, cmd.sku, now)
        breakers.trip(uow.conn, PO_VALUE_GUARD, verdict, now)
        uow.record(BreakerTripped(breaker=PO_VALUE_GUARD, reason=verdict.reason,
                                  detector=verdict.detector, dry_run=verdict.dry_run,
                                  details=verdict.details))
    if verdict.blocks:  # a dry-run breaker records its verdict and lets the raise through
        _record_action(uow, key, cmd, number, "blocked", [], [], 0, now)
        return {"po_number": number, "action": "blocked", "reason": verdict.reason}
    sku = cmd.sku.strip().upper()
    if cmd.po_number:
        po = next((p for p in suppliers.open_purchase_orders(uow.conn, sku)
                   if p["po_number"] == cmd.po_number), None)
        if po is None:
            raise Conflict(f"PO {cmd.po_number} is no longer open for {sku}", code="po_not_open")
        previous = po["lines"]
        lines = [[s, q + cmd.add_quantity if s == sku else q, c, cur]
                 for s, q, c, cur in previous]
        uow.execute(ChangePurchaseOrder(po_number=cmd.po_number, lines=tuple(
            PoLine(s, q, c) for s, q, c, _ in lines)))
        action = "raise"
    else:
        if not cmd.new_po_number:
            raise InvalidData("no open PO and no number for a new one", code="invalid_po_raise")
        previous, lines = [], [[sku, cmd.add_quantity, cmd.unit_cost, cmd.currency]]
        uow.execute(SendPurchaseOrder(supplier_code=cmd.supplier_code,
                                      po_number=cmd.new_po_number, currency=cmd.currency,
                                      lines=(PoLine(sku, cmd.add_quantity, cmd.unit_cost),)))
        action = "create"
    _record_action(uow, key, cmd, number, action, previous, lines, value, now)
    uow.record(m.PurchaseOrderRaised(spike_id=cmd.spike_id, sku=sku, po_number=number,
                                     added=cmd.add_quantity, value=value,
                                     currency=cmd.currency))
    return {"po_number": number, "action": action, "added": cmd.add_quantity, "value": value}


def _record_action(uow: UnitOfWork, key: str, cmd: m.RaisePurchaseOrder, number: str,
                   action: str, previous: list[Any], lines: list[Any], value: int,
                   at: datetime) -> None:
    uow.conn.execute(store.actions.insert().values(
        key=key, spike_id=cmd.spike_id, sku=cmd.sku.strip().upper(), po_number=number,
        action=action, previous_lines=previous, new_lines=lines, value=value,
        currency=cmd.currency, at=at))


def revert_purchase_order(cmd: m.RevertPurchaseOrder, uow: UnitOfWork) -> dict[str, Any]:
    """Compensation: the raised PO goes back to its previous lines (a new PO to quantity 0)."""
    a = store.actions
    query = sa.select(a).where(a.c.spike_id == cmd.spike_id, a.c.action.in_(["raise", "create"]))
    if cmd.sku:
        query = query.where(a.c.sku == cmd.sku.strip().upper())
    rows = uow.conn.execute(query.order_by(a.c.at.desc(), a.c.key.desc())).all()
    for row in rows:
        lines = row.previous_lines or [[s, 0, c, cur] for s, _, c, cur in row.new_lines]
        uow.execute(ChangePurchaseOrder(po_number=row.po_number, lines=tuple(
            PoLine(s, q, c) for s, q, c, _ in lines)))
        uow.conn.execute(a.update().where(a.c.key == row.key).values(action="reverted"))
    return {"reverted": [r.po_number for r in rows]}


def publish_zone_promise(cmd: m.PublishZonePromise, uow: UnitOfWork) -> dict[str, Any]:
    """The zone's promise now and once the transfer lands (the honest date while in transit),
    recorded with the plan as `ReplenishmentPlanned` for marketing and the ad valve."""
    spike = queries.spike(uow.conn, cmd.spike_id)
    if spike is None:
        raise NotFound(f"no spike {cmd.spike_id}", code="spike_not_found")
    now = uow.now()
    sku = cmd.sku.strip().upper()
    now_dict, after = None, None
    try:  # a spike located by position alone has no postal code to quote
        now_dict = fulfillment.quote(uow.conn, sku, cmd.postal_code, cmd.country, now).as_dict()
        if cmd.transfer_ids and cmd.arrives_at and cmd.target_location_id:
            arrives = utc(datetime.fromisoformat(cmd.arrives_at))
            units = _in_transit_units(uow, sku, cmd.transfer_ids)
            after = fulfillment.quote(uow.conn, sku, cmd.postal_code, cmd.country, arrives,
                                      extra={cmd.target_location_id: units}).as_dict()
    except InvalidData:
        pass
    uow.record(m.ReplenishmentPlanned(
        spike_id=cmd.spike_id, sku=sku, zone=str(spike["zone"]), postal_code=cmd.postal_code,
        po_number=cmd.po_number, po_added=cmd.po_added, transfer_ids=list(cmd.transfer_ids),
        arrives_at=cmd.arrives_at, promise_now=now_dict, promise_after_transfer=after))
    return {"now": now_dict, "after_transfer": after}


def _in_transit_units(uow: UnitOfWork, sku: str, transfer_ids: tuple[str, ...]) -> int:
    from hansa.inventory import queries as inventory

    wanted = set(transfer_ids)
    return sum(int(str(t["quantity"])) for t in inventory.transfers_in_transit(uow.conn, sku)
               if t["id"] in wanted)
