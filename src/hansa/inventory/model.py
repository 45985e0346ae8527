"""Pure inventory domain: ledger entries and their effect on stock levels, reservation planning.

Invariant, everywhere and always: 0 <= reserved <= on_hand at every SKU x location.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hansa.kernel.errors import Conflict, InvalidData
from hansa.kernel.geo import Position, haversine_km

LOCATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


class LocationKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    REGIONAL_DC = "regional_dc"
    MICRO_FULFILLMENT = "micro_fulfillment"
    THIRD_PARTY = "3pl"
    SUPPLIER_DROPSHIP = "supplier_dropship"
    SUPPLIER_FACTORY = "supplier_factory"


class EntryKind(enum.StrEnum):
    """What moved. Each kind has a fixed effect on (on_hand, reserved)."""

    RECEIPT = "receipt"
    RESERVATION = "reservation"
    RELEASE = "release"
    PICK = "pick"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    code: str
    name: str
    kind: LocationKind
    position: Position
    country: str
    postal_code: str
    service_radius_km: float
    active: bool = True


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    location_id: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a reservation: `quantity` of `sku` held at `location_id`."""

    sku: str
    location_id: str
    quantity: int


def deltas(kind: EntryKind, quantity: int) -> tuple[int, int]:
    """(on_hand delta, reserved delta) of an entry. Adjustments carry their own sign."""
    if kind is not EntryKind.ADJUSTMENT and quantity <= 0:
        raise InvalidData(f"a {kind.value} moves a positive quantity, got {quantity}",
                          code="invalid_quantity")
    if kind is EntryKind.ADJUSTMENT and quantity == 0:
        raise InvalidData("an adjustment of zero changes nothing", code="invalid_quantity")
    return {
        EntryKind.RECEIPT: (quantity, 0),
        EntryKind.RESERVATION: (0, quantity),
        EntryKind.RELEASE: (0, -quantity),
        EntryKind.PICK: (-quantity, -quantity),
        EntryKind.TRANSFER_OUT: (-quantity, 0),
        EntryKind.TRANSFER_IN: (quantity, 0),
        EntryKind.ADJUSTMENT: (quantity, 0),
        EntryKind.RETURN: (quantity, 0),
    }[kind]


def apply(level: StockLevel, kind: EntryKind, quantity: int) -> StockLevel:
    """The level after an entry, or Conflict if the invariant would break."""
    d_on_hand, d_reserved = deltas(kind, quantity)
    after = StockLevel(level.sku, level.location_id, level.on_hand + d_on_hand,
                       level.reserved + d_reserved)
    if after.reserved < 0:
        raise Conflict(f"{level.sku}@{level.location_id}: releasing more than is reserved",
                       code="over_release")
    if after.on_hand < after.reserved:
        raise Conflict(
            f"{level.sku}@{level.location_id}: {kind.value} of {quantity} leaves on hand "
            f"{after.on_hand} below reserved {after.reserved}",
            code="insufficient_stock", sku=level.sku, location_id=level.location_id,
        )
    return after


def plan_reservation(
    sku: str,
    quantity: int,
    levels: Sequence[StockLevel],
    positions: dict[str, Position] | None = None,
    destination: Position | None = None,
) -> list[Allocation]:
    """Where to hold `quantity` of `sku`: one location if any can fill it (nearest to the
    destination when known, else the one with most available), else split across the fewest
    locations, largest availability first. Conflict (out_of_stock) when the total falls short.

    The order-to-cash optimiser replaces this with a cost- and promise-aware choice; this is
    the dependable default that never oversells (the caller reserves with conditional updates).
    """
    if quantity <= 0:
        raise InvalidData(f"cannot reserve {quantity} of {sku}", code="invalid_quantity")
    stocked = [lv for lv in levels if lv.sku == sku and lv.available > 0]
    total = sum(lv.available for lv in stocked)
    if total < quantity:
        raise Conflict(f"{sku}: {quantity} wanted, {total} available", code="out_of_stock",
                       sku=sku, wanted=quantity, available=total)

    def distance(level: StockLevel) -> float:
        if destination is None or positions is None or level.location_id not in positions:
            return 0.0
        return haversine_km(positions[level.location_id], destination)

    whole = [lv for lv in stocked if lv.available >= quantity]
    if whole:
        best = min(whole, key=lambda lv: (distance(lv), -lv.available, lv.location_id))
        return [Allocation(sku, best.location_id, quantity)]
    plan: list[Allocation] = []
    left = quantity
    for level in sorted(stocked, key=lambda lv: (-lv.available, distance(lv), lv.location_id)):
        take = min(left, level.available)
        plan.append(Allocation(sku, level.location_id, take))
        left -= take
        if left == 0:
            break
    return plan


def merge_lines(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Sum quantities per SKU, refusing non-positive quantities."""
    merged: dict[str, int] = {}
    for sku, quantity in lines:
        if quantity <= 0:
            raise InvalidData(f"{sku}: quantity must be positive, got {quantity}",
                              code="invalid_quantity")
        merged[sku] = merged.get(sku, 0) + quantity
    return merged


def validate_location(location: Location) -> None:
    if not LOCATION_CODE.match(location.code):
        raise InvalidData(f"location code {location.code!r} must be 2-32 of A-Z, 0-9, '-'",
                          code="invalid_location_code")
    if location.service_radius_km < 0:
        raise InvalidData("service radius cannot be negative", code="invalid_radius")
    if len(location.country) != 2 or not location.country.isupper():
        raise InvalidData(f"country {location.country!r} must be ISO 3166 alpha-2",
                          code="invalid_country")
