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
    sales = demand.item_baselines(conn, sku, "sale")
    if sales:
        return {z: [b.mean_per_hour, b.sigma] for z, b in sales.items()}
    carts = demand.item_baselines(conn, sku, "add_to_cart")
    return {z: [b.mean_per_hour * cart_to_order, b.sigma * cart_to_order]
            for z, b in carts.items()}


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
        if event.item.startswith(CATEGORY_PREFIX):
            return base
        sku = event.item
        centre = _zone_centre(event.zone)
        outflow = inventory.outflow_by_location(conn, sku, now - timedelta(days=VELOCITY_DAYS))
        atp = inventory.atp_by_location(conn, sku)
        places = [{"id": loc.id, "code": loc.code, "kind": loc.kind.value,
                   "km_to_spike": round(haversine_km(loc.position, centre), 1),
                   "lat": loc.position.lat, "lon": loc.position.lon,
                   "atp": atp.get(loc.id, 0), "picked_14d": outflow.get(loc.id, 0)}
                  for loc in inventory.locations(conn) if loc.kind.value in STOCKING]
        return {**base, "locations": places, "rates": _rates(conn, sku, tuning.cart_to_order),
                "sourcing": suppliers.sourcing_for(conn, sku)[:1],
                "open_pos": [{k: p[k] for k in ("po_number", "supplier_code", "status", "lines")}
                             for p in suppliers.open_purchase_orders(conn, sku)]}
    return inputs


def _transfer_id(spike_id: str, index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hansa:spike:{spike_id}:transfer:{index}"))


def _po_number(spike_id: str) -> str:
    return "DS-" + spike_id.replace("-", "")[-16:].upper()


def plan(inputs: dict[str, Any], tuning: Tuning) -> Decision:
    """Pure: the PO raise, the transfers and the promise step for one spike."""
    sku, spike_id = str(inputs["sku"]), str(inputs["spike_id"])
    if sku.startswith(CATEGORY_PREFIX) or "locations" not in inputs:
        return Decision.skip(f"{sku} is a category: nothing to order or move per SKU")
    now = utc(datetime.fromisoformat(inputs["now"]))
    ratio = max(1.0, float(inputs["ratio"]))
    rates: dict[str, list[float]] = inputs["rates"]
    zone_mu, zone_sigma = rates.get(inputs["zone"], [0.0, 0.0])
    mu = sum(r[0] for r in rates.values()) + zone_mu * (ratio - 1)
    sigma = math.sqrt(sum(r[1] ** 2 for r in rates.values()) + (zone_sigma ** 2) * (ratio - 1))
    reasons = [f"spike x{ratio:.2f} in {inputs['zone']} ({inputs['postal_code']}), "
               f"p={inputs['p_value']:.2g}"]
    alerts = [e for e in inputs.get("evidence", []) if e.get("type") == "weather_alert"]
    if alerts:
        reasons.append("under " + ", ".join(f"{a['event']} ({a['severity']})" for a in alerts))
    steps: list[StepSpec] = []
    po_number, po_added = "", 0
    source = (inputs.get("sourcing") or [None])[0]
    lead = int(source["lead_time_hours"]) if source else 72
    if source is None or source.get("cost") is None:
        reasons.append(f"no supplier item with a cost is mapped to {sku}: no PO change")
    else:
        supply = Supply(lead, int(source["moq"]), int(source["case_pack"]))
        lv = levels(Forecast(mu, sigma), supply, tuning.review_hours, tuning.service_level)
        on_order = sum(int(q) for po in inputs["open_pos"] for s, q, *_ in po["lines"] if s == sku)
        on_hand = sum(int(p["atp"]) for p in inputs["locations"])
        position = on_hand + on_order
        po_added = order_quantity(position, lv, supply)
        if po_added and source.get("supply_model") == "mto" and source.get("schedule"):
            po_added, lead = _production(po_added, source, supply, now, reasons)
        mine = [p for p in inputs["open_pos"] if p["supplier_code"] == source["supplier_code"]]
        reasons.append(f"position {position} (ATP {on_hand} + on order {on_order}) vs reorder "
                       f"point {lv.reorder_point}, order-up-to {lv.order_up_to} at "
                       f"{mu:.2f}/h over {lead} h lead + {tuning.review_hours} h review")
        if po_added:
            po_number = mine[0]["po_number"] if mine else _po_number(spike_id)
            reasons.append(f"{'raise' if mine else 'new'} PO {po_number} by {po_added}")
            steps.append(StepSpec("raise-po", d.RaisePurchaseOrder(
                spike_id=spike_id, sku=sku, supplier_code=source["supplier_code"],
                add_quantity=po_added, unit_cost=int(source["cost"]),
                currency=source["currency"], po_number=mine[0]["po_number"] if mine else "",
                new_po_number="" if mine else po_number),
                d.RevertPurchaseOrder(spike_id=spike_id)))
    transfers, arrives, target = _transfers(inputs, tuning, lead, zone_mu * ratio, zone_sigma,
                                            source, reasons, now)
    for index, (loc_id, units) in enumerate(transfers):
        steps.append(StepSpec(f"transfer-{index}", DispatchTransfer(
            sku=sku, from_location_id=loc_id, to_location_id=target, quantity=units,
            transfer_id=_transfer_id(spike_id, index), expected_at=arrives)))
    if not steps:
        return Decision.skip(*reasons, "nothing to order and nothing to move")
    steps.append(StepSpec("publish-promise", d.PublishZonePromise(
        spike_id=spike_id, sku=sku, postal_code=inputs["postal_code"],
        country=inputs["country"] or "US",
        transfer_ids=tuple(_transfer_id(spike_id, i) for i in range(len(transfers))),
        arrives_at=arrives.isoformat() if transfers else "", target_location_id=target,
        po_number=po_number, po_added=po_added)))
    return Decision.go(steps, *reasons, **inputs, plan={
        "po_number": po_number, "po_added": po_added, "target": target,
        "transfers": [[loc, q] for loc, q in transfers], "arrives_at": arrives.isoformat()})


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


def _transfers(inputs: dict[str, Any], tuning: Tuning, lead: int, zone_mu: float,
               zone_sigma: float, source: dict[str, Any] | None, reasons: list[str],
               now: datetime) -> tuple[list[tuple[str, int]], datetime, str]:
    places = inputs["locations"]
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
