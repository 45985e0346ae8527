"""Fulfilment tables: nodes, allocations (the optimiser's plans), shipments, labels, messages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.decoded import as_text
from hansa.db.metadata import Json, UtcDateTime, metadata

nodes = sa.Table(
    "fulfillment_nodes",
    metadata,
    sa.Column("location_id", sa.String(36), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("doc", Json, nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

allocations = sa.Table(
    "fulfillment_allocations",
    metadata,
    sa.Column("order_id", sa.String(36), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # allocated | released | settled
    sa.Column("plan", Json, nullable=False),
    sa.Column("promised_date", sa.String(10), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

shipments = sa.Table(
    "fulfillment_shipments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("order_id", sa.String(36), nullable=False, index=True),
    sa.Column("location_id", sa.String(36), nullable=False),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("tracking_code", sa.String(40), nullable=False, unique=True),
    sa.Column("postal_code", sa.String(16), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("promised_date", sa.String(10), nullable=False),
    sa.Column("lines", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # created | cancelled | shipped
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

labels = sa.Table(
    "fulfillment_labels",
    metadata,
    sa.Column("shipment_id", sa.String(36), primary_key=True),
    sa.Column("pdf", sa.LargeBinary(), nullable=False),
    sa.Column("zpl", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active | voided
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

notifications = sa.Table(
    "fulfillment_notifications",
    metadata,
    sa.Column("shipment_id", sa.String(36), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
)


_ACTIVE_NODE_TEXTS = (sa.select(as_text(nodes.c.doc)).where(nodes.c.active.is_(True))
                      .order_by(nodes.c.code))


def active_node_texts(conn: Connection) -> list[str]:
    """The active nodes' documents as JSON text, by code (see `hansa.db.decoded`)."""
    return list(conn.scalars(_ACTIVE_NODE_TEXTS))


_ALLOCATION = sa.select(allocations).where(allocations.c.order_id == sa.bindparam("order_id"))


def allocation(conn: Connection, order_id: str) -> sa.Row | None:
    return conn.execute(_ALLOCATION, {"order_id": order_id}).first()


def shipments_of(conn: Connection, order_id: str, status: str | None = None) -> list[sa.Row]:
    query = sa.select(shipments).where(shipments.c.order_id == order_id)
    if status is not None:
        query = query.where(shipments.c.status == status)
    return list(conn.execute(query.order_by(shipments.c.tracking_code)))
