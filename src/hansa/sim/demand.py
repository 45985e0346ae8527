"""Customer demand: purchase rhythms, preferences, browsing, carts, abandonment, and the
scenario's pushes on it (weather, traffic, launches, material changes)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from itertools import accumulate

from hansa.sim.world import CATEGORIES, Customer, World

HOUR_SHAPE = (0.4, 0.25, 0.15, 0.1, 0.1, 0.2, 0.5, 0.9, 1.2, 1.4, 1.5, 1.6,
              1.7, 1.6, 1.5, 1.5, 1.6, 1.7, 1.9, 2.1, 2.2, 1.9, 1.3, 0.8)
WEEKDAY = (1.0, 0.97, 0.97, 1.0, 1.05, 1.05, 0.96)
MONTH = (0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.15, 1.3)  # retail seasons
CONVERSION = 0.03  # sessions that end in an order
ABANDONMENT = 0.7  # carts that never check out


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass(frozen=True, slots=True)
class Intent:
    """A customer about to check out these lines."""

    customer: Customer
    lines: tuple[tuple[str, int], ...]
    minute: int


@dataclass(slots=True)
class Browsing:
    """What happened on the storefront that never reached checkout (kept in-world)."""

    sessions: int = 0
    carts: int = 0
    abandoned_carts: int = 0


class Demand:
    """Draws who buys what, hour by hour, from one random stream per run."""

    def __init__(self, world: World, rng: random.Random, *, launched: set[str] | None = None):
        self.world = world
        self.rng = rng
        self.customers = world.customers
        self.cum_rates = list(accumulate(c.rate for c in world.customers))
        self.skus = [*world.skus, *world.launch_skus]
        self.factor = {s.sku: 1.0 for s in self.skus}
        self.hidden = set(launched or ())  # SKUs not on sale yet
        self.browsing = Browsing()
        self._rebuild()

    def _rebuild(self) -> None:
        self.by_category: dict[str, tuple[list[str], list[float]]] = {}
        for category in CATEGORIES:
            skus = [s for s in self.skus
                    if s.category == category and s.sku not in self.hidden]
            weights = [s.popularity * self.factor[s.sku] for s in skus]
            self.by_category[category] = ([s.sku for s in skus], list(accumulate(weights)))

    def set_factor(self, skus: list[str], factor: float) -> None:
        for sku in skus:
            self.factor[sku] = factor
        self._rebuild()

    def launch(self, skus: list[str], boost: float) -> None:
        self.hidden -= set(skus)
        self.set_factor(skus, boost)

    def expected(self, day: int, hour: int, traffic: float) -> float:
        size = self.world.size
        when = self.world.day_date(day)
        season = WEEKDAY[when.weekday()] * MONTH[when.month - 1]
        shape = HOUR_SHAPE[hour] / sum(HOUR_SHAPE)
        return size.orders_per_day * shape * season * self.world.holiday_factor(day) * traffic

    def hour(self, day: int, hour: int, traffic: float,
             weather: dict[str, dict[str, float]]) -> list[Intent]:
        """The checkouts of one hour; `weather` maps state -> category -> demand multiplier."""
        rng = self.rng
        count = poisson(rng, self.expected(day, hour, traffic))
        buyers = rng.choices(self.customers, cum_weights=self.cum_rates, k=count)
        intents = []
        for customer in buyers:
            pushes = weather.get(customer.place.state) if customer.place.state else None
            prefs = list(customer.prefs)
            repeats = 1
            if pushes:
                mult = [pushes.get(c, 1.0) for c in CATEGORIES]
                lift = sum(p * m for p, m in zip(prefs, mult, strict=True))
                prefs = [p * m for p, m in zip(prefs, mult, strict=True)]
                repeats += poisson(rng, max(0.0, lift - 1.0))
            for _ in range(repeats):
                lines = self._lines(prefs)
                if lines:
                    intents.append(Intent(customer, lines, rng.randrange(60)))
        b = self.browsing
        orders = len(intents)
        carts = round(orders / (1 - ABANDONMENT))
        b.sessions += round(orders / CONVERSION)
        b.carts += carts
        b.abandoned_carts += carts - orders
        return intents

    def _lines(self, prefs: list[float]) -> tuple[tuple[str, int], ...]:
        rng = self.rng
        width = 1 if rng.random() < 0.75 else (2 if rng.random() < 0.8 else 3)
        chosen: dict[str, int] = {}
        for _ in range(width):
            category = rng.choices(CATEGORIES, weights=prefs)[0]
            skus, cum = self.by_category[category]
            if not skus:
                continue
            sku = rng.choices(skus, cum_weights=cum)[0]
            chosen[sku] = chosen.get(sku, 0) + (1 if rng.random() < 0.9 else 2)
        return tuple(sorted(chosen.items()))
