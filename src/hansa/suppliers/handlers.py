"""Supplier use cases."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import Conflict, InvalidData
from hansa.kernel.ids import new_id
from hansa.kernel.money import is_currency
from hansa.suppliers import store
from hansa.suppliers.messages import RegisterSupplier, SupplierRegistered
from hansa.suppliers.model import IntegrationLevel, Supplier, validate_supplier


def register_supplier(cmd: RegisterSupplier, uow: UnitOfWork) -> str:
    try:
        level = IntegrationLevel(cmd.integration)
    except ValueError:
        raise InvalidData(f"integration must be csv, edi or api; got {cmd.integration!r}",
                          code="invalid_integration") from None
    if not is_currency(cmd.currency):
        raise InvalidData(f"unknown currency {cmd.currency!r}", code="invalid_currency")
    supplier = Supplier(id=cmd.supplier_id or new_id(), code=cmd.code.upper(), name=cmd.name,
                        country=cmd.country.upper(), currency=cmd.currency,
                        integration=level, lead_time_hours=cmd.lead_time_hours)
    validate_supplier(supplier)
    if uow.conn.execute(sa.select(store.suppliers.c.id)
                        .where(store.suppliers.c.code == supplier.code)).first():
        raise Conflict(f"supplier code {supplier.code} is taken", code="supplier_code_taken")
    uow.conn.execute(store.suppliers.insert().values(
        id=supplier.id, code=supplier.code, name=supplier.name, country=supplier.country,
        currency=supplier.currency, integration=level.value,
        lead_time_hours=supplier.lead_time_hours, created_at=uow.now()))
    uow.record(SupplierRegistered(supplier_id=supplier.id, code=supplier.code,
                                  integration=level.value))
    return supplier.id
