"""Pure shipping domain: carriers, services, transit by distance band, cut-offs, rate cards and
contract rules, resolved into `Lane`s (one way to ship from one origin to one destination).

Days are whole calendar days counted from the order day (day 0 = today). Money is integer
minor units in the carrier's currency; a network quotes in one currency.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import Position, haversine_km

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


class ServiceLevel(enum.StrEnum):
    SAME_DAY = "same_day"
    NEXT_DAY = "next_day"
    TWO_DAY = "two_day"
    GROUND = "ground"
    THRESHOLD = "threshold"  # freight to the threshold: bulky items, a booked slot


@dataclass(frozen=True, slots=True)
class TransitBand:
    """Up to `max_km` of great-circle distance, the service takes `days` in transit."""

    max_km: float
    days: int


@dataclass(frozen=True, slots=True)
class Service:
    """A carrier service with its rate card: a fee per parcel plus a rate per kilogram."""

    code: str
    level: ServiceLevel
    bands: tuple[TransitBand, ...]  # ascending max_km; beyond the last band: not served
    fee: int  # per parcel, minor units
    per_kg: int  # minor units per kilogram
    max_item_kg: float = 30.0  # heavier items need another service
    bulky_ok: bool = False  # takes items flagged bulky (sofas, appliances)
    international: bool = False  # may cross a border
    countries: frozenset[str] = frozenset()  # destination countries served; empty: any
    beyond_km: float = 0.0  # serves only destinations farther than this (a long-haul tier)


@dataclass(frozen=True, slots=True)
class Contract:
    """Pre-negotiated rules with a carrier.

    `consolidation`: a second (third, ...) parcel to the same address handed over the same day
    costs nothing extra: the parcel fee is charged once per ship day.
    `surcharge_bulky`: extra per bulky unit.
    """

    code: str
    consolidation: bool = False
    surcharge_bulky: int = 0


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name: str
    currency: str
    services: tuple[Service, ...]
    contract: Contract = field(default_factory=lambda: Contract(code="LIST"))

    def service(self, code: str) -> Service:
        for service in self.services:
            if service.code == code:
                return service
        raise InvalidData(f"carrier {self.code} has no service {code}", code="unknown_service")


@dataclass(frozen=True, slots=True)
class Item:
    """What the rate card needs to know about one unit of a SKU."""

    sku: str
    weight_g: int
    bulky: bool = False


@dataclass(frozen=True, slots=True)
class Lane:
    """One way to ship from an origin to a destination: carrier service, ship day and arrival."""

    carrier: str
    service: str
    level: ServiceLevel
    ship_day: int  # day the parcel is handed over (cut-off and handling applied)
    day: int  # delivery day, counted from the order day
    fee: int
    per_kg: int
    max_item_kg: float
    bulky_ok: bool
    consolidation: str | None  # contract group: parcels of one group on one day pay one fee
    surcharge_bulky: int = 0

    def accepts(self, item: Item) -> bool:
        return item.weight_g <= self.max_item_kg * 1000 and (self.bulky_ok or not item.bulky)

    def unit_cost(self, item: Item) -> int:
        """Variable charge of one unit (the parcel fee is separate)."""
        return (math.ceil(self.per_kg * item.weight_g / 1000)
                + (self.surcharge_bulky if item.bulky else 0))

    def group(self) -> tuple[str, int] | None:
        return None if self.consolidation is None else (self.consolidation, self.ship_day)


def transit_days(service: Service, distance_km: float) -> int | None:
    """Transit days for the distance, or None beyond the service's reach (or inside its
    `beyond_km`: a long-haul service the contract keeps for far destinations)."""
    if service.beyond_km and distance_km <= service.beyond_km:
        return None
    for band in service.bands:
        if distance_km <= band.max_km:
            return band.days
    return None


@dataclass(frozen=True, slots=True)
class PickupCalendar:
    """The days carriers collect from a shipping node: weekdays (0 = Monday, UTC dates) and
    dates without a pickup (public holidays, a stock-take). The default collects every day."""

    weekdays: frozenset[int] = frozenset(range(7))
    closed: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise InvalidData("pickup weekdays are 0 (Monday) to 6 (Sunday), at least one",
                              code="invalid_pickup_calendar")

    def picks_up(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed

    def first_pickup(self, start: date, after_days: int) -> int:
        """The first day, counted from `start`, at or after `after_days` with a pickup."""
        day = after_days
        for _ in range(len(self.closed) + 8):  # some weekday picks up; closed dates add days
            if self.picks_up(start + timedelta(days=day)):
                return day
            day += 1
        return day


EVERY_DAY = PickupCalendar()


def ship_day(now: datetime, cutoff_minute: int, handling_days: int,
             pickup: PickupCalendar = EVERY_DAY) -> int:
    """Hand-over day: today before the cut-off (UTC minute of day), else tomorrow; plus
    handling; then on to the node's next pickup day."""
    minute = now.hour * 60 + now.minute
    ready = (0 if minute < cutoff_minute else 1) + handling_days
    return pickup.first_pickup(now.date(), ready)


