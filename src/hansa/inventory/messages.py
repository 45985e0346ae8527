"""Inventory commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hansa.kernel.messages import Command, Event


# commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CreateLocation(Command):
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    country: str
    postal_code: str = ""
    service_radius_km: float = 0.0
    location_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiveStock(Command):
    sku: str
    location_id: str
    quantity: int
    reference: str = ""


@dataclass(frozen=True, slots=True)
class AdjustStock(Command):
    """A counted correction: positive finds, negative shrinkage or damage."""

    sku: str
    location_id: str
    delta: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReserveStock(Command):
    """Hold stock for `reference` (an order id); all lines or none. Returns the allocations."""

    reference: str
    lines: list[tuple[str, int]]
    expires_at: datetime | None = None
    destination: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class ReleaseReservation(Command):
    reference: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConfirmReservation(Command):
    """The reservation no longer expires (its order is paid)."""

    reference: str


@dataclass(frozen=True, slots=True)
class PickReservation(Command):
    """The reserved stock leaves the building: on hand and reserved both go down."""

    reference: str


@dataclass(frozen=True, slots=True)
class ExpireReservations(Command):
    """Release every active reservation whose expiry has passed (a sweep; timers do it too)."""


@dataclass(frozen=True, slots=True)
class DispatchTransfer(Command):
    sku: str
    from_location_id: str
    to_location_id: str
    quantity: int
    transfer_id: str | None = None
    expected_at: datetime | None = None  # the ETA at the receiving location (promises use it)


@dataclass(frozen=True, slots=True)
class ReceiveTransfer(Command):
    transfer_id: str


@dataclass(frozen=True, slots=True)
class ReturnStock(Command):
    sku: str
    location_id: str
    quantity: int
    reference: str


# events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LocationCreated(Event):
    context = "inventory"
    location_id: str
    code: str
    kind: str

    def subject(self) -> str:
        return self.location_id


@dataclass(frozen=True)
class StockChanged(Event):
    """Any ledger movement at one SKU x location, with the level after it."""

    context = "inventory"
    sku: str
    location_id: str
    kind: str
    quantity: int
    on_hand: int
    reserved: int
    reference: str

    def subject(self) -> str:
        return self.sku


@dataclass(frozen=True)
class StockReserved(Event):
    context = "inventory"
    reference: str
    allocations: list[dict[str, Any]]
    expires_at: str | None

    def subject(self) -> str:
        return self.reference


@dataclass(frozen=True)
class ReservationReleased(Event):
    context = "inventory"
    reference: str
    reason: str
    allocations: list[dict[str, Any]] = field(default_factory=list)

    def subject(self) -> str:
        return self.reference


@dataclass(frozen=True)
class ReservationExpiryDue(Event):
    """A durable timer: fires at the reservation's expiry time."""

    context = "inventory"
    reference: str

    def subject(self) -> str:
        return self.reference


@dataclass(frozen=True)
class ReservationExpired(Event):
    context = "inventory"
    reference: str

    def subject(self) -> str:
        return self.reference


@dataclass(frozen=True)
class TransferDispatched(Event):
    context = "inventory"
    transfer_id: str
    sku: str
    from_location_id: str
    to_location_id: str
    quantity: int
    expected_at: str | None = None

    def subject(self) -> str:
        return self.transfer_id


@dataclass(frozen=True)
class TransferReceived(Event):
    context = "inventory"
    transfer_id: str
    sku: str
    to_location_id: str
    quantity: int

    def subject(self) -> str:
        return self.transfer_id


@dataclass(frozen=True, slots=True)
class ReserveAt(Command):
    """Hold stock at chosen locations, all or nothing (a sourcing optimiser's allocation).

    `allocations` holds (sku, location id, quantity). Conflict if any location falls short.
    """

    reference: str
    allocations: list[tuple[str, str, int]]
    expires_at: datetime | None = None
