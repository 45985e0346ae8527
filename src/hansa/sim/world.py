"""The simulated world, drawn once from (scenario, size, seed): customers, SKUs, sites,
suppliers and carriers. Everything here is the world's truth; Hansa only sees what the
world tells it through commands."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from hansa.kernel.geo import Position
from hansa.sim.geography import HUB_KINDS, METROS, Place, sample_places, zip_place
from hansa.sim.scenario import Scenario, Size

CATEGORIES = ("apparel", "outdoor", "home", "electronics", "furniture")
CATEGORY_PRICE = {"apparel": 4_500, "outdoor": 9_000, "home": 6_000, "electronics": 15_000,
                  "furniture": 32_000}  # median list price, cents
CATEGORY_WEIGHT = {"apparel": 600, "outdoor": 2_500, "home": 1_800, "electronics": 1_200,
                   "furniture": 14_000}  # grams
RATE_SHAPE = 0.2239  # gamma shape of purchase rates, NBD fit on CDNOW (bench/fit_cdnow.py)


@dataclass(frozen=True, slots=True)
class SkuSpec:
    sku: str
    product_id: str
    handle: str
    category: str
    supplier: int  # index into World.suppliers
    price: int  # list price, USD cents
    cost: int  # supplier cost, USD cents
    weight_grams: int
    popularity: float


@dataclass(frozen=True, slots=True)
class SiteSpec:
    code: str
    kind: str
    place: Place
    location_id: str

    @property
    def hub(self) -> bool:
        return self.kind in HUB_KINDS


@dataclass(frozen=True, slots=True)
class SupplierSpec:
    code: str
    name: str
    integration: str  # csv (daily feed), edi (hourly), api (real time)
    lead_days: float  # mean purchase-order lead time
    lead_sd: float
    delay_rate: float  # chance a purchase order arrives a week late
    price_change_rate: float  # chance per SKU per week that its price moves
    feed_skip_rate: float  # chance a scheduled feed run does not arrive


@dataclass(frozen=True, slots=True)
class CarrierSpec:
    name: str
    base_days: float  # days of transit at zero distance
    km_per_day: float
    sigma: float  # lognormal noise on transit time
    missed_scan_rate: float
    cost_base: int  # cents per parcel
    cost_per_kg: int


@dataclass(frozen=True, slots=True)
class Customer:
    index: int
    place: Place
    rate: float  # relative purchase rate: gamma with the shape fitted on CDNOW (NBD)
    prefs: tuple[float, ...]  # category weights, in CATEGORIES order


SUPPLIERS = [
    SupplierSpec("SHENZHEN-WORKS", "Shenzhen Works", "edi", 21, 4, 0.08, 0.03, 0.02),
    SupplierSpec("MEMPHIS-SUPPLY", "Memphis Supply Co.", "api", 4, 1, 0.02, 0.02, 0.0),
    SupplierSpec("PORTO-TEXTIL", "Porto Textil", "csv", 12, 3, 0.05, 0.02, 0.05),
    SupplierSpec("FLORENCE-LAB", "Florence Lab", "csv", 10, 2, 0.04, 0.01, 0.05),
]
CARRIERS = [
    CarrierSpec("ground", 1.0, 700, 0.25, 0.02, 650, 90),
    CarrierSpec("express", 0.6, 1_400, 0.15, 0.01, 1_200, 140),
]


def stable_id(rng: random.Random) -> str:
    """A UUID drawn from the world's generator, so ids repeat with the seed."""
    value = rng.getrandbits(128)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7 layout, like kernel ids
    value = (value & ~(0b11 << 62)) | (0b10 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


PICKUP_WEEKDAYS = frozenset(range(6))  # Monday to Saturday
NO_PICKUP = frozenset({(11, 26), (12, 25), (1, 1)})  # Thanksgiving 2026, Christmas, New Year


class World:
    """All of the world's fixed facts for one run."""

    def __init__(self, scenario: Scenario, size: Size, seed: int) -> None:
        self.scenario = scenario
        self.size = size
        self.seed = seed
        rng = random.Random(f"world:{seed}")
        self.sites = self._sites(rng, size.locations)
        self.suppliers = list(SUPPLIERS)
        self.carriers = list(CARRIERS)
        self.skus = self._skus(rng, size.skus)
        self.launch_skus = self._launch_skus(rng, size.skus)
        self.customers = self._customers(rng, size.customers,
                                         float(scenario.param("foreign_share", 0.04)),
                                         float(scenario.param("rate_shape", RATE_SHAPE)))
        self.price_list_id = stable_id(rng)
        self.channel_id = stable_id(rng)
        self.supplier_ids = [stable_id(rng) for _ in self.suppliers]
        self.holding_rate_per_year = float(scenario.param("holding_rate_per_year", 0.25))
        self.freight_rate = float(scenario.param("inbound_freight_rate", 0.06))
        self.sku_index = {s.sku: i for i, s in enumerate(self.skus)}
        self.site_by_id = {s.location_id: s for s in self.sites}

    # ------------------------------------------------------------------------------- build
    @staticmethod
    def _sites(rng: random.Random, count: int) -> list[SiteSpec]:
        chosen = METROS[:max(1, min(count, len(METROS)))]
        return [SiteSpec(f"SIM-{code}", kind, zip_place(zip_code), stable_id(rng))
                for code, zip_code, kind in chosen]

    def _skus(self, rng: random.Random, count: int) -> list[SkuSpec]:
        skus = []
        for i in range(count):
            category = CATEGORIES[i % len(CATEGORIES)]
            price = int(CATEGORY_PRICE[category] * rng.lognormvariate(0, 0.35))
            price = max(499, price - price % 100 + 99)
            margin = rng.uniform(0.45, 0.65)
            skus.append(SkuSpec(
                sku=f"SIM-{category[:3].upper()}-{i:05d}", product_id=stable_id(rng),
                handle=f"sim-{category}-{i:05d}", category=category,
                supplier=rng.randrange(len(self.suppliers)), price=price,
                cost=int(price * (1 - margin)),
                weight_grams=int(CATEGORY_WEIGHT[category] * rng.uniform(0.5, 1.5)),
                popularity=rng.paretovariate(1.6)))
        return skus

    def _launch_skus(self, rng: random.Random, first: int) -> list[SkuSpec]:
        """New products a `launch` event brings (not on sale before it)."""
        launches = self.scenario.events_of("launch")
        if not launches:
            return []
        p = launches[0].params
        category = str(p.get("category", "electronics"))
        found = []
        for i in range(int(p.get("products", 3))):
            spec = self._skus(rng, 1)[0]
            price = max(499, int(CATEGORY_PRICE[category] * rng.uniform(0.8, 1.3)) // 100 * 100
                        + 99)
            found.append(SkuSpec(
                sku=f"SIM-NEW-{first + i:05d}", product_id=spec.product_id,
                handle=f"sim-launch-{first + i:05d}", category=category, supplier=spec.supplier,
                price=price, cost=int(price * 0.45), weight_grams=CATEGORY_WEIGHT[category],
                popularity=spec.popularity))
        return found

    @staticmethod
    def _customers(rng: random.Random, count: int, foreign_share: float,
                   rate_shape: float) -> list[Customer]:
        places = sample_places(rng, count, foreign_share)
        customers = []
        for i, place in enumerate(places):
            prefs = tuple(rng.gammavariate(0.8, 1.0) for _ in CATEGORIES)
            total = sum(prefs)
            customers.append(Customer(i, place, rng.gammavariate(rate_shape, 1.0),
                                      tuple(p / total for p in prefs)))
        return customers

    # ------------------------------------------------------------------------------ facts
    def day_date(self, day: int) -> date:
        return self.scenario.start.date() + timedelta(days=day)

    def holiday_factor(self, day: int) -> float:
        """Traffic on holidays and the days around them (US retail calendar)."""
        d = self.day_date(day)
        table = {(11, 26): 0.6, (11, 30): 3.0, (12, 24): 0.7, (12, 25): 0.3,
                 (1, 1): 0.5, (7, 4): 0.6}
        return table.get((d.month, d.day), 1.0)

    def pickup_day(self, d: date) -> bool:
        """Carriers collect Monday to Saturday, except on Thanksgiving, Christmas, New Year."""
        return d.weekday() in PICKUP_WEEKDAYS and (d.month, d.day) not in NO_PICKUP

    def no_pickup_dates(self, days_after: int = 400) -> list[date]:
        """The dates without a pickup from the start to `days_after` later, as a merchant
        would enter them into each node's pickup calendar."""
        start = self.scenario.start.date()
        days = (start + timedelta(days=n) for n in range(days_after))
        return [d for d in days if (d.month, d.day) in NO_PICKUP]

    def site_positions(self) -> list[tuple[str, Position]]:
        return [(s.location_id, s.place.position) for s in self.sites]