def lanes(carriers: list[Carrier], *, origin: Position, origin_country: str,
          destination: Position, destination_country: str, now: datetime,
          cutoff_minute: int, handling_days: int, allowed: frozenset[str] = frozenset(),
          pickup: PickupCalendar = EVERY_DAY) -> list[Lane]:
    """Every lane from an origin to a destination, fastest first; `allowed` limits carriers."""
    return LaneResolver(carriers, destination_country).lanes(
        haversine_km(origin, destination), origin_country != destination_country,
        ship_day(now, cutoff_minute, handling_days, pickup), allowed)


class LaneResolver:
    """`lanes` for many origins to one destination: the services each origin may use (by
    border, same-day eligibility and allowed carriers) are filtered once, and equal lanes
    (same service, hand-over day and transit days) are built once and shared (they are
    immutable)."""

    def __init__(self, carriers: list[Carrier], destination_country: str) -> None:
        self.carriers = carriers
        self.destination_country = destination_country
        self._services: dict[tuple[bool, bool, frozenset[str]],
                             list[tuple[tuple[int, int], Carrier, Service]]] = {}
        self._lanes: dict[tuple[tuple[int, int], int, int], Lane] = {}

    def _eligible(self, cross_border: bool, handed: int,
                  allowed: frozenset[str]) -> list[tuple[tuple[int, int], Carrier, Service]]:
        key = (cross_border, handed > 0, allowed)
        found = self._services.get(key)
        if found is None:
            found = []
            for ci, carrier in enumerate(self.carriers):
                if allowed and carrier.code not in allowed:
                    continue
                for si, service in enumerate(carrier.services):
                    if cross_border and not service.international:
                        continue
                    if service.countries and self.destination_country not in service.countries:
                        continue
                    if handed and service.level is ServiceLevel.SAME_DAY:
                        continue  # same-day only before the cut-off, from stock on hand
                    found.append(((ci, si), carrier, service))
            self._services[key] = found
        return found

    def lanes(self, distance_km: float, cross_border: bool, handed: int,
              allowed: frozenset[str] = frozenset()) -> list[Lane]:
        """The lanes from an origin `distance_km` away, fastest first."""
        found: list[Lane] = []
        shared = self._lanes
        for ids, carrier, service in self._eligible(cross_border, handed, allowed):
            days = transit_days(service, distance_km)
            if days is None:
                continue
            key = (ids, handed, days)
            lane = shared.get(key)
            if lane is None:
                contract = carrier.contract
                lane = Lane(carrier.code, service.code, service.level, handed, handed + days,
                            service.fee, service.per_kg, service.max_item_kg, service.bulky_ok,
                            contract.code if contract.consolidation else None,
                            contract.surcharge_bulky)
                shared[key] = lane
            found.append(lane)
        found.sort(key=_lane_order)
        return found


