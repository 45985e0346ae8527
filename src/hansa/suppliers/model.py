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
