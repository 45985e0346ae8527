"""What a carrier's tracking shows of one parcel in the world: its scans and when they happen.

A parcel handed over at the afternoon pickup is scanned on acceptance, once a day on the way
(each morning it is still travelling) and on delivery. A parcel whose expected scan is missed
(carriers.transit draws it) goes dark after acceptance and shows up again only at delivery:
every scan on the way never happens. The world knows when the first missing scan was due;
Hansa does not. (Few scans a parcel keep the hourly feed cheap; a carrier's intermediate hub
scans would add events, not information the exceptions path uses.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hansa.kernel.geo import Position
from hansa.logistics.model import Scan, TrackingStatus
from hansa.sim.geography import Place

EN_ROUTE_HOUR = 6  # daily scans on the way: 06:00 plus up to four hours
DELIVERY_HOURS = (10, 19)  # the driver delivers between these hours


@dataclass(frozen=True, slots=True)
class Shipment:
    """A parcel the world handed to a carrier, as a tracking registration would describe it."""

    shipment_id: str
    order_id: str
    customer: str  # the customer's email
    location_id: str
    carrier: str
    tracking_code: str
    postal_code: str
    country: str
    promised_date: date
    lines: tuple[tuple[str, int], ...]
    value: int  # cents (USD): what the customer paid for these lines


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """The scans a parcel's carrier will report, in time order, and the world's view of the
    first scan that was due and never happened (None when every scan happens)."""

    scans: tuple[Scan, ...]
    missed_at: datetime | None
    delivered_at: datetime


def _on_the_way(origin: Position, destination: Position, share: float) -> Position:
    return Position(origin.lat + (destination.lat - origin.lat) * share,
                    origin.lon + (destination.lon - origin.lon) * share)


def plan(rng: random.Random, handed_over: datetime, days: int, missed: bool,
         origin: Place, destination: Place) -> ScanPlan:
    """The scans of a parcel handed over at `handed_over` and delivered `days` later."""
    midnight = handed_over.replace(hour=0, minute=0, second=0, microsecond=0)
    accepted = Scan(TrackingStatus.PRE_TRANSIT, handed_over, city=origin.city,
                    postal_code=origin.postal_code, country=origin.country,
                    lat=origin.position.lat, lon=origin.position.lon)
    on_the_way: list[Scan] = []
    for day in range(1, days):
        where = _on_the_way(origin.position, destination.position, day / days)
        on_the_way.append(Scan(TrackingStatus.IN_TRANSIT, midnight + timedelta(
            days=day, hours=EN_ROUTE_HOUR, minutes=rng.randrange(240)), substatus="en_route",
            lat=round(where.lat, 4), lon=round(where.lon, 4)))
    low, high = DELIVERY_HOURS
    delivered_at = midnight + timedelta(days=days, hours=low,
                                        minutes=rng.randrange((high - low) * 60))
    delivered = Scan(TrackingStatus.DELIVERED, delivered_at, city=destination.city,
                     postal_code=destination.postal_code, country=destination.country,
                     lat=destination.position.lat, lon=destination.position.lon)
    if not missed or not on_the_way:  # a next-day parcel has no scan on the way to miss
        return ScanPlan((accepted, *on_the_way, delivered), None, delivered_at)
    return ScanPlan((accepted, delivered), on_the_way[0].occurred_at, delivered_at)
