"""Ports of the fulfilment context: label rendering and post-purchase messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class LabelData:
    tracking_code: str
    carrier: str
    service: str
    ship_from: str  # node code
    ship_from_country: str
    ship_to: tuple[str, ...]  # name, address lines, postal code and city, country
    postal_code: str
    country: str
    promised_date: str
    lines: tuple[tuple[str, int], ...]
    order_number: str


class LabelPrinter(Protocol):
    """Renders one shipping label: a PDF for office printers and ZPL for thermal printers."""

    def render(self, label: LabelData) -> tuple[bytes, str]: ...


@dataclass(frozen=True, slots=True)
class ShipmentMessage:
    to: str
    channel: str  # channel key: picks the template set
    locale: str
    context: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    """Sends a shipment's post-purchase message (email); raises on failure."""

    def send_shipment(self, message: ShipmentMessage) -> None: ...
