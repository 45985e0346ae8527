"""Supplier read side."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.kernel.errors import NotFound
from hansa.suppliers import store
from hansa.suppliers.model import IntegrationLevel, Supplier


def suppliers(conn: Connection) -> list[Supplier]:
    rows = conn.execute(sa.select(store.suppliers).order_by(store.suppliers.c.code))
    return [Supplier(id=r.id, code=r.code, name=r.name, country=r.country, currency=r.currency,
                     integration=IntegrationLevel(r.integration),
                     lead_time_hours=r.lead_time_hours) for r in rows]


def supplier_by_code(conn: Connection, code: str) -> Supplier:
    """The supplier with this code; NotFound otherwise."""
    row = conn.execute(sa.select(store.suppliers)
                       .where(store.suppliers.c.code == code.strip().upper())).first()
    if row is None:
        raise NotFound(f"no supplier {code}", code="supplier_not_found")
    return Supplier(id=row.id, code=row.code, name=row.name, country=row.country,
                    currency=row.currency, integration=IntegrationLevel(row.integration),
                    lead_time_hours=row.lead_time_hours)


def supplier_items(conn: Connection, supplier_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The supplier's items with stock per site code, for the admin API and tests."""
    it, st, si = store.items, store.item_stock, store.sites
    rows = conn.execute(sa.select(it).where(it.c.supplier_id == supplier_id)
                        .order_by(it.c.supplier_sku).limit(limit)).all()
    stock: dict[str, dict[str, int]] = {}
    for r in conn.execute(sa.select(st.c.supplier_sku, si.c.code, st.c.quantity)
                          .join(si, si.c.id == st.c.site_id)
                          .where(st.c.supplier_id == supplier_id)):
        stock.setdefault(r.supplier_sku, {})[r.code] = r.quantity
    return [{"supplier_sku": r.supplier_sku, "sku": r.sku, "description": r.description,
             "cost": r.cost, "currency": r.currency, "lead_time_hours": r.lead_time_hours,
             "moq": r.moq, "case_pack": r.case_pack, "supply_model": r.supply_model,
             "components": r.components, "attributes": r.attributes,
             "stock": stock.get(r.supplier_sku, {})} for r in rows]


def api_secret(conn: Connection, supplier_id: str) -> str | None:
    """The supplier's webhook signing secret, if it has one."""
    return conn.execute(sa.select(store.secrets.c.secret)
                        .where(store.secrets.c.supplier_id == supplier_id)).scalar()


def sourcing_for(conn: Connection, sku: str) -> list[dict[str, Any]]:
    """Supplier items mapped to `sku`, cheapest first: supplier code, cost, currency, lead time
    in hours (the item's, else the supplier's), MOQ and case pack."""
    it, sp, sc = store.items, store.suppliers, store.schedule
    rows = conn.execute(sa.select(it.c.supplier_sku, it.c.cost, it.c.currency,
                                  it.c.lead_time_hours, it.c.moq, it.c.case_pack,
                                  it.c.supply_model, it.c.supplier_id,
                                  sp.c.code, sp.c.lead_time_hours.label("supplier_lead"),
                                  sp.c.currency.label("supplier_currency"))
                        .join(sp, sp.c.id == it.c.supplier_id)
                        .where(it.c.sku == sku.strip().upper())).all()
    slots: dict[tuple[str, str], list[list[Any]]] = {}
    if rows:
        for s in conn.execute(sa.select(sc).where(
                sc.c.supplier_id.in_({r.supplier_id for r in rows}),
                sc.c.supplier_sku.in_({r.supplier_sku for r in rows})).order_by(sc.c.day)):
            slots.setdefault((s.supplier_id, s.supplier_sku), []).append([s.day, s.quantity])
    found = [{"supplier_code": r.code, "supplier_sku": r.supplier_sku, "cost": r.cost,
              "currency": r.currency or r.supplier_currency,
              "lead_time_hours": r.lead_time_hours or r.supplier_lead,
              "moq": r.moq or 1, "case_pack": r.case_pack or 1,
              "supply_model": r.supply_model or "mts",
              "schedule": slots.get((r.supplier_id, r.supplier_sku), [])} for r in rows]
    return sorted(found, key=lambda f: (f["cost"] is None, f["cost"] or 0, f["supplier_code"]))


OPEN_PO_STATUSES = ("sent", "delivered", "received", "acknowledged", "changed")


def open_purchase_orders(conn: Connection, sku: str) -> list[dict[str, Any]]:
    """Purchase orders not yet shipped, invoiced or refused that have a line for `sku`,
    oldest first: number, supplier code, revision, status, lines [[sku, qty, cost, cur]]."""
    po, sp = store.purchase_orders, store.suppliers
    rows = conn.execute(sa.select(po, sp.c.code).join(sp, sp.c.id == po.c.supplier_id)
                        .where(po.c.status.in_(OPEN_PO_STATUSES)).order_by(po.c.sent_at))
    wanted = sku.strip().upper()
    return [{"po_number": r.po_number, "supplier_code": r.code, "revision": r.revision,
             "status": r.status, "lines": [list(x) for x in r.lines],
             "acknowledged_at": r.acknowledged_at, "ack_detail": r.ack_detail}
            for r in rows if any(line[0] == wanted for line in r.lines)]
