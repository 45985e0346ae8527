"""The supply side of the world: supplier price moves and the feeds that report them (CSV
daily, EDI hourly, API real time, with skipped runs and glitches), and purchase orders that
arrive after a sampled lead time (sometimes a week late)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from hansa.sim.policies import FeedRow
from hansa.sim.scenario import ScriptedEvent
from hansa.sim.world import SkuSpec, World

CSV_HOUR = 5  # the daily price file lands at 05:00


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    sku: str
    location_id: str
    quantity: int
    arrives: tuple[int, int]  # (day, hour)


class Supply:
    """What suppliers know and send: true prices and costs, feed rows, purchase orders."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.prices = {s.sku: s.price for s in world.skus}
        self.costs = {s.sku: s.cost for s in world.skus}
        self.specs = {s.sku: s for s in world.skus}
        self.rng = random.Random(f"supply:{seed}")
        self.lead_rng = random.Random(f"leads:{seed}")
        self.rows: dict[tuple[int, int], list[FeedRow]] = defaultdict(list)
        self.honest: dict[tuple[str, int], bool] = {}
        self.on_order: dict[tuple[str, str], int] = defaultdict(int)
        self.arrivals: dict[tuple[int, int], list[PurchaseOrder]] = defaultdict(list)

    def add_skus(self, skus: list[SkuSpec]) -> None:
        for s in skus:
            self.prices[s.sku], self.costs[s.sku], self.specs[s.sku] = s.price, s.cost, s

    def landed_cost(self, sku: str) -> int:
        return round(self.costs[sku] * (1 + self.world.freight_rate))

    # ------------------------------------------------------------------------ price feeds
    def _send(self, spec: SkuSpec, day: int, hour: int, price: int, cost: int,
              honest: bool) -> None:
        supplier = self.world.suppliers[spec.supplier]
        if supplier.integration == "api":
            when = (day, hour)
        elif supplier.integration == "edi":
            when = (day, hour + 1) if hour < 23 else (day + 1, 0)
        else:
            when = (day + 1, CSV_HOUR)
            while self.rng.random() < supplier.feed_skip_rate:  # the file did not come
                when = (when[0] + 1, CSV_HOUR)
        self.rows[when].append(FeedRow(supplier.code, spec.sku, price, cost, honest))
        if honest:
            self.honest[(spec.sku, price)] = True

    def move_prices(self, day: int) -> None:
        """Each SKU's supplier may move its price (and cost) today; the feed reports it."""
        for sku in sorted(self.prices):
            spec = self.specs[sku]
            supplier = self.world.suppliers[spec.supplier]
            if self.rng.random() >= supplier.price_change_rate / 7:
                continue
            factor = self.rng.uniform(0.94, 1.07)
            price = max(499, int(self.prices[sku] * factor) // 100 * 100 + 99)
            cost = max(1, int(self.costs[sku] * factor))
            self.prices[sku], self.costs[sku] = price, cost
            self._send(spec, day, self.rng.randrange(24), price, cost, honest=True)

    def change_cost(self, skus: list[str], factor: float, day: int) -> None:
        """A material change: the supplier's cost moves and its feed says so."""
        for sku in skus:
            self.costs[sku] = max(1, int(self.costs[sku] * factor))
            self._send(self.specs[sku], day, 6, self.prices[sku], self.costs[sku], honest=True)

    def glitch(self, event: ScriptedEvent, skus: list[str]) -> None:
        """A supplier's feed sends prices off by `factor` (a decimal slip), fixed later."""
        factor = float(event.params.get("factor", 0.01))
        hour = int(event.params.get("hour", 10))
        fix_after = int(event.params.get("fix_after_hours", 30))
        for sku in skus:
            spec = self.specs[sku]
            bad = max(1, int(self.prices[sku] * factor))
            supplier = self.world.suppliers[spec.supplier].code
            self.rows[(event.day, hour)].append(
                FeedRow(supplier, sku, bad, self.costs[sku], honest=False))
            fix_day, fix_hour = divmod(event.day * 24 + hour + fix_after, 24)
            self.rows[(fix_day, fix_hour)].append(
                FeedRow(supplier, sku, self.prices[sku], self.costs[sku], honest=True))
            self.honest[(sku, self.prices[sku])] = True

    def due_rows(self, day: int, hour: int) -> list[FeedRow]:
        return self.rows.pop((day, hour), [])

    # -------------------------------------------------------------------- purchase orders
    def order(self, sku: str, location_id: str, quantity: int, day: int) -> PurchaseOrder:
        supplier = self.world.suppliers[self.specs[sku].supplier]
        lead = max(1.0, self.lead_rng.gauss(supplier.lead_days, supplier.lead_sd))
        if self.lead_rng.random() < supplier.delay_rate:
            lead += 7
        po = PurchaseOrder(sku, location_id, quantity, (day + round(lead), 8))
        self.arrivals[po.arrives].append(po)
        self.on_order[(sku, location_id)] += quantity
        return po

    def arriving(self, day: int, hour: int) -> list[PurchaseOrder]:
        found = self.arrivals.pop((day, hour), [])
        for po in found:
            self.on_order[(po.sku, po.location_id)] -= po.quantity
        return found
