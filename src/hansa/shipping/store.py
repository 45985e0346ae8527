"""Shipping tables: carriers (services, rate cards, contract) and checkout rules."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.decoded import as_text
from hansa.db.metadata import Json, UtcDateTime, metadata

carriers = sa.Table(
    "shipping_carriers",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("doc", Json, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

checkout_rules = sa.Table(
    "shipping_checkout_rules",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("condition", sa.Text(), nullable=False),
    sa.Column("option", Json, nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


_CARRIER_TEXTS = sa.select(as_text(carriers.c.doc)).order_by(carriers.c.code)


def carrier_texts(conn: Connection) -> list[str]:
    """The carriers' documents as JSON text, by code (see `hansa.db.decoded`)."""
    return list(conn.scalars(_CARRIER_TEXTS))


def upsert(conn: Connection, table: sa.Table, key: str, values: dict[str, Any]) -> None:
    """Insert or replace the row whose primary key column `key` matches."""
    column = table.c[key]
    done = conn.execute(table.update().where(column == values[key]).values(**values)).rowcount
    if not done:
        conn.execute(table.insert().values(**values))


def rule_rows(conn: Connection) -> list[sa.Row]:
    return list(conn.execute(sa.select(checkout_rules).where(checkout_rules.c.active.is_(True))
                             .order_by(checkout_rules.c.position, checkout_rules.c.name)))
