"""Supplier read side."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.suppliers import store
from hansa.suppliers.model import IntegrationLevel, Supplier


def suppliers(conn: Connection) -> list[Supplier]:
    rows = conn.execute(sa.select(store.suppliers).order_by(store.suppliers.c.code))
    return [Supplier(id=r.id, code=r.code, name=r.name, country=r.country, currency=r.currency,
                     integration=IntegrationLevel(r.integration),
                     lead_time_hours=r.lead_time_hours) for r in rows]
