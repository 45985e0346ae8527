"""Pure supplier domain. The supplier integration work grows this into the full supplier graph."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from hansa.kernel.errors import InvalidData

SUPPLIER_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


class IntegrationLevel(enum.StrEnum):
    """How a supplier's data reaches us: uploads, scheduled EDI files, or a real-time API."""

    CSV = "csv"  # level 1
    EDI = "edi"  # level 2
    API = "api"  # level 3


@dataclass(frozen=True, slots=True)
class Supplier:
    id: str
    code: str
    name: str
    country: str
    currency: str
    integration: IntegrationLevel
    lead_time_hours: int


def validate_supplier(supplier: Supplier) -> None:
    if not SUPPLIER_CODE.match(supplier.code):
        raise InvalidData(f"supplier code {supplier.code!r} must be 2-32 of A-Z, 0-9, '-'",
                          code="invalid_supplier_code")
    if len(supplier.country) != 2 or not supplier.country.isupper():
        raise InvalidData("country must be ISO 3166 alpha-2", code="invalid_country")
    if not 0 < supplier.lead_time_hours <= 24 * 365:
        raise InvalidData("lead time must be 1 hour .. 1 year", code="invalid_lead_time")


class SiteKind(enum.StrEnum):
    """What a supplier site is; each maps to an inventory location kind."""

    FACTORY = "factory"
    WAREHOUSE = "warehouse"
    DROPSHIP = "dropship"

    def location_kind(self) -> str:
        return "supplier_factory" if self is SiteKind.FACTORY else "supplier_dropship"


class SupplyModel(enum.StrEnum):
    """How a supplier item is made: to stock, to order (lead time), configured from components."""

    MTS = "mts"
    MTO = "mto"
    CTO = "cto"


@dataclass(frozen=True, slots=True)
class SupplierSite:
    id: str
    supplier_id: str
    code: str
    name: str
    kind: SiteKind
    location_id: str
    lat: float
    lon: float
    service_radius_km: float


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One canonical supplier item record: what any feed (CSV, EDI, API) says about an item.

    None means "this feed does not say"; amounts are minor units of `currency`. `stock` maps a
    site code to the absolute quantity on hand there; `schedule` maps an ISO date to the planned
    production quantity. `line` locates the record in its document for error reports.
    """

    supplier_sku: str
    sku: str | None = None
    description: str | None = None
    cost: int | None = None
    currency: str | None = None
    stock: tuple[tuple[str, int], ...] = ()
    lead_time_hours: int | None = None
    moq: int | None = None
    case_pack: int | None = None
    supply_model: str | None = None
    components: tuple[tuple[str, int], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    schedule: tuple[tuple[str, int], ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class AckRecord:
    """A supplier's answer to one of our purchase orders (855, ORDRSP, JSON ack)."""

    po_number: str
    status: str  # accepted | changed | rejected
    lines: tuple[tuple[str, int, str], ...] = ()  # (supplier or our SKU, quantity, line status)
    line: int = 0


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """Ship notices (856, DESADV) and invoices (810): kept as records on the document."""

    kind: str  # shipment | invoice
    reference: str
    po_number: str | None
    lines: tuple[tuple[str, int], ...]
    total: int | None = None
    line: int = 0


Record = ItemRecord | AckRecord | NoticeRecord


class DocumentError(Exception):
    """A document cannot be applied; `where` pins it down (line, segment, element, column)."""

    def __init__(self, reason: str, *, line: int | None = None, segment: str | None = None,
                 element: str | None = None, column: str | None = None,
                 code: str = "invalid_document") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.where = {k: v for k, v in (("line", line), ("segment", segment),
                                         ("element", element), ("column", column))
                      if v is not None}

    def describe(self) -> str:
        place = ", ".join(f"{k} {v}" for k, v in self.where.items())
        return f"{place}: {self.reason}" if place else self.reason


def validate_item(record: ItemRecord) -> None:
    """Domain checks of one canonical record; raises DocumentError at the record's line."""
    def bad(reason: str) -> DocumentError:
        return DocumentError(reason, line=record.line or None, code="invalid_item")

    if not record.supplier_sku or len(record.supplier_sku) > 64:
        raise bad("supplier item number is blank or longer than 64 characters")
    if record.cost is not None and record.cost < 0:
        raise bad(f"cost {record.cost} is negative")
    if record.cost is not None and not record.currency:
        raise bad("a cost needs a currency")
    for site, quantity in record.stock:
        if quantity < 0:
            raise bad(f"stock {quantity} at {site} is negative")
    if record.lead_time_hours is not None and not 0 <= record.lead_time_hours <= 24 * 365:
        raise bad(f"lead time {record.lead_time_hours} h is outside 0 .. 1 year")
    for name, value in (("minimum order", record.moq), ("case pack", record.case_pack)):
        if value is not None and value < 1:
            raise bad(f"{name} {value} must be at least 1")
    if record.supply_model is not None and record.supply_model not in set(SupplyModel):
        raise bad(f"inventory model {record.supply_model!r} is not mts, mto or cto")
    for _date, quantity in record.schedule:
        if quantity < 0:
            raise bad(f"planned quantity {quantity} is negative")
