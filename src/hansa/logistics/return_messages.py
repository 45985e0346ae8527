"""Returns (RMA) commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class RequestReturn(Command):
    """Ask to return lines of a delivered shipment; returns the RMA id and its label."""

    shipment_id: str
    lines: list[tuple[str, int]]
    condition: str
    channel: str
    resolution: str = "refund"
    reason: str = ""
    rma_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiveReturn(Command):
    """The parcel came back: per line, the inspected quantity and what happens to it."""

    rma_id: str
    location_id: str
    inspected: list[tuple[str, int, str]]  # sku, quantity, outcome (restock | write_off)


@dataclass(frozen=True)
class ReturnAuthorised(Event):
    context = "logistics"
    rma_id: str
    shipment_id: str
    label_reference: str

    def subject(self) -> str:
        return self.rma_id


@dataclass(frozen=True)
class ReturnReceived(Event):
    """Inspected and settled: restocked units are back in stock; the customer is owed this."""

    context = "logistics"
    rma_id: str
    shipment_id: str
    order_id: str
    customer: str
    resolution: str
    amount: int
    currency: str
    restocked: int
    written_off: int
    lines: list[list[object]] = field(default_factory=list)

    def subject(self) -> str:
        return self.rma_id
