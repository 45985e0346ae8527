"""Per-location replay for bench/demand.py: the weekly planner alone vs the weekly planner plus
the path's own decisions on every confirmed spike (its pure policy `plan()`: the PO raise and
the transfer MILP), on the same generated demand.

The network per SKU: one micro-fulfilment centre per zone (it serves its zone the same day) and
one regional DC (it receives the supplier's POs; it and the other centres serve a zone whose
centre is empty, slower). Both policies run the same planner: every Monday 00:00 the network
is reordered with the same min/max rule as the pooled bench and every centre is topped up from
the DC to a week and its transit of its zone's demand plus safety stock (trucks cost the same
per unit and km as the path's transfers). `planner+path` adds, at each detector firing, what
`plan()` returns for the spike: a raise of the open PO (it lands after the lead time) and the
MILP's transfers (they land at the path's ETA); `planner+path (centres give)` lets other
micro-fulfilment centres be sources too (the path's behaviour before `Tuning.centres_give`).
A zone's demand is served by its centre, else by the DC, else by the nearest centre with
stock, else lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from hansa.automation.replenishment import Tuning, plan
from hansa.demand.messages import RaisePurchaseOrder
from hansa.demand.replenishment import Supply, min_max_from_history, round_order, z_of
from hansa.inventory.messages import DispatchTransfer
from hansa.kernel.clock import utc
from hansa.kernel.geo import Position, haversine_km

DC = "DC"
DC_AT = Position(36.0, -86.0)
TUNING = Tuning()
WEEK = 168


def centre_at(zone: int) -> Position:
    return Position(40.7, -74.0 - 2.5 * zone)  # about 210 km apart along a line


@dataclass
class NetTally:
    lost: int = 0
    same_day: int = 0
    slower: int = 0
    holding: float = 0.0
    transfer_cost: float = 0.0  # currency units
    path_transfer_units: int = 0
    orders: int = 0
    po_raises: int = 0


def _move_cost(a: Position, b: Position) -> float:
    return (TUNING.handling_cost + haversine_km(a, b) * TUNING.cost_per_km) / 100


def _transit_hours(a: Position, b: Position) -> int:
    return math.ceil(TUNING.dock_hours + haversine_km(a, b) / TUNING.truck_kmh)


def simulate_network(with_path: bool, sku_rows: list[list[int]], sales: np.ndarray,
                     history: int, supply: Supply, unit_cost: float, holding_per_hour: float,
                     fires: dict[int, list[tuple[int, float]]], start: Any,
                     tuning: Tuning = TUNING) -> NetTally:
    tally = NetTally()
    hours = sales.shape[1] - history
    for k, rows in enumerate(sku_rows):
        zones = len(rows)
        places = {**{str(z): centre_at(z) for z in range(zones)}, DC: DC_AT}
        past = sales[rows, :history]
        mu = past.mean(axis=1)
        sd = past.std(axis=1, ddof=1)
        daily = past.reshape(zones, -1, 24).sum(axis=2).sum(axis=0)
        rule = min_max_from_history(list(daily.astype(float)), supply, unit_cost=unit_cost)
        transit = [_transit_hours(DC_AT, centre_at(z)) for z in range(zones)]
        target = [math.ceil(mu[z] * (WEEK + transit[z]) + z_of(0.95) * sd[z]
                            * math.sqrt(WEEK + transit[z])) for z in range(zones)]
        stock = {**{str(z): target[z] for z in range(zones)}, DC: rule.high}
        arrivals: list[tuple[int, str, int]] = []  # (hour, location, units)
        po_pipeline: list[tuple[int, int]] = []  # (hour, units) to the DC
        shipped = {loc: np.zeros(hours) for loc in places}
        firing = {(h, rows.index(i)): x for i in rows for h, x in fires.get(i, [])}
        for h in range(hours):
            for _, loc, q in [a for a in arrivals if a[0] == h]:
                stock[loc] += q
            arrivals = [a for a in arrivals if a[0] > h]
            stock[DC] += sum(q for t, q in po_pipeline if t == h)
            po_pipeline = [(t, q) for t, q in po_pipeline if t > h]
            if (history + h) % WEEK == 0:
                _weekly(k, stock, arrivals, po_pipeline, rule, target, transit, supply, h,
                        tally)
            for z in range(zones):
                _serve(int(sales[rows[z], history + h]), z, stock, places, shipped, h, tally)
                if with_path and (h, z) in firing:
                    _path(k, z, firing[(h, z)], stock, arrivals, po_pipeline, places, shipped,
                          mu, sd, supply, unit_cost, start + timedelta(hours=history + h), h,
                          tally, tuning)
            tally.holding += (sum(stock.values()) + sum(q for _, _, q in arrivals)) \
                * unit_cost * holding_per_hour
    return tally


def _weekly(k: int, stock: dict[str, int], arrivals: list[tuple[int, str, int]],
            po_pipeline: list[tuple[int, int]], rule: Any, target: list[int],
            transit: list[int], supply: Supply, h: int, tally: NetTally) -> None:
    """The planner's Monday: reorder the network, then top the centres up from the DC."""
    position = sum(stock.values()) + sum(q for _, _, q in arrivals) \
        + sum(q for _, q in po_pipeline)
    if position <= rule.low:
        q = round_order(rule.high - position, supply)
        po_pipeline.append((h + supply.lead_time_hours, q))
        tally.orders += 1
    for z, level in enumerate(target):
        inbound = sum(q for _, loc, q in arrivals if loc == str(z))
        send = min(max(0, level - stock[str(z)] - inbound), stock[DC])
        if send > 0:
            stock[DC] -= send
            arrivals.append((h + transit[z], str(z), send))
            tally.transfer_cost += send * _move_cost(DC_AT, centre_at(z))


