"""Returns tables: RMAs and their inspected lines (the returns ledger)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.metadata import Json, UtcDateTime, metadata

rmas = sa.Table(
    "logistics_returns",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("shipment_id", sa.String(64), nullable=False, index=True),
    sa.Column("status", sa.String(12), nullable=False),  # authorised, received
    sa.Column("lines", Json, nullable=False),
    sa.Column("condition", sa.String(12), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("resolution", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("label_reference", sa.String(40), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime()),
    sa.Column("location_id", sa.String(36)),
    sa.Column("amount", sa.BigInteger()),
    sa.Column("currency", sa.String(3)),
)

return_lines = sa.Table(
    "logistics_return_lines",
    metadata,
    sa.Column("rma_id", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("outcome", sa.String(12), primary_key=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
)


def rma(conn: Connection, rma_id: str, *, lock: bool = False) -> Any:
    query = sa.select(rmas).where(rmas.c.id == rma_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def returned_so_far(conn: Connection, shipment_id: str) -> dict[str, int]:
    """Units already asked back per SKU (authorised or received)."""
    totals: dict[str, int] = {}
    for row in conn.execute(sa.select(rmas.c.lines).where(rmas.c.shipment_id == shipment_id)):
        for sku, quantity in row.lines:
            totals[sku] = totals.get(sku, 0) + int(quantity)
    return totals


def rows(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(rmas).order_by(rmas.c.requested_at, rmas.c.id)
    if status is not None:
        query = query.where(rmas.c.status == status)
    return [dict(r._mapping) for r in conn.execute(query)]
