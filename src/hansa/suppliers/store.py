"""Supplier tables."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.db.metadata import UtcDateTime, metadata

suppliers = sa.Table(
    "suppliers_suppliers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("integration", sa.String(8), nullable=False),
    sa.Column("lead_time_hours", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)