def _serve(demand: int, z: int, stock: dict[str, int], places: dict[str, Position],
           shipped: dict[str, np.ndarray], h: int, tally: NetTally) -> None:
    others = sorted((loc for loc in places if loc not in (str(z), DC)),
                    key=lambda loc: haversine_km(places[loc], centre_at(z)))
    order = [str(z), DC, *others]
    for loc in order:
        take = min(demand, stock[loc])
        if take <= 0:
            continue
        stock[loc] -= take
        shipped[loc][h] += take
        demand -= take
        if loc == str(z):
            tally.same_day += take
        else:
            tally.slower += take
        if demand == 0:
            return
    tally.lost += demand


def _path(k: int, z: int, ratio: float, stock: dict[str, int],
          arrivals: list[tuple[int, str, int]], po_pipeline: list[tuple[int, int]],
          places: dict[str, Position], shipped: dict[str, np.ndarray], mu: np.ndarray,
          sd: np.ndarray, supply: Supply, unit_cost: float, now: Any, h: int,
          tally: NetTally, tuning: Tuning) -> None:
    """What the path decides for this spike (its own `plan()`), applied to the network."""
    spike_zone = str(z)
    centre = centre_at(z)
    locations = [{"id": loc, "code": loc,
                  "kind": "regional_dc" if loc == DC else "micro_fulfillment",
                  "km_to_spike": round(haversine_km(at, centre), 1), "lat": at.lat,
                  "lon": at.lon, "atp": stock[loc],
                  "picked_14d": int(shipped[loc][max(0, h - 336):h].sum())}
                 for loc, at in places.items()]
    on_order = sum(q for _, q in po_pipeline)
    inputs = {"spike_id": f"{k}-{z}-{h}", "sku": f"SKU-{k}", "zone": spike_zone,
              "postal_code": "", "country": "US", "ratio": ratio, "observed": 0,
              "expected": 0.0, "p_value": 0.0, "evidence": [], "now": utc(now).isoformat(),
              "locations": locations,
              "rates": {str(i): [float(mu[i]), float(sd[i])] for i in range(len(mu))},
              "sourcing": [{"supplier_code": "S", "lead_time_hours": supply.lead_time_hours,
                            "moq": supply.moq, "case_pack": supply.case_pack,
                            "cost": round(unit_cost * 100), "currency": "USD",
                            "supply_model": "mts"}],
              "open_pos": [{"po_number": "PO", "supplier_code": "S", "status": "sent",
                            "lines": [[f"SKU-{k}", on_order, round(unit_cost * 100), "USD"]]}]}
    decision = plan(inputs, tuning)
    for step in decision.steps:
        command = step.command
        if isinstance(command, RaisePurchaseOrder):
            po_pipeline.append((h + supply.lead_time_hours, command.add_quantity))
            tally.po_raises += 1
        elif isinstance(command, DispatchTransfer):
            units = min(command.quantity, stock[command.from_location_id])
            assert command.expected_at is not None
            eta = math.ceil((command.expected_at - now) / timedelta(hours=1))
            stock[command.from_location_id] -= units
            arrivals.append((h + max(1, eta), command.to_location_id, units))
            tally.transfer_cost += units * _move_cost(places[command.from_location_id],
                                                      places[command.to_location_id])
            tally.path_transfer_units += units


def kpis(t: NetTally, margin: float, order_cost: float) -> dict[str, Any]:
    sold = t.same_day + t.slower
    lost_margin = t.lost * margin
    ordering = (t.orders + t.po_raises) * order_cost
    return {"lost_sales_units": t.lost, "same_day_share": round(t.same_day / max(sold, 1), 4),
            "slower_units": t.slower, "holding_cost": round(t.holding, 2),
            "transfer_cost": round(t.transfer_cost, 2),
            "path_transfer_units": t.path_transfer_units, "lost_margin": round(lost_margin, 2),
            "ordering_cost": ordering, "orders": t.orders, "po_raises": t.po_raises,
            "total_cost": round(t.holding + t.transfer_cost + lost_margin + ordering, 2)}
