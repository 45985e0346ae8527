"""Carriers of the world: what they publish (rates, transit days by distance, where each
serves), the promise a store makes from it, and what really happens in transit (lognormal
transit times, weather and outage delays, missed scans: the world's truth, never told)."""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

from hansa.kernel.geo import Position, haversine_km
from hansa.sim.world import CarrierSpec, World

CUTOFF_HOUR = 14  # orders placed before 14:00 leave the same pickup day
PICKUP_HOUR = 15
GROUND_REACH_KM = 1_500  # the merchant's contract: ground within the US up to here
WORLD_REACH_KM = 20_100  # half the earth's circumference: every destination


@dataclass(frozen=True, slots=True)
class Disruption:
    """Extra transit days and missed-scan chance, for a destination state or a carrier."""

    delay_days: float = 0.0
    missed_scan_rate: float = 0.0


def carrier_for(world: World, country: str, distance_km: float) -> CarrierSpec:
    """Ground within the US up to 1,500 km, express beyond and abroad."""
    if country == "US" and distance_km <= GROUND_REACH_KM:
        return world.carriers[0]
    return world.carriers[1]


def nominal_days(carrier: CarrierSpec, distance_km: float) -> float:
    return carrier.base_days + distance_km / carrier.km_per_day


def published_days(carrier: CarrierSpec, distance_km: float) -> int:
    """The carrier's published transit standard: nominal days rounded up, plus one day, read
    from the same table the merchant's system is given (`published_bands`)."""
    for edge, days in published_bands(carrier, WORLD_REACH_KM):
        if distance_km <= edge:
            return int(days)
    raise ValueError(f"{distance_km} km is beyond any destination on earth")


@functools.lru_cache(maxsize=16)
def published_bands(carrier: CarrierSpec, reach_km: float) -> tuple[tuple[float, int], ...]:
    """The transit table a carrier hands a merchant, up to `reach_km`: (max km, days),
    ascending; days are the nominal transit at the band's far edge rounded up, plus one."""
    bands: list[tuple[float, int]] = []
    whole = math.ceil(carrier.base_days)
    while True:
        edge = (whole - carrier.base_days) * carrier.km_per_day
        bands.append((min(edge, reach_km), whole + 1))
        if edge >= reach_km:
            return tuple(bands)
        whole += 1


def ship_day(world: World, day: int, hour: int) -> int:
    """The pickup day an order placed at (day, hour) leaves on."""
    first = day if hour < CUTOFF_HOUR else day + 1
    while not world.pickup_day(world.day_date(first)):
        first += 1
    return first


def promise_day(world: World, day: int, hour: int, site: Position, home: Position,
                country: str) -> int:
    """The day the store promises: the pickup day + the carrier's published transit days."""
    distance = haversine_km(site, home)
    carrier = carrier_for(world, country, distance)
    return ship_day(world, day, hour) + published_days(carrier, distance)


def transit(rng: random.Random, carrier: CarrierSpec, distance_km: float,
            disruptions: list[Disruption]) -> tuple[int, bool]:
    """(days in transit, whether an expected scan was missed) for one parcel."""
    days = nominal_days(carrier, distance_km) * rng.lognormvariate(0.0, carrier.sigma)
    days += sum(d.delay_days * rng.uniform(0.5, 1.5) for d in disruptions)
    missed = carrier.missed_scan_rate + sum(d.missed_scan_rate for d in disruptions)
    return max(1, math.ceil(days)), rng.random() < missed


def parcel_cost(carrier: CarrierSpec, weight_grams: int) -> int:
    return carrier.cost_base + carrier.cost_per_kg * max(1, math.ceil(weight_grams / 1000))
