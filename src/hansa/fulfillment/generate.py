"""A seeded generator of fulfilment networks and orders (two continents), for tests and bench."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from hansa.fulfillment.model import ASSEMBLY, BULKY, Line, Node, NodeKind, Request
from hansa.kernel.geo import Position
from hansa.shipping.model import Carrier, Contract, Item, Service, ServiceLevel, TransitBand

CITIES = [  # (name, lat, lon, country)
    ("NYC", 40.71, -74.01, "US"), ("LAX", 34.05, -118.24, "US"), ("CHI", 41.88, -87.63, "US"),
    ("DAL", 32.78, -96.80, "US"), ("ATL", 33.75, -84.39, "US"), ("SEA", 47.61, -122.33, "US"),
    ("DEN", 39.74, -104.99, "US"), ("MIA", 25.76, -80.19, "US"), ("BOS", 42.36, -71.06, "US"),
    ("PHX", 33.45, -112.07, "US"), ("MSP", 44.98, -93.27, "US"), ("SFO", 37.77, -122.42, "US"),
    ("BER", 52.52, 13.40, "DE"), ("MUC", 48.14, 11.58, "DE"), ("HAM", 53.55, 9.99, "DE"),
    ("PAR", 48.86, 2.35, "FR"), ("LYS", 45.76, 4.84, "FR"), ("AMS", 52.37, 4.90, "NL"),
    ("MAD", 40.42, -3.70, "ES"), ("MIL", 45.46, 9.19, "IT"), ("WAW", 52.23, 21.01, "PL"),
    ("VIE", 48.21, 16.37, "AT"),
]
_US_BOX = (26.0, 48.0, -122.0, -72.0)
_EU_BOX = (40.0, 54.0, -3.0, 20.0)
_EU = {"DE", "FR", "NL", "ES", "IT", "PL", "AT"}


def carriers(currency: str = "USD") -> list[Carrier]:
    """Parcel carriers per continent (one with a consolidation contract), an international
    express and a freight carrier for bulky items to the threshold."""
    bands = (TransitBand(500, 2), TransitBand(1500, 3), TransitBand(3000, 4), TransitBand(5000, 5))
    parcel = Carrier("PARCELCO", "Parcel Co", currency, (
        Service("PC-SAME", ServiceLevel.SAME_DAY, (TransitBand(60, 0),), 1500, 100),
        Service("PC-NEXT", ServiceLevel.NEXT_DAY, (TransitBand(900, 1),), 1200, 150),
        Service("PC-2DAY", ServiceLevel.TWO_DAY, (TransitBand(2500, 2),), 900, 120),
        Service("PC-GND", ServiceLevel.GROUND, bands, 600, 60),
    ), Contract("PC-2026", consolidation=True))
    post = Carrier("EUROPOST", "Euro Post", currency, (
        Service("EP-EXPRESS", ServiceLevel.NEXT_DAY, (TransitBand(700, 1),), 1100, 140,
                countries=frozenset(_EU)),
        Service("EP-STD", ServiceLevel.GROUND, bands, 500, 70, countries=frozenset(_EU),
                international=True),
    ), Contract("EP-LIST"))
    express = Carrier("GLOBEX", "Globex Express", currency, (
        Service("GX-INTL", ServiceLevel.TWO_DAY, (TransitBand(9000, 4),), 3500, 400,
                international=True),
    ), Contract("GX-LIST"))
    freight = Carrier("HEAVYHAUL", "Heavy Haul", currency, (
        Service("HH-THRESHOLD", ServiceLevel.THRESHOLD,
                (TransitBand(300, 2), TransitBand(1500, 4), TransitBand(4000, 6)), 4500, 20,
                max_item_kg=300, bulky_ok=True),
    ), Contract("HH-2026", surcharge_bulky=1000))
    return [parcel, post, express, freight]


@dataclass(frozen=True, slots=True)
class Network:
    nodes: list[Node]
    carriers: list[Carrier]
    atp: dict[str, dict[str, int]]
    items: dict[str, Item]
    components: dict[str, tuple[tuple[str, int], ...]]


def network(locations: int = 20, skus: int = 40, seed: int = 7) -> Network:
    """`locations` nodes over North America and Europe with sparse stock of `skus` SKUs."""
    rng = random.Random(seed)
    items: dict[str, Item] = {}
    components: dict[str, tuple[tuple[str, int], ...]] = {}
    for i in range(skus):
        sku = f"SKU-{i:03d}"
        bulky = i % 10 == 9
        items[sku] = Item(sku, rng.randint(40_000, 90_000) if bulky else rng.randint(200, 6000),
                          bulky)
    parts = [f"PART-{i:02d}" for i in range(6)]
    for j in range(3):
        sku = f"CTO-{j}"
        items[sku] = Item(sku, 3000)
        components[sku] = ((parts[j], 1), (parts[j + 3], 2))
    kinds = [NodeKind.WAREHOUSE, NodeKind.REGIONAL_DC, NodeKind.MICRO_FULFILLMENT,
             NodeKind.THIRD_PARTY, NodeKind.DROPSHIP]
    nodes: list[Node] = []
    atp: dict[str, dict[str, int]] = {}
    for n in range(locations):
        name, lat, lon, country = CITIES[n % len(CITIES)]
        kind = kinds[n % len(kinds)]
        position = Position(lat + rng.uniform(-0.5, 0.5), lon + rng.uniform(-0.5, 0.5))
        caps = {BULKY} if kind in (NodeKind.WAREHOUSE, NodeKind.REGIONAL_DC,
                                   NodeKind.DROPSHIP) else set()
        if kind is NodeKind.REGIONAL_DC:
            caps.add(ASSEMBLY)
        node = Node(id=f"loc-{n:03d}", code=f"{name}-{kind.value[:3].upper()}-{n:03d}",
                    kind=kind, position=position, country=country,
                    capabilities=frozenset(caps), priority=rng.randint(1, 50),
                    cutoff_minute=rng.choice([14 * 60, 16 * 60, 18 * 60, 23 * 60]),
                    handling_days=2 if kind is NodeKind.DROPSHIP else 0,
                    handling_cost=rng.choice([50, 80, 120]),
                    supplier_id="sup-1" if kind is NodeKind.DROPSHIP else None,
                    radius_km=400.0 if kind is NodeKind.DROPSHIP else 0.0)
        nodes.append(node)
        stock: dict[str, int] = {}
        for sku, item in items.items():
            if sku in components or (kind is NodeKind.DROPSHIP and not item.bulky):
                continue
            if rng.random() < 0.45:
                stock[sku] = rng.randint(1, 12)
        if ASSEMBLY in caps:
            for part in parts:
                stock[part] = rng.randint(0, 20)
        atp[node.id] = stock
    return Network(nodes, carriers(), atp, items, components)


def order(net: Network, lines: int, rng: random.Random, now: datetime,
          order_id: str = "o") -> Request:
    """A random order of `lines` distinct SKUs to a random point on one of the continents."""
    lat0, lat1, lon0, lon1 = _US_BOX if rng.random() < 0.6 else _EU_BOX
    destination = Position(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1))
    nearest = min(CITIES, key=lambda c: (c[1] - destination.lat) ** 2
                  + (c[2] - destination.lon) ** 2)
    skus = rng.sample(sorted(net.items), lines)
    return Request(order_id, tuple(
        Line(sku, rng.choice([1, 1, 1, 2, 3]), net.items[sku], net.components.get(sku, ()))
        for sku in skus), destination, nearest[3], now)