def _lane_order(lane: Lane) -> tuple[int, int, str, str]:
    return (lane.day, lane.fee, lane.carrier, lane.service)


def delivery_date(order_day: date, day: int) -> date:
    return order_day + timedelta(days=day)


def validate_carrier(carrier: Carrier) -> None:
    """InvalidData (with a stable code) for a carrier that cannot be quoted from."""
    if not CODE.match(carrier.code):
        raise InvalidData(f"carrier code {carrier.code!r}: 2-32 of A-Z, 0-9, '-'",
                          code="invalid_carrier_code")
    if len(carrier.currency) != 3 or not carrier.currency.isupper():
        raise InvalidData(f"currency {carrier.currency!r} is not ISO 4217", code="invalid_currency")
    if not carrier.services:
        raise InvalidData(f"carrier {carrier.code} has no services", code="no_services")
    seen: set[str] = set()
    for service in carrier.services:
        if service.code in seen:
            raise InvalidData(f"service {service.code} is listed twice", code="duplicate_service")
        seen.add(service.code)
        if service.beyond_km < 0:
            raise InvalidData(f"service {service.code}: beyond_km cannot be negative",
                              code="invalid_transit")
        if service.fee < 0 or service.per_kg < 0:
            raise InvalidData(f"service {service.code}: rates cannot be negative",
                              code="invalid_rate")
        if not service.bands or any(b.days < 0 for b in service.bands):
            raise InvalidData(f"service {service.code} needs transit bands with days >= 0",
                              code="invalid_transit")
        if [b.max_km for b in service.bands] != sorted(b.max_km for b in service.bands):
            raise InvalidData(f"service {service.code}: bands must ascend by distance",
                              code="invalid_transit")


def carrier_to_doc(carrier: Carrier) -> dict[str, object]:
    """A carrier as a JSON document (stored, and accepted by the admin API)."""
    return {
        "code": carrier.code, "name": carrier.name, "currency": carrier.currency,
        "contract": {"code": carrier.contract.code,
                     "consolidation": carrier.contract.consolidation,
                     "surcharge_bulky": carrier.contract.surcharge_bulky},
        "services": [{
            "code": s.code, "level": s.level.value, "fee": s.fee, "per_kg": s.per_kg,
            "bands": [[b.max_km, b.days] for b in s.bands], "max_item_kg": s.max_item_kg,
            "bulky_ok": s.bulky_ok, "international": s.international,
            "countries": sorted(s.countries), "beyond_km": s.beyond_km}
            for s in carrier.services],
    }


def carrier_from_doc(doc: dict[str, object]) -> Carrier:
    """The inverse of `carrier_to_doc`; InvalidData when the document does not fit."""
    try:
        contract = dict(doc.get("contract") or {})  # type: ignore[call-overload]
        services = tuple(Service(
            code=str(s["code"]), level=ServiceLevel(s["level"]), fee=int(s["fee"]),
            per_kg=int(s["per_kg"]),
            bands=tuple(TransitBand(float(km), int(days)) for km, days in s["bands"]),
            max_item_kg=float(s.get("max_item_kg", 30.0)), bulky_ok=bool(s.get("bulky_ok")),
            international=bool(s.get("international")),
            countries=frozenset(s.get("countries") or ()),
            beyond_km=float(s.get("beyond_km", 0.0)))
            for s in doc["services"])  # type: ignore[attr-defined]
        carrier = Carrier(
            code=str(doc["code"]), name=str(doc.get("name") or doc["code"]),
            currency=str(doc["currency"]), services=services,
            contract=Contract(code=str(contract.get("code", "LIST")),
                              consolidation=bool(contract.get("consolidation")),
                              surcharge_bulky=int(contract.get("surcharge_bulky", 0))))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidData(f"carrier document does not fit: {exc}", code="invalid_carrier") from exc
    validate_carrier(carrier)
    return carrier
