"""Supplier commands and events."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SupplierRegistered(Event):
    context = "suppliers"
    supplier_id: str
    code: str
    integration: str

    def subject(self) -> str:
        return self.supplier_id
