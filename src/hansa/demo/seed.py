"""Seed the demo merchant through the bus, so every row is made the way production makes it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from hansa.bootstrap import Hansa
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.channels import queries as channel_queries
from hansa.channels.messages import AssortmentSpec, CreateChannel
from hansa.demo.catalog_data import DemoProduct, demo_catalog
from hansa.fulfillment import generate
from hansa.fulfillment.messages import ConfigureNode
from hansa.inventory.messages import CreateLocation, ReceiveStock
from hansa.pricing.messages import CreatePriceList, CreatePromotion, NewTier, SetCost, SetPrices
from hansa.shipping.messages import DefineCarrier
from hansa.shipping.model import carrier_to_doc
from hansa.suppliers.messages import RegisterSupplier, RegisterSupplierSite

if TYPE_CHECKING:
    from hansa.bus.messagebus import MessageBus
    from hansa.bus.unit_of_work import UnitOfWork

Progress = Callable[[str, int, int], None]

LOCATIONS = [
    # code, name, kind, lat, lon, country, postal code, service radius km
    ("US-NJ-WH", "Edison warehouse", "warehouse", 40.5187, -74.4121, "US", "08817", 400),
    ("US-TN-DC", "Memphis regional DC", "regional_dc", 35.0424, -89.9767, "US", "38118", 900),
    ("US-NV-3PL", "Reno 3PL", "3pl", 39.5296, -119.8138, "US", "89502", 900),
    ("US-NY-MFC", "Brooklyn micro-fulfillment", "micro_fulfillment", 40.6928, -73.9903, "US",
     "11201", 25),
    ("US-CA-MFC", "Los Angeles micro-fulfillment", "micro_fulfillment", 34.0614, -118.2385, "US",
     "90012", 30),
    ("US-TX-DROP", "Dallas drop-ship centre (Memphis Supply)", "supplier_dropship", 32.7767,
     -96.7970, "US", "75201", 250),
    ("DE-BE-WH", "Berlin warehouse", "warehouse", 52.5323, 13.3846, "DE", "10115", 800),
    ("IT-FI-FAB", "Florence workshop (Florence Lab)", "supplier_factory", 43.7696, 11.2558, "IT",
     "50123", 0),
]

SUPPLIERS = [
    ("SHENZHEN-WORKS", "Shenzhen Works", "CN", "USD", "edi", 24 * 21),
    ("FLORENCE-LAB", "Florence Lab", "IT", "EUR", "csv", 24 * 10),
    ("MEMPHIS-SUPPLY", "Memphis Supply Co.", "US", "USD", "api", 48),
    ("PORTO-TEXTIL", "Porto Têxtil", "PT", "EUR", "edi", 24 * 8),
    ("OSAKA-GOODS", "Osaka Goods", "JP", "JPY", "csv", 24 * 18),
]

NODES = {  # location code -> (node kind, capabilities, priority); the rest do not ship
    "US-NJ-WH": ("warehouse", ["bulky", "assembly"], 1),
    "US-TN-DC": ("regional_dc", ["bulky"], 2),
    "US-NV-3PL": ("3pl", [], 3),
    "US-NY-MFC": ("micro_fulfillment", [], 4),
    "US-CA-MFC": ("micro_fulfillment", [], 4),
    "US-TX-DROP": ("dropship", ["bulky"], 5),
    "DE-BE-WH": ("warehouse", ["bulky"], 1),
}

SUPPLIER_SITES = [
    # supplier, site code, name, kind, lat, lon, country, service radius km, location code
    ("FLORENCE-LAB", "IT-FI-FAB", "Florence workshop", "factory", 43.7696, 11.2558, "IT", 0,
     "IT-FI-FAB"),
    ("MEMPHIS-SUPPLY", "US-TX-DROP", "Dallas drop-ship centre", "dropship", 32.7767, -96.7970,
     "US", 250, "US-TX-DROP"),
]

CHANNELS = [
    # key, name, kind, currency, locale, categories
    ("dtc-us", "Hansa Store (US)", "dtc", "USD", "en-US",
     ["apparel", "outdoor", "home", "electronics", "furniture"]),
    ("b2b-eu", "Hansa Wholesale (Berlin)", "b2b", "EUR", "de-DE",
     ["apparel", "home", "furniture"]),
    ("chat-sea", "Hansa Chat (Southeast Asia)", "chat", "SGD", "en-SG",
     ["apparel", "outdoor", "electronics"]),
]


@dataclass(frozen=True)
class SeedReport:
    products: int
    variants: int
    locations: int
    channels: int
    suppliers: int
    stock_units: int


def _retail(base: int, rate: float) -> int:
    """Convert a USD price and round to a .99 ending."""
    value = int(base * rate)
    return max(99, value - value % 100 + 99)


def _price_tables(catalog: list[DemoProduct]) -> dict[str, dict[str, list[NewTier]]]:
    usd: dict[str, list[NewTier]] = {}
    eur: dict[str, list[NewTier]] = {}
    sgd: dict[str, list[NewTier]] = {}
    for product in catalog:
        for v in product.variants:
            usd[v.sku] = [NewTier(1, _retail(v.base_price, 1.0))]
            wholesale = _retail(v.base_price, 0.92 * 0.6)
            eur[v.sku] = [NewTier(1, wholesale), NewTier(10, wholesale * 92 // 100),
                          NewTier(50, wholesale * 85 // 100)]
            sgd[v.sku] = [NewTier(1, _retail(v.base_price, 1.35))]
    return {"USD": usd, "EUR": eur, "SGD": sgd}


def seed_demo(hansa: Hansa, *, products: int = 200, seed: int = 7,
              progress: Progress | None = None) -> SeedReport:
    """Create the demo merchant. Refuses to run twice on the same database."""
    with hansa.db.read() as conn:
        if channel_queries.channels(conn):
            raise RuntimeError("this database already has channels; seed an empty one")
    rng = random.Random(seed)
    tick = progress or (lambda _step, _done, _total: None)
    bus = hansa.bus
    catalog = demo_catalog(products, seed)
    steps = 6
    with bus.uow() as uow:
        tick("suppliers", 0, steps)
        supplier_ids = {code: bus.execute(RegisterSupplier(
            code=code, name=name, country=country, currency=currency, integration=level,
            lead_time_hours=lead), uow) for code, name, country, currency, level, lead in SUPPLIERS}
        tick("locations", 1, steps)
        location_ids = {row[0]: bus.execute(CreateLocation(
            code=row[0], name=row[1], kind=row[2], lat=row[3], lon=row[4], country=row[5],
            postal_code=row[6], service_radius_km=row[7]), uow) for row in LOCATIONS}
        for supplier, code, name, kind, lat, lon, country, radius, loc in SUPPLIER_SITES:
            bus.execute(RegisterSupplierSite(
                supplier_code=supplier, code=code, name=name, kind=kind, lat=lat, lon=lon,
                country=country, service_radius_km=radius, location_code=loc), uow)
        _shipping_network(bus, uow, location_ids, supplier_ids)
        tick("catalog", 2, steps)
        for p in catalog:
            bus.execute(CreateProduct(
                handle=p.handle, title=p.title, category=p.category,
                description=f"{p.title} by {p.supplier_code.title().replace('-', ' ')}.",
                inventory_model=p.inventory_model, lead_time_hours=p.lead_time_hours,
                attributes={"material": p.material, "supplier": p.supplier_code}
                if p.material else {"supplier": p.supplier_code},
                variants=[NewVariant(v.sku, v.title, v.gtin, v.options, v.weight_grams)
                          for v in p.variants],
                components=p.components), uow)
        tick("prices", 3, steps)
        tables = _price_tables(catalog)
        price_lists = {}
        for currency, name in (("USD", "Retail USD"), ("EUR", "Wholesale EUR"),
                               ("SGD", "Retail SGD")):
            price_lists[currency] = bus.execute(CreatePriceList(name=name, currency=currency),
                                                uow)
            bus.execute(SetPrices(price_list_id=price_lists[currency],
                                  prices=tables[currency]), uow)
        for p in catalog:
            for v in p.variants:
                bus.execute(SetCost(sku=v.sku, amount=int(v.base_price * 0.42), currency="USD"),
                            uow)
        now = uow.now()
        bus.execute(CreatePromotion(
            price_list_id=price_lists["USD"], name="Storm season: 15% off outdoor",
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            percent_off_bp=1500,
            skus=[v.sku for p in catalog if p.category == "outdoor" for v in p.variants][:20],
        ), uow)
        tick("channels", 4, steps)
        for key, name, kind, currency, locale, categories in CHANNELS:
            bus.execute(CreateChannel(key=key, name=name, kind=kind, currency=currency,
                                      locale=locale, price_list_id=price_lists[currency],
                                      assortment=AssortmentSpec(categories=categories)), uow)
        tick("stock", 5, steps)
        units = _receive_stock(bus, uow, catalog, location_ids, rng)
        uow.commit()
    tick("done", steps, steps)
    return SeedReport(products=len(catalog), variants=sum(len(p.variants) for p in catalog),
                      locations=len(LOCATIONS), channels=len(CHANNELS),
                      suppliers=len(SUPPLIERS), stock_units=units)


def _shipping_network(bus: MessageBus, uow: UnitOfWork, location_ids: dict[str, str],
                      supplier_ids: dict[str, str]) -> None:
    """The generated carriers, and the locations that ship as fulfilment nodes (cut-off 16:00;
    the Dallas drop-ship centre ships for Memphis Supply within its radius)."""
    for carrier in generate.carriers():
        bus.execute(DefineCarrier(doc=carrier_to_doc(carrier)), uow)
    for code, _name, _kind, lat, lon, country, _postal, radius in LOCATIONS:
        if code not in NODES:
            continue
        kind, capabilities, priority = NODES[code]
        dropship = kind == "dropship"
        bus.execute(ConfigureNode(
            location_id=location_ids[code], code=code, kind=kind, lat=lat, lon=lon,
            country=country, capabilities=capabilities, priority=priority,
            supplier_id=supplier_ids["MEMPHIS-SUPPLY"] if dropship else None,
            radius_km=float(radius) if dropship else 0.0), uow)


def _receive_stock(bus: object, uow: object, catalog: list[DemoProduct],
                   location_ids: dict[str, str], rng: random.Random) -> int:
    from hansa.bus.messagebus import MessageBus
    from hansa.bus.unit_of_work import UnitOfWork

    assert isinstance(bus, MessageBus) and isinstance(uow, UnitOfWork)
    us_sites = ["US-NJ-WH", "US-TN-DC", "US-NV-3PL", "US-NY-MFC", "US-CA-MFC"]
    units = 0
    for product in catalog:
        if product.inventory_model != "mts":
            continue
        if product.category == "components":
            sites = ["IT-FI-FAB", "US-NJ-WH"]
        elif product.category == "furniture":
            sites = ["US-TX-DROP", "US-TN-DC", "DE-BE-WH"]
        else:
            sites = [*rng.sample(us_sites, 2), "DE-BE-WH"]
        for variant in product.variants:
            for site in sites:
                if rng.random() < 0.08:
                    continue  # some SKUs are sold out somewhere: the demo should show it
                quantity = rng.randrange(3, 120)
                bus.execute(ReceiveStock(sku=variant.sku, location_id=location_ids[site],
                                         quantity=quantity, reference="opening stock"), uow)
                units += quantity
    return units
