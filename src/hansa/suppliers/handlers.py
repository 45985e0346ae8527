"""Supplier use cases."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import Conflict, InvalidData
from hansa.kernel.ids import new_id
from hansa.kernel.money import is_currency
from hansa.suppliers import store, tabular
from hansa.suppliers.messages import (
    ConfigureSupplierApi,
    RegisterSupplier,
    SaveMappingProfile,
    SupplierRegistered,
)
from hansa.suppliers.model import IntegrationLevel, Supplier, validate_supplier
from hansa.suppliers.queries import supplier_by_code


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


def save_mapping_profile(cmd: SaveMappingProfile, uow: UnitOfWork) -> None:
    """Create or replace a supplier's named column-mapping profile."""
    supplier = supplier_by_code(uow.conn, cmd.supplier_code)
    try:
        tabular.validate_profile(cmd.spec)
    except (ValueError, LookupError) as exc:
        raise InvalidData(f"mapping profile: {exc}", code="invalid_profile") from None
    p = store.profiles
    uow.conn.execute(p.delete().where(p.c.supplier_id == supplier.id, p.c.name == cmd.name))
    uow.conn.execute(p.insert().values(supplier_id=supplier.id, name=cmd.name, spec=cmd.spec,
                                       updated_at=uow.now()))


def configure_supplier_api(cmd: ConfigureSupplierApi, uow: UnitOfWork) -> None:
    """Set the webhook secret (>= 16 characters) and the PO endpoint of an API supplier."""
    supplier = supplier_by_code(uow.conn, cmd.supplier_code)
    if len(cmd.secret) < 16:
        raise InvalidData("a webhook secret has at least 16 characters", code="weak_secret")
    s = store.secrets
    uow.conn.execute(s.delete().where(s.c.supplier_id == supplier.id))
    uow.conn.execute(s.insert().values(supplier_id=supplier.id, secret=cmd.secret,
                                       endpoint=cmd.endpoint, updated_at=uow.now()))
