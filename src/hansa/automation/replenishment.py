"""The demand-sensing and replenishment path: on a confirmed spike, raise (or pull in) the open
purchase order, move stock from slow locations to the one nearest the spike, and publish the
zone's promise with the plan. No planner in the loop.

Steps [compensation]: raise the PO through the supplier's channel (guarded by the PO value per
hour) [put its lines back]; one `DispatchTransfer` per source the MILP chose (size bounds
applied); publish the zone's promise now and once the transfer lands, with `ReplenishmentPlanned`.
The per-path kill switch `path:demand-replenishment` and the breaker `demand:po-value` gate
every step.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from hansa.automation.model import Decision, Path, StepSpec
from hansa.catalog import queries as catalog
from hansa.demand import messages as d
from hansa.demand import queries as demand
from hansa.demand.model import CATEGORY_PREFIX
from hansa.demand.replenishment import (
    Forecast,
    Supply,
    levels,
    order_quantity,
    production_slot,
    z_of,
)
from hansa.demand.transfers import Source, plan_transfer
from hansa.inventory import queries as inventory
from hansa.inventory.messages import DispatchTransfer
from hansa.kernel.clock import utc
from hansa.kernel.errors import NotFound
from hansa.kernel.geo import Position, haversine_km
from hansa.suppliers import queries as suppliers

PATH_NAME = "demand-replenishment"
PO_VALUE_BREAKER = "demand:po-value"
STOCKING = ("warehouse", "regional_dc", "micro_fulfillment", "3pl")
VELOCITY_DAYS = 14
MAX_HORIZON_HOURS = 7 * 24


@dataclass(frozen=True, slots=True)
class Tuning:
    service_level: float = 0.95
    review_hours: int = 24
    cart_to_order: float = 0.35
    transfer_min_units: int = 2
    transfer_max_units: int = 500
    category_max_skus: int = 10  # a category spike acts on at most this many of its SKUs
    # micro-fulfilment centres give to another centre's spike (measured in the per-location
    # replay of bench/demand.py: they are the cheapest sources and the MILP left them only
    # their demand over the horizon, which lowered the network's same-day share)
    centres_give: bool = False
    cost_per_km: float = 0.2
    handling_cost: int = 40
    truck_kmh: float = 60.0
    dock_hours: float = 4.0


def _zone_centre(zone: str) -> Position:
    import h3

    lat, lon = h3.cell_to_latlng(zone)
    return Position(lat, lon)


def _rates(conn: Connection, sku: str, cart_to_order: float) -> dict[str, list[float]]:
    """Per zone: [mean sales per hour, sigma per hour], from sales baselines or add-to-cart."""
    return _rates_of(conn, [sku], cart_to_order).get(sku, {})


def _rates_of(conn: Connection, skus: list[str], cart_to_order: float
              ) -> dict[str, dict[str, list[float]]]:
    """`_rates` for many SKUs, two statements in all (every SKU is in the answer)."""
    sales = demand.items_mean_rates(conn, skus, "sale")
    carts = demand.items_mean_rates(conn, [s for s in skus if s not in sales], "add_to_cart")
    out = {sku: {z: [mean, sigma] for z, (mean, sigma) in by_zone.items()}
           for sku, by_zone in sales.items()}
    for sku in skus:
        if sku not in out:
            out[sku] = {z: [mean * cart_to_order, sigma * cart_to_order]
                        for z, (mean, sigma) in carts.get(sku, {}).items()}
    return out


def _sku_inputs(conn: Connection, sku: str, centre: Position, now: datetime,
                tuning: Tuning) -> dict[str, Any]:
    """One SKU's side of the plan: stocking locations (ATP, 14-day picks, distance to the
    spike), per-zone rates, the cheapest supplier item and the open POs."""
    outflow = inventory.outflow_by_location(conn, sku, now - timedelta(days=VELOCITY_DAYS))
    atp = inventory.atp_by_location(conn, sku)
    places = [{"id": loc.id, "code": loc.code, "kind": loc.kind.value,
               "km_to_spike": round(haversine_km(loc.position, centre), 1),
               "lat": loc.position.lat, "lon": loc.position.lon,
               "atp": atp.get(loc.id, 0), "picked_14d": outflow.get(loc.id, 0)}
              for loc in inventory.locations(conn) if loc.kind.value in STOCKING]
    return {"sku": sku, "locations": places, "rates": _rates(conn, sku, tuning.cart_to_order),
            "sourcing": suppliers.sourcing_for(conn, sku)[:1],
            "open_pos": [{k: p[k] for k in ("po_number", "supplier_code", "status", "lines")}
                         for p in suppliers.open_purchase_orders(conn, sku)]}


def _category_inputs(conn: Connection, event: d.SpikeConfirmed, centre: Position,
                     now: datetime, tuning: Tuning) -> dict[str, Any]:
    """A category spike spread over the category's SKUs by their share of its demand in the
    spike's zone (their own baselines there; their network rates when none has a baseline in
    the zone). SKUs without any baseline get nothing: their own data does not support a move."""
    name = event.item[len(CATEGORY_PREFIX):]
    base = demand.item_baselines(conn, event.item, event.kind).get(event.zone)
    factor = 1.0 if event.kind == "sale" else tuning.cart_to_order
    per_hour = base.mean_per_hour * factor if base is not None else 0.0
    excess = max(0.0, float(event.ratio) - 1) * per_hour
    skus = catalog.skus_in_category(conn, name)
    rates = _rates_of(conn, skus, tuning.cart_to_order)
    weights = {sku: r.get(event.zone, [0.0])[0] for sku, r in rates.items()}
    basis = "zone"
    if sum(weights.values()) <= 0:
        weights = {sku: sum(v[0] for v in r.values()) for sku, r in rates.items()}
        basis = "network"
    total = sum(weights.values())
    ranked = sorted(((w / total, sku) for sku, w in weights.items() if w > 0),
                    key=lambda t: (-t[0], t[1]))[:tuning.category_max_skus] if total else []
    members = [{**_sku_inputs(conn, sku, centre, now, tuning), "share": round(share, 4),
                "extra_per_hour": share * excess} for share, sku in ranked]
    return {"category": name, "category_skus": len(skus), "share_basis": basis,
            "category_per_hour": round(per_hour, 4), "excess_per_hour": round(excess, 4),
            "members": members}


def gather(tuning: Tuning) -> Any:
    def inputs(event: d.SpikeConfirmed, conn: Connection) -> dict[str, Any]:
        spike = demand.spike(conn, event.spike_id)
        if spike is None:
            raise NotFound(f"no spike {event.spike_id}", code="spike_not_found")
        now = spike["opened_at"]
        base = {"spike_id": event.spike_id, "sku": event.item, "zone": event.zone,
                "postal_code": event.postal_code, "country": event.country,
                "ratio": event.ratio, "observed": event.observed, "expected": event.expected,
                "p_value": event.p_value, "evidence": event.evidence, "now": now.isoformat()}
        centre = _zone_centre(event.zone)
        if event.item.startswith(CATEGORY_PREFIX):
            return {**base, **_category_inputs(conn, event, centre, now, tuning)}
        return {**base, **_sku_inputs(conn, event.item, centre, now, tuning)}
    return inputs


def _transfer_id(spike_id: str, index: int, sku: str = "") -> str:
    tail = f":{sku}" if sku else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hansa:spike:{spike_id}:transfer:{index}{tail}"))


def _po_number(spike_id: str, sku: str = "") -> str:
    if sku:  # one new PO per SKU of a category spike
        return "DS-" + uuid.uuid5(uuid.NAMESPACE_URL, f"{spike_id}:{sku}").hex[-16:].upper()
    return "DS-" + spike_id.replace("-", "")[-16:].upper()


def plan(inputs: dict[str, Any], tuning: Tuning) -> Decision:
    """Pure: the PO raise, the transfers and the promise step for one spike (for a category
    spike, for each SKU it was spread over)."""
    sku = str(inputs["sku"])
    reasons = [f"spike x{max(1.0, float(inputs['ratio'])):.2f} in {inputs['zone']} "
               f"({inputs['postal_code']}), p={inputs['p_value']:.2g}"]
    alerts = [e for e in inputs.get("evidence", []) if e.get("type") == "weather_alert"]
    if alerts:
        reasons.append("under " + ", ".join(f"{a['event']} ({a['severity']})" for a in alerts))
    if "members" in inputs:
        return _plan_category(inputs, tuning, reasons)
    if sku.startswith(CATEGORY_PREFIX) or "locations" not in inputs:
        return Decision.skip(f"{sku} is a category: nothing to order or move per SKU")
    zone_mu = inputs["rates"].get(inputs["zone"], [0.0, 0.0])[0]
    extra = zone_mu * (max(1.0, float(inputs["ratio"])) - 1)
    steps, summary = _plan_sku(inputs, inputs, extra, tuning, reasons, tag="")
    if not steps:
        return Decision.skip(*reasons, "nothing to order and nothing to move")
    return Decision.go(steps, *reasons, **inputs, plan=summary)


def _plan_category(inputs: dict[str, Any], tuning: Tuning, reasons: list[str]) -> Decision:
    members = inputs["members"]
    reasons.append(f"category {inputs['category']}: {inputs['excess_per_hour']:.2f} extra "
                   f"sales/h in the zone spread over {len(members)} of "
                   f"{inputs['category_skus']} SKUs by their {inputs['share_basis']} share")
    if not members:
        return Decision.skip(*reasons, "no SKU of the category has demand history to act on")
    steps: list[StepSpec] = []
    plans = {}
    for member in members:
        mine = [f"{member['sku']} ({member['share']:.0%} of the category)"]
        found, summary = _plan_sku(member, inputs, float(member["extra_per_hour"]), tuning,
                                   mine, tag=str(member["sku"]))
        steps += found
        plans[member["sku"]] = summary
        reasons.append("; ".join(mine))
    if not steps:
        return Decision.skip(*reasons, "nothing to order and nothing to move")
    return Decision.go(steps, *reasons, **inputs, plan=plans)


def _plan_sku(m: dict[str, Any], spike: dict[str, Any], extra: float, tuning: Tuning,
              reasons: list[str], tag: str) -> tuple[list[StepSpec], dict[str, Any]]:
    """One SKU's steps: network forecast lifted by `extra` units per hour in the spike's zone.
    `tag` (the SKU, for a category spike) keeps step names, PO numbers and transfer ids apart."""
    sku, spike_id = str(m["sku"]), str(spike["spike_id"])
    now = utc(datetime.fromisoformat(spike["now"]))
    rates: dict[str, list[float]] = m["rates"]
    zone_mu, zone_sigma = rates.get(spike["zone"], [0.0, 0.0])
    mu = sum(r[0] for r in rates.values()) + extra
    # the lift's variance: the zone's error scaled with it, or Poisson scatter without one
    lift_var = zone_sigma ** 2 * extra / zone_mu if zone_mu > 0 else extra
    sigma = math.sqrt(sum(r[1] ** 2 for r in rates.values()) + lift_var)
    name = (lambda step: f"{step}:{tag}") if tag else (lambda step: step)
    steps: list[StepSpec] = []
    po_number, po_added = "", 0
    source = (m.get("sourcing") or [None])[0]
    lead = int(source["lead_time_hours"]) if source else 72
    if source is None or source.get("cost") is None:
        reasons.append(f"no supplier item with a cost is mapped to {sku}: no PO change")
    else:
        supply = Supply(lead, int(source["moq"]), int(source["case_pack"]))
        lv = levels(Forecast(mu, sigma), supply, tuning.review_hours, tuning.service_level)
        on_order = sum(int(q) for po in m["open_pos"] for s, q, *_ in po["lines"] if s == sku)
        on_hand = sum(int(p["atp"]) for p in m["locations"])
        position = on_hand + on_order
        po_added = order_quantity(position, lv, supply)
        if po_added and source.get("supply_model") == "mto" and source.get("schedule"):
            po_added, lead = _production(po_added, source, supply, now, reasons)
        mine = [p for p in m["open_pos"] if p["supplier_code"] == source["supplier_code"]]
        reasons.append(f"position {position} (ATP {on_hand} + on order {on_order}) vs reorder "
                       f"point {lv.reorder_point}, order-up-to {lv.order_up_to} at "
                       f"{mu:.2f}/h over {lead} h lead + {tuning.review_hours} h review")
        if po_added:
            po_number = mine[0]["po_number"] if mine else _po_number(spike_id, tag)
            reasons.append(f"{'raise' if mine else 'new'} PO {po_number} by {po_added}")
            steps.append(StepSpec(name("raise-po"), d.RaisePurchaseOrder(
                spike_id=spike_id, sku=sku, supplier_code=source["supplier_code"],
                add_quantity=po_added, unit_cost=int(source["cost"]),
                currency=source["currency"], po_number=mine[0]["po_number"] if mine else "",
                new_po_number="" if mine else po_number,
                idempotency_key=f"spike:{spike_id}:po:{tag}" if tag else ""),
                d.RevertPurchaseOrder(spike_id=spike_id, sku=sku if tag else "")))
    transfers, arrives, target = _transfers(m, spike, tuning, lead, zone_mu + extra,
                                            zone_sigma, source, reasons, now)
    for index, (loc_id, units) in enumerate(transfers):
        steps.append(StepSpec(name(f"transfer-{index}"), DispatchTransfer(
            sku=sku, from_location_id=loc_id, to_location_id=target, quantity=units,
            transfer_id=_transfer_id(spike_id, index, tag), expected_at=arrives)))
    summary = {"po_number": po_number, "po_added": po_added, "target": target,
               "transfers": [[loc, q] for loc, q in transfers],
               "arrives_at": arrives.isoformat()}
    if not steps:
        return [], summary
    steps.append(StepSpec(name("publish-promise"), d.PublishZonePromise(
        spike_id=spike_id, sku=sku, postal_code=spike["postal_code"],
        country=spike["country"] or "US",
        transfer_ids=tuple(_transfer_id(spike_id, i, tag) for i in range(len(transfers))),
        arrives_at=arrives.isoformat() if transfers else "", target_location_id=target,
        po_number=po_number, po_added=po_added)))
    return steps, summary


def _production(quantity: int, source: dict[str, Any], supply: Supply, now: datetime,
                reasons: list[str]) -> tuple[int, int]:
    """A made-to-order item: what the supplier's production plan can make, and by when."""
    schedule = [(date.fromisoformat(str(d)), int(q)) for d, q in source["schedule"]]
    slot = production_slot(quantity, schedule, now, supply.lead_time_hours)
    units = slot.units // supply.case_pack * supply.case_pack
    if units < supply.moq:
        reasons.append(f"MTO: the production plan has {slot.units} units free, under the MOQ "
                       f"{supply.moq}: no PO change")
        return 0, slot.ready_hours
    reasons.append(f"MTO: {units} of {quantity} units ready in {slot.ready_hours} h from the "
                   f"supplier's production plan")
    return units, slot.ready_hours


