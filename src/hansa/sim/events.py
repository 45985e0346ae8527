"""Scripted events: what each scenario does to the world, and to Hansa through its commands."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from hansa.bus.unit_of_work import UnitOfWork
from hansa.catalog.messages import UpdateProduct
from hansa.inventory.messages import CreateLocation, ReceiveStock
from hansa.pricing.messages import CreatePromotion
from hansa.sim.carriers import Disruption
from hansa.sim.network import configure_node
from hansa.sim.planner import Levels
from hansa.sim.setup import create_products

if TYPE_CHECKING:
    from hansa.sim.runner import Simulation


@dataclass(slots=True)
class Conditions:
    """Today's pushes on the world."""

    traffic: float = 1.0
    weather: dict[str, dict[str, float]] = field(default_factory=dict)  # state -> cat -> mult
    weather_states: dict[str, Disruption] = field(default_factory=dict)
    carriers: dict[str, Disruption] = field(default_factory=dict)


def conditions(sim: Simulation, day: int) -> Conditions:
    """The weather, traffic and carrier disruptions in force on `day`."""
    found = Conditions()
    for e in sim.scenario.events:
        if not e.active(day):
            continue
        p = e.params
        if e.kind == "weather_alert":
            track = p.get("track", [])
            states = track[min(day - e.day, len(track) - 1)] if track else []
            demand = {str(k): float(v) for k, v in p.get("demand", {}).items()}
            for state in states:
                found.weather[state] = demand
                found.weather_states[state] = Disruption(
                    float(p.get("transit_delay_days", 2)), float(p.get("missed_scan_rate", 0.1)))
        elif e.kind == "carrier_outage":
            found.carriers[str(p.get("carrier", "ground"))] = Disruption(
                float(p.get("transit_delay_days", 3)), float(p.get("missed_scan_rate", 0.3)))
        elif e.kind == "traffic":
            found.traffic *= float(p.get("factor", 1.0))
    return found


def _pick(sim: Simulation, key: str, category: str | None, count: int,
          supplier: str | None = None) -> list[str]:
    """`count` of the best-selling SKUs matching, drawn the same way in both policies."""
    rng = random.Random(f"event:{sim.world.seed}:{key}")
    pool = [s for s in sim.world.skus
            if (category is None or s.category == category)
            and (supplier is None or sim.world.suppliers[s.supplier].code == supplier)]
    pool.sort(key=lambda s: (-s.popularity, s.sku))
    head = pool[:max(count * 3, count)]
    return sorted(s.sku for s in rng.sample(head, min(count, len(head))))


def start_of_day(sim: Simulation, day: int, uow: UnitOfWork) -> None:
    """Events that begin today act once, at 00:00, through Hansa's commands."""
    bus = sim.hansa.bus
    for index, e in enumerate(sim.scenario.events):
        if e.day != day:
            continue
        p, key = e.params, f"{index}:{e.kind}"
        if e.kind == "price_glitch":
            skus = _pick(sim, key, p.get("category"), int(p.get("skus", 5)),
                         p.get("supplier"))
            sim.supply.glitch(e, skus)
        elif e.kind == "traffic" and p.get("promotion_percent"):
            start = sim.clock.now()
            bus.execute(CreatePromotion(
                price_list_id=sim.world.price_list_id, name=f"Scenario {sim.scenario.name}",
                starts_at=start, ends_at=start + timedelta(days=e.days),
                percent_off_bp=int(float(p["promotion_percent"]) * 100)), uow)
        elif e.kind == "material_change":
            skus = _pick(sim, key, p.get("category"), int(p.get("products", 5)))
            for sku in skus:
                spec = sim.supply.specs[sku]
                bus.execute(UpdateProduct(product_id=spec.product_id, attributes={
                    "supplier": sim.world.suppliers[spec.supplier].code,
                    "material": str(p.get("material", "recycled polyester"))}), uow)
            sim.demand.set_factor(skus, float(p.get("demand_factor", 0.7)))
            sim.supply.change_cost(skus, float(p.get("cost_factor", 1.1)), day)
        elif e.kind == "overstock":
            _overstock(sim, uow, str(p.get("category", "home")), float(p.get("factor", 4)))
            sim.demand.set_factor([s.sku for s in sim.world.skus
                                   if s.category == p.get("category", "home")],
                                  float(p.get("demand_factor", 0.6)))
        elif e.kind == "launch":
            _launch(sim, uow, e.params)
        elif e.kind == "dropship_opens":
            _dropship(sim, uow, key, e.params)


def _overstock(sim: Simulation, uow: UnitOfWork, category: str, factor: float) -> None:
    for (sku, site), level in sorted(sim.levels.items()):
        if sim.supply.specs[sku].category == category:
            extra = round(level.high * (factor - 1))
            if extra > 0:
                sim.hansa.bus.execute(ReceiveStock(sku=sku, location_id=site, quantity=extra,
                                                   reference="overstock buy-in"), uow)


def _launch(sim: Simulation, uow: UnitOfWork, p: dict) -> None:
    skus = sim.world.launch_skus
    create_products(sim.hansa, uow, sim.world, skus)
    sim.supply.add_skus(skus)
    units, low = int(p.get("units_per_hub", 40)), int(p.get("reorder_at", 15))
    for spec in skus:
        for site in sim.world.sites:
            if site.hub:
                sim.levels[(spec.sku, site.location_id)] = Levels(low, units)
                sim.hansa.bus.execute(ReceiveStock(sku=spec.sku, location_id=site.location_id,
                                                   quantity=units, reference="launch"), uow)
    sim.on_sale.extend(s.sku for s in skus)
    sim.demand.launch([s.sku for s in skus], float(p.get("boost", 6.0)))


def _dropship(sim: Simulation, uow: UnitOfWork, key: str, p: dict) -> None:
    from hansa.sim.geography import zip_place
    from hansa.sim.world import stable_id

    place = zip_place(str(p.get("zip", "75201")))
    location_id = stable_id(random.Random(f"dropship:{sim.world.seed}:{key}"))
    supplier = str(p.get("supplier", "MEMPHIS-SUPPLY"))
    sim.hansa.bus.execute(CreateLocation(
        code=f"SIM-DROP-{place.postal_code}", name=f"{supplier} drop-ship centre",
        kind="supplier_dropship", lat=place.position.lat, lon=place.position.lon,
        country="US", postal_code=place.postal_code,
        service_radius_km=float(p.get("radius_km", 400)), location_id=location_id), uow)
    sim.add_site(location_id, place)
    supplier_id = next(sid for spec, sid in zip(sim.world.suppliers, sim.world.supplier_ids,
                                                strict=True) if spec.code == supplier)
    configure_node(sim.hansa, uow, sim.world, location_id, f"SIM-DROP-{place.postal_code}",
                   "dropship", place, supplier_id=supplier_id,
                   radius_km=float(p.get("radius_km", 400)))
    units = int(p.get("units", 30))
    skus = [s.sku for s in sim.world.skus if sim.world.suppliers[s.supplier].code == supplier]
    sim.dropship[location_id] = (skus, units)
    for sku in skus:
        sim.hansa.bus.execute(ReceiveStock(sku=sku, location_id=location_id, quantity=units,
                                           reference="drop-ship opening"), uow)
