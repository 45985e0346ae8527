"""Supplier commands and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hansa.kernel.messages import Command, Event


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
