"""Build the simulated merchant inside a real Hansa, through its commands only."""

from __future__ import annotations

from hansa.bootstrap import Hansa
from hansa.bus.unit_of_work import UnitOfWork
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.channels.messages import AssortmentSpec, CreateChannel
from hansa.inventory.messages import CreateLocation, ReceiveStock
from hansa.pricing.messages import CreatePriceList, NewTier, SetCost, SetPrices
from hansa.sim.network import configure_network
from hansa.sim.planner import Levels
from hansa.sim.world import SkuSpec, World
from hansa.suppliers.messages import RegisterSupplier


def create_products(hansa: Hansa, uow: UnitOfWork, world: World, skus: list[SkuSpec]) -> None:
    """Products (one variant each), their list prices and costs."""
    bus = hansa.bus
    for spec in skus:
        supplier = world.suppliers[spec.supplier]
        bus.execute(CreateProduct(
            handle=spec.handle, title=f"{spec.category.title()} item {spec.sku[-5:]}",
            category=spec.category, product_id=spec.product_id,
            attributes={"supplier": supplier.code},
            variants=[NewVariant(spec.sku, "Standard", weight_grams=spec.weight_grams)]), uow)
    bus.execute(SetPrices(price_list_id=world.price_list_id,
                          prices={s.sku: [NewTier(1, s.price)] for s in skus}), uow)
    for spec in skus:
        bus.execute(SetCost(sku=spec.sku, amount=spec.cost, currency="USD"), uow)


def seed_business(hansa: Hansa, world: World, levels: dict[tuple[str, str], Levels],
                  stock_factor: dict[str, float]) -> int:
    """Suppliers, sites (each a fulfilment node), the carriers' rate cards, catalog, the USD
    price list, the DTC channel and opening stock (each site starts at its max level).
    Returns the units received."""
    bus = hansa.bus
    units = 0
    with bus.uow() as uow:
        for supplier, supplier_id in zip(world.suppliers, world.supplier_ids, strict=True):
            bus.execute(RegisterSupplier(
                code=supplier.code, name=supplier.name, country="US", currency="USD",
                integration=supplier.integration, lead_time_hours=int(supplier.lead_days * 24),
                supplier_id=supplier_id), uow)
        for site in world.sites:
            bus.execute(CreateLocation(
                code=site.code, name=f"{site.place.city} {site.kind.replace('_', ' ')}",
                kind=site.kind, lat=site.place.position.lat, lon=site.place.position.lon,
                country="US", postal_code=site.place.postal_code,
                service_radius_km=900 if site.hub else 40, location_id=site.location_id), uow)
        configure_network(hansa, uow, world)
        bus.execute(CreatePriceList(name="Simulated retail USD", currency="USD",
                                    price_list_id=world.price_list_id), uow)
        create_products(hansa, uow, world, world.skus)
        bus.execute(CreateChannel(key="sim-us", name="Simulated store (US)", kind="dtc",
                                  currency="USD", locale="en-US",
                                  price_list_id=world.price_list_id,
                                  assortment=AssortmentSpec(all_products=True),
                                  channel_id=world.channel_id), uow)
        for spec in world.skus:
            factor = stock_factor.get(spec.category, 1.0)
            for site in world.sites:
                level = levels.get((spec.sku, site.location_id))
                if level is None:
                    continue
                quantity = round(level.high * factor)
                if quantity > 0:
                    bus.execute(ReceiveStock(sku=spec.sku, location_id=site.location_id,
                                             quantity=quantity, reference="opening"), uow)
                    units += quantity
        uow.commit()
    hansa.worker.run_until_idle()
    return units
