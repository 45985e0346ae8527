"""Tables of the bus: outbox, pending deliveries, inbox (consumer dedupe) and dead letters."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.db.metadata import Json, UtcDateTime, metadata

outbox = sa.Table(
    "bus_outbox",
    metadata,
    sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(200)),
    sa.Column("time", UtcDateTime(), nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("deliver_at", UtcDateTime(), nullable=False),
    sa.Column("relayed_at", UtcDateTime()),
    sa.Index(
        "ix_bus_outbox_pending",
        "deliver_at",
        "position",
        sqlite_where=sa.text("relayed_at IS NULL"),
        postgresql_where=sa.text("relayed_at IS NULL"),
    ),
)

deliveries = sa.Table(
    "bus_deliveries",
    metadata,
    sa.Column("consumer", sa.String(120), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("envelope", Json, nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("last_error", sa.Text()),
    sa.Index("ix_bus_deliveries_due", "next_attempt_at"),
)

inbox = sa.Table(
    "bus_inbox",
    metadata,
    sa.Column("consumer", sa.String(120), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("handled_at", UtcDateTime(), nullable=False),
)

dead_letters = sa.Table(
    "bus_dead_letters",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("consumer", sa.String(120), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("envelope", Json, nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text(), nullable=False),
    sa.Column("terminal", sa.Boolean(), nullable=False),
    sa.Column("failed_at", UtcDateTime(), nullable=False),
    sa.Column("replayed_at", UtcDateTime()),
    sa.Index("ix_bus_dead_letters_open", "failed_at"),
)
