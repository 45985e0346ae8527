"""Fulfilment commands and events.

`ShipmentCreated` is a stable contract (see docs/adr/0011): carrier tracking and exception
handling subscribe to it. Fields may be added with defaults; none is renamed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class ConfigureNode(Command):
    """Make a location ship orders (or update how): its position, capabilities, cut-off, and
    for a supplier drop-ship site, the supplier and the radius it serves."""

    location_id: str
    code: str
    kind: str
    lat: float
    lon: float
    country: str
    capabilities: list[str] = field(default_factory=list)
    priority: int = 100
    cutoff_minute: int = 16 * 60
    handling_days: int = 0
    handling_cost: int = 0
    supplier_id: str | None = None
    radius_km: float = 0.0
    carriers: list[str] = field(default_factory=list)
    active: bool = True
    pickup_weekdays: list[int] = field(default_factory=lambda: list(range(7)))  # 0 = Monday
    no_pickup_dates: list[str] = field(default_factory=list)  # ISO dates: holidays, closures


@dataclass(frozen=True, slots=True)
class AllocateOrder(Command):
    """Re-check availability and hold the order's stock where the optimiser decides."""

    order_id: str


@dataclass(frozen=True, slots=True)
class ReleaseAllocation(Command):
    """Compensation of AllocateOrder: give the order's held stock back."""

    order_id: str
    reason: str = "order-to-cash compensated"


@dataclass(frozen=True, slots=True)
class CreateShipments(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class CancelShipments(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class PrintLabels(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class VoidLabels(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class SettleShipments(Command):
    """The allocated stock leaves every node: the ledger records a pick at each."""

    order_id: str


@dataclass(frozen=True, slots=True)
class NotifyShipments(Command):
    """Send the post-purchase message of each shipment (once per shipment)."""

    order_id: str
    idempotency_key: str = ""


@dataclass(frozen=True)
class NodeConfigured(Event):
    context = "fulfillment"
    location_id: str
    code: str
    kind: str

    def subject(self) -> str:
        return self.location_id


@dataclass(frozen=True)
class OrderAllocated(Event):
    context = "fulfillment"
    order_id: str
    promised_date: str
    shipments: int
    cost: int
    currency: str
    solver: str
    reasons: list[str]

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class AllocationReleased(Event):
    context = "fulfillment"
    order_id: str
    reason: str

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class ShipmentCreated(Event):
    """A shipment exists, with its carrier, tracking code and promise (stable; ADR 0011)."""

    context = "fulfillment"
    shipment_id: str
    order_id: str
    location_id: str
    carrier: str
    service: str
    tracking_code: str
    postal_code: str
    country: str
    promised_date: str  # ISO date
    lines: list[dict[str, Any]]  # [{"sku": str, "quantity": int}]

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ShipmentCancelled(Event):
    context = "fulfillment"
    shipment_id: str
    order_id: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class LabelPrinted(Event):
    context = "fulfillment"
    shipment_id: str
    tracking_code: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class LabelVoided(Event):
    context = "fulfillment"
    shipment_id: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class OrderShipped(Event):
    """Every shipment of the order has left its node (for marketing and suppliers)."""

    context = "fulfillment"
    order_id: str
    shipments: list[dict[str, Any]]  # shipment id, location id, supplier id, tracking code

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class ShipmentNotified(Event):
    context = "fulfillment"
    shipment_id: str
    order_id: str
    channel: str  # "email"

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ShipmentNotificationFailed(Event):
    """A shipment's message could not be sent; `NotifyShipments` again sends only the missing."""

    context = "fulfillment"
    shipment_id: str
    order_id: str
    channel: str
    error: str

    def subject(self) -> str:
        return self.shipment_id
