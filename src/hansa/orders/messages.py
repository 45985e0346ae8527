"""Orders commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hansa.kernel.messages import Command, Event
from hansa.orders.model import Address


@dataclass(frozen=True, slots=True)
class CreateCart(Command):
    channel_id: str


@dataclass(frozen=True, slots=True)
class SetCartLine(Command):
    """Set a SKU's quantity in the cart; 0 removes the line."""

    cart_id: str
    channel_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PlaceOrder(Command):
    """Checkout: from a cart or from explicit lines, at most once per idempotency key."""

    channel_id: str
    idempotency_key: str
    email: str
    address: Address
    cart_id: str | None = None
    lines: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CapturePayment(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class CancelOrder(Command):
    order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class HoldOrder(Command):
    """Hold an order: payment capture is refused while it is held. Returns the previous reason."""

    order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReleaseOrderHold(Command):
    """Lift an order's hold (nothing happens if it is not held). Returns the reason it had."""

    order_id: str


@dataclass(frozen=True)
class OrderHeld(Event):
    context = "orders"
    order_id: str
    reason: str

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class OrderHoldReleased(Event):
    context = "orders"
    order_id: str

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class OrderPlaced(Event):
    context = "orders"
    order_id: str
    number: str
    channel_id: str
    currency: str
    total: int
    lines: list[dict[str, Any]]
    postal_code: str
    country: str

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class OrderPaid(Event):
    context = "orders"
    order_id: str
    amount: int
    currency: str

    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class OrderCancelled(Event):
    context = "orders"
    order_id: str
    reason: str

    def subject(self) -> str:
        return self.order_id
