"""Supplier commands and events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hansa.kernel.messages import Command, Event
from hansa.suppliers.model import ItemRecord


@dataclass(frozen=True, slots=True)
class RegisterSupplier(Command):
    code: str
    name: str
    country: str
    currency: str
    integration: str
    lead_time_hours: int
    supplier_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApplySupplierPrice(Command):
    """One row of a supplier's price/cost feed, guarded before it reaches pricing.

    Amounts are minor units of `currency`; None means the feed's field was blank. `fields`
    names the fields this feed carries (a price-only feed sends ("price",)).
    """

    supplier_code: str
    price_list_id: str
    sku: str
    amount: int | None
    cost: int | None
    currency: str
    observed_at: datetime | None = None
    fields: tuple[str, ...] = ("price", "cost")


@dataclass(frozen=True)
class SupplierRegistered(Event):
    context = "suppliers"
    supplier_id: str
    code: str
    integration: str

    def subject(self) -> str:
        return self.supplier_id


# the supplier graph ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RegisterSupplierSite(Command):
    """A factory, warehouse or drop-ship centre of a supplier; it stocks an inventory location
    (the one named by `location_code` if it exists, else a new one with the site's code)."""

    supplier_code: str
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    country: str
    postal_code: str = ""
    service_radius_km: float = 0.0
    location_code: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyItemRecords(Command):
    """Canonical item records into the graph, all or none (raises DocumentError otherwise).

    `force` skips the cost guard (an operator approved the document)."""

    supplier_code: str
    records: tuple[ItemRecord, ...]
    observed_at: datetime | None = None
    force: bool = False


@dataclass(frozen=True, slots=True)
class SaveMappingProfile(Command):
    """A named column-mapping profile for a supplier's CSV/XLSX files (see suppliers.tabular)."""

    supplier_code: str
    name: str
    spec: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConfigureSupplierApi(Command):
    """The shared secret that signs a supplier's webhooks, and its endpoint for our POs."""

    supplier_code: str
    secret: str
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiveSupplierDocument(Command):
    """Store an inbound document raw, with its receipt; returns the document id.

    `chunks` yields the raw bytes; they are stored as they come, never all held at once."""

    supplier_code: str
    format: str
    chunks: Iterable[bytes]
    filename: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class ProcessSupplierDocument(Command):
    """Parse a received document and apply it in this one unit of work, or quarantine it."""

    document_id: str
    force: bool = False


@dataclass(frozen=True, slots=True)
class PoLine:
    sku: str
    quantity: int
    unit_cost: int


@dataclass(frozen=True, slots=True)
class SendPurchaseOrder(Command):
    """Render a PO in the supplier's channel (X12 850, EDIFACT ORDERS or JSON) and track it."""

    supplier_code: str
    po_number: str
    lines: tuple[PoLine, ...]
    currency: str
    ship_to: str = ""


@dataclass(frozen=True, slots=True)
class ChangePurchaseOrder(Command):
    """A changed PO (X12 860, EDIFACT ORDERS with function 'replace', JSON); tracked again."""

    po_number: str
    lines: tuple[PoLine, ...]


# events ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SupplierSiteRegistered(Event):
    context = "suppliers"
    site_id: str
    supplier_id: str
    code: str
    location_id: str

    def subject(self) -> str:
        return self.site_id


@dataclass(frozen=True)
class SupplierItemsChanged(Event):
    """Supplier items that changed in the graph, one event per applied chunk (<= 2,000 items):
    `items` holds [supplier SKU, our SKU or None, [changed field, ...]] for each."""

    context = "suppliers"
    supplier_code: str
    items: list[list[Any]]

    def subject(self) -> str:
        return self.supplier_code


@dataclass(frozen=True)
class SupplierDocumentReceived(Event):
    context = "suppliers"
    document_id: str
    supplier_code: str
    format: str
    content_hash: str
    status: str

    def subject(self) -> str:
        return self.document_id


@dataclass(frozen=True)
class SupplierDocumentApplied(Event):
    context = "suppliers"
    document_id: str
    supplier_code: str
    doc_type: str
    records: int
    changes: int

    def subject(self) -> str:
        return self.document_id


@dataclass(frozen=True)
class SupplierDocumentQuarantined(Event):
    context = "suppliers"
    document_id: str
    supplier_code: str
    reason: str
    where: dict[str, Any]

    def subject(self) -> str:
        return self.document_id


@dataclass(frozen=True)
class PurchaseOrderSent(Event):
    context = "suppliers"
    po_number: str
    supplier_code: str
    revision: int
    doc_type: str

    def subject(self) -> str:
        return self.po_number


@dataclass(frozen=True)
class PurchaseOrderDeliveryDue(Event):
    """A JSON PO held while its supplier's endpoint breaker was open: try again now."""

    context = "suppliers"
    po_number: str
    supplier_code: str
    revision: int

    def subject(self) -> str:
        return self.po_number


@dataclass(frozen=True)
class PurchaseOrderAcknowledged(Event):
    context = "suppliers"
    po_number: str
    status: str
    via: str

    def subject(self) -> str:
        return self.po_number