def _transfers(m: dict[str, Any], spike: dict[str, Any], tuning: Tuning, lead: int,
               zone_mu: float, zone_sigma: float, source: dict[str, Any] | None,
               reasons: list[str], now: datetime) -> tuple[list[tuple[str, int]], datetime, str]:
    places = m["locations"]
    mfcs = [p for p in places if p["kind"] == "micro_fulfillment"] or places
    if not mfcs:
        reasons.append("no stocking location: nothing to move")
        return [], now, ""
    target = min(mfcs, key=lambda p: (p["km_to_spike"], p["code"]))
    horizon = min(lead, MAX_HORIZON_HOURS)
    need = math.ceil(zone_mu * horizon + z_of(tuning.service_level) * zone_sigma
                     * math.sqrt(horizon)) - int(target["atp"])
    at_target = Position(target["lat"], target["lon"])
    sources = []
    for p in places:
        if p["id"] == target["id"]:
            continue
        if p["kind"] == "micro_fulfillment" and not tuning.centres_give:
            continue  # a centre's stock is its own zone's same-day promise
        km = haversine_km(Position(p["lat"], p["lon"]), at_target)
        per_hour = p["picked_14d"] / (VELOCITY_DAYS * 24)
        sources.append(Source(p["id"], p["code"], int(p["atp"]), per_hour * horizon,
                              tuning.handling_cost + round(km * tuning.cost_per_km),
                              per_hour * 24))
    penalty = int(source["cost"]) if source and source.get("cost") else 1000
    result = plan_transfer(need, sources, lost_sale_penalty=penalty,
                           min_units=tuning.transfer_min_units,
                           max_units=tuning.transfer_max_units)
    reasons.append(f"target {target['code']} ({target['km_to_spike']} km from the spike) needs "
                   f"{max(need, 0)} over {horizon} h")
    reasons += result.reasons
    moves = [(loc, q) for loc, _, q in result.moves]
    km_max = max((haversine_km(Position(p["lat"], p["lon"]), at_target)
                  for p in places for loc, _ in moves if p["id"] == loc), default=0.0)
    arrives = now + timedelta(hours=tuning.dock_hours + km_max / tuning.truck_kmh)
    return moves, arrives, str(target["id"])


def path(tuning: Tuning | None = None) -> Path:
    tuning = tuning or Tuning()
    return Path(
        name=PATH_NAME, trigger=d.SpikeConfirmed, inputs=gather(tuning),
        policy=lambda inputs: plan(inputs, tuning), breakers=(PO_VALUE_BREAKER,),
        commands=(d.RaisePurchaseOrder, d.RevertPurchaseOrder, DispatchTransfer,
                  d.PublishZonePromise),
        description="spike -> raise the PO, move stock near the spike, publish the promise")
