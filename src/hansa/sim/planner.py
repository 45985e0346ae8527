"""The planner's side of the world: where each SKU is stocked, and min/max levels tuned from
the same demand history the automation sees (a competent weekly planner, not a straw man)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

from hansa.kernel.geo import haversine_km
from hansa.sim.demand import Demand
from hansa.sim.world import Customer, World

HISTORY_DAYS = 28  # the history the planner tunes on and Hansa's baselines are fitted on
Z_SERVICE = 1.65  # ~95% cycle service level
REVIEW_DAYS = 7


@dataclass(frozen=True, slots=True)
class Levels:
    """Reorder when the position (on hand - reserved + on order) is at or below `low`;
    order up to `high`."""

    low: int
    high: int


def stocked_sites(world: World) -> dict[str, list[str]]:
    """SKU -> location ids that carry it: hubs carry all, micro-fulfilment the best sellers."""
    hubs = [s.location_id for s in world.sites if s.hub]
    small = [s.location_id for s in world.sites if not s.hub]
    share = float(world.scenario.param("mfc_assortment_share", 0.15))
    ranked = sorted(world.skus, key=lambda s: (-s.popularity, s.sku))
    top = {s.sku for s in ranked[:max(1, int(len(ranked) * share))]}
    return {s.sku: hubs + (small if s.sku in top else []) for s in world.skus}


class Router:
    """Which site a customer's line would most likely ship from (the nearest that carries it)."""

    def __init__(self, world: World, stocking: dict[str, list[str]]) -> None:
        self.world = world
        self.stocking = stocking
        self._nearest: dict[tuple[int, tuple[str, ...]], str] = {}

    def site_for(self, customer: Customer, sku: str) -> str:
        sites = tuple(self.stocking.get(sku) or [self.world.sites[0].location_id])
        key = (customer.index, sites)
        found = self._nearest.get(key)
        if found is None:
            if customer.place.country != "US":
                found = sites[0]
            else:
                found = min(sites, key=lambda lid: haversine_km(
                    self.world.site_by_id[lid].place.position, customer.place.position))
            self._nearest[key] = found
        return found


def demand_history(world: World, router: Router, days: int) -> dict[tuple[str, str], list[int]]:
    """Daily units per (SKU, site) over `days` ordinary days before the run (no events)."""
    demand = Demand(world, random.Random(f"history:{world.seed}"))
    series: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * days)
    for day in range(-days, 0):
        for hour in range(24):
            for intent in demand.hour(day, hour, 1.0, {}):
                for sku, qty in intent.lines:
                    series[(sku, router.site_for(intent.customer, sku))][day + days] += qty
    return series


def tune_levels(world: World, stocking: dict[str, list[str]],
                history: dict[tuple[str, str], list[int]], days: int) -> dict[tuple[str, str],
                                                                              Levels]:
    """Min/max per (SKU, site) from mean and spread of daily demand over lead time + review."""
    levels = {}
    for spec in world.skus:
        lead = world.suppliers[spec.supplier].lead_days + 1
        cover = lead + REVIEW_DAYS
        for site in stocking[spec.sku]:
            daily = history.get((spec.sku, site), [0] * days)
            mean = sum(daily) / days
            var = sum((d - mean) ** 2 for d in daily) / max(1, days - 1)
            low = math.ceil(mean * cover + Z_SERVICE * math.sqrt(var * cover))
            high = low + max(1, math.ceil(mean * REVIEW_DAYS))
            if world.site_by_id[site].hub:
                low, high = max(low, 1), max(high, 2)
            levels[(spec.sku, site)] = Levels(low, high)
    return levels
