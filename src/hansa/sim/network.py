"""The merchant's shipping network inside Hansa: a fulfilment node per site and the carriers'
published rate cards and transit tables, told through Hansa's commands (ADR 24).

What Hansa learns is what a carrier publishes to a merchant: the parcel fee and rate per kg,
the transit days by distance (`carriers.published_days`) and where each service goes (the
merchant's contract: ground within the US up to 1,500 km, express beyond and abroad). The
world's lognormal transit noise, disruptions and missed scans stay in the world.
"""

from __future__ import annotations

from typing import Any

from hansa.bootstrap import Hansa
from hansa.bus.unit_of_work import UnitOfWork
from hansa.fulfillment.messages import ConfigureNode
from hansa.shipping.messages import DefineCarrier
from hansa.sim.carriers import CUTOFF_HOUR, GROUND_REACH_KM, WORLD_REACH_KM, published_bands
from hansa.sim.geography import Place
from hansa.sim.world import PICKUP_WEEKDAYS, CarrierSpec, World

NO_WEIGHT_LIMIT_KG = 1_000.0  # the world's carriers take any parcel the store sells


def carrier_code(carrier: CarrierSpec) -> str:
    """Hansa's code of a world carrier (`ground` -> `GROUND`)."""
    return carrier.name.upper()


def _service(code: str, carrier: CarrierSpec, reach_km: float, **extra: Any) -> dict[str, Any]:
    return {"code": code, "level": "ground", "fee": carrier.cost_base,
            "per_kg": carrier.cost_per_kg,
            "bands": [list(band) for band in published_bands(carrier, reach_km)],
            "max_item_kg": NO_WEIGHT_LIMIT_KG, **extra}


def carrier_docs(world: World) -> list[dict[str, Any]]:
    """The world's two carriers as Hansa carrier documents (list prices, no consolidation:
    every parcel pays its fee, as the world bills it)."""
    ground, express = world.carriers[0], world.carriers[1]
    abroad = sorted({c.place.country for c in world.customers} - {"US"})
    express_services = [_service("express", express, WORLD_REACH_KM, countries=["US"],
                                 beyond_km=GROUND_REACH_KM)]
    if abroad:
        express_services.append(_service("express-intl", express, WORLD_REACH_KM,
                                         countries=abroad, international=True))
    return [
        {"code": carrier_code(ground), "name": "Ground", "currency": "USD",
         "contract": {"code": "LIST"},
         "services": [_service("ground", ground, GROUND_REACH_KM, countries=["US"])]},
        {"code": carrier_code(express), "name": "Express", "currency": "USD",
         "contract": {"code": "LIST"}, "services": express_services},
    ]


def configure_network(hansa: Hansa, uow: UnitOfWork, world: World) -> None:
    """Carriers, then a node per site (its position, kind and the pickup's cut-off)."""
    for doc in carrier_docs(world):
        hansa.bus.execute(DefineCarrier(doc=doc), uow)
    for site in world.sites:
        configure_node(hansa, uow, world, site.location_id, site.code, site.kind, site.place)


def configure_node(hansa: Hansa, uow: UnitOfWork, world: World, location_id: str, code: str,
                   kind: str, place: Place, *, supplier_id: str | None = None,
                   radius_km: float = 0.0) -> None:
    """A site ships orders: orders before the 14:00 cut-off leave with the 15:00 pickup, on
    the world's pickup days (Monday to Saturday, not on its holidays)."""
    hansa.bus.execute(ConfigureNode(
        location_id=location_id, code=code, kind=kind, lat=place.position.lat,
        lon=place.position.lon, country=place.country, cutoff_minute=CUTOFF_HOUR * 60,
        supplier_id=supplier_id, radius_km=radius_km, pickup_weekdays=sorted(PICKUP_WEEKDAYS),
        no_pickup_dates=[d.isoformat() for d in world.no_pickup_dates()]), uow)
