"""Support tables: tickets (the built-in helpdesk), customer messages, store-credit ledger."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.metadata import UtcDateTime, metadata

tickets = sa.Table(
    "support_tickets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(120), nullable=False, index=True),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("customer", sa.String(320), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
)

messages = sa.Table(
    "support_messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(120), nullable=False, index=True),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # queued, sent
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("queued_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("transport", sa.String(40)),
)

credit_entries = sa.Table(
    "support_credit_entries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer", sa.String(320), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("amount", sa.BigInteger(), nullable=False),  # signed minor units
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reference", sa.String(120), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
    sa.Column("at", UtcDateTime(), nullable=False),
)


def id_by_key(conn: Connection, table: sa.Table, key: str) -> str | None:
    found: str | None = conn.execute(sa.select(table.c.id)
                                     .where(table.c.idempotency_key == key)).scalar()
    return found


def credit_rows(conn: Connection, customer: str, currency: str | None = None) -> list[Any]:
    query = sa.select(credit_entries).where(credit_entries.c.customer == customer)
    if currency is not None:
        query = query.where(credit_entries.c.currency == currency)
    return list(conn.execute(query.order_by(credit_entries.c.at, credit_entries.c.id)))
