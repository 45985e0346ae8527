"""Guard tables: breakers, kill switches, quarantined inputs, verdict log, detector samples,
and the recent changes a rate breaker counts."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.db.metadata import Json, UtcDateTime, metadata

breakers = sa.Table(
    "guards_breakers",
    metadata,
    sa.Column("name", sa.String(160), primary_key=True),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("opened_at", UtcDateTime()),
    sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
    sa.Column("trips", sa.Integer(), nullable=False),
    sa.Column("dry_run", sa.Boolean(), nullable=False, default=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

kill_switches = sa.Table(
    "guards_kill_switches",
    metadata,
    sa.Column("scope", sa.String(160), primary_key=True),
    sa.Column("engaged", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
)

quarantine = sa.Table(
    "guards_quarantine",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("source", sa.String(160), nullable=False),  # e.g. feed:SHENZHEN-WORKS
    sa.Column("subject_key", sa.String(160), nullable=False),  # e.g. the SKU
    sa.Column("field", sa.String(80), nullable=False),
    sa.Column("value", Json, nullable=False),  # the offending input, as received
    sa.Column("last_good", Json),  # the value kept in force
    sa.Column("payload", Json, nullable=False),  # what to apply if an operator approves
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("breaker", sa.String(160), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending, approved, rejected
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("decided_by", sa.String(120)),
    sa.Index("ix_guards_quarantine_status", "status", "created_at"),
)

verdicts = sa.Table(
    "guards_verdicts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("guard", sa.String(160), nullable=False),
    sa.Column("subject_key", sa.String(160), nullable=False),
    sa.Column("allowed", sa.Boolean(), nullable=False),
    sa.Column("dry_run", sa.Boolean(), nullable=False),
    sa.Column("detector", sa.String(60), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("details", Json, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_guards_verdicts_guard_at", "guard", "at"),
)

samples = sa.Table(
    "guards_samples",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("series", sa.String(200), nullable=False),  # e.g. price:USD-LIST:TEE-M
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_guards_samples_series", "series", "id"),
)

changes = sa.Table(
    "guards_changes",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("scope", sa.String(120), nullable=False),  # e.g. feed:ACME
    sa.Column("subject_key", sa.String(200), nullable=False),  # e.g. the SKU
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_guards_changes_scope_at", "scope", "at"),
)

outcomes = sa.Table(
    "guards_outcomes",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("scope", sa.String(120), nullable=False),  # the breaker's name
    sa.Column("ok", sa.Boolean(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_guards_outcomes_scope_at", "scope", "at"),
)
