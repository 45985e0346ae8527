"""Demand tables: raw signals (append-only), hourly velocities, baselines, weather alerts, spikes
and the replenishment actions the path took."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from hansa.db import bulk
from hansa.db.metadata import Json, UtcDateTime, metadata
from hansa.demand.model import Signal

signals = sa.Table(
    "demand_signals",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("item", sa.String(80), nullable=False),
    sa.Column("zone", sa.String(16), nullable=False),
    sa.Column("postal_code", sa.String(16), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("detail", Json, nullable=False),
    sa.Column("ingested_at", UtcDateTime(), nullable=False),
)

velocity = sa.Table(
    "demand_velocity",
    metadata,
    sa.Column("item", sa.String(80), primary_key=True),
    sa.Column("zone", sa.String(16), primary_key=True),
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("bucket", UtcDateTime(), primary_key=True),
    sa.Column("count", sa.BigInteger(), nullable=False),
    sa.Column("value_sum", sa.Float(), nullable=False),
)

baselines = sa.Table(
    "demand_baselines",
    metadata,
    sa.Column("item", sa.String(80), primary_key=True),
    sa.Column("zone", sa.String(16), primary_key=True),
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("rates", Json, nullable=False),  # 168 expected events per hour, by hour of week
    # the mean of `rates` as stored (read without decoding them: a category plan's weights)
    sa.Column("mean_rate", sa.Float(), nullable=False),
    sa.Column("sigma", sa.Float(), nullable=False),
    sa.Column("history_hours", sa.Integer(), nullable=False),
    sa.Column("holiday_factor", sa.Float(), nullable=False, server_default="1"),
    sa.Column("exposure", sa.Float(), nullable=False, server_default="1"),
    sa.Column("fitted_at", UtcDateTime(), nullable=False),
)

alerts = sa.Table(
    "demand_alerts",
    metadata,
    sa.Column("alert_id", sa.String(200), primary_key=True),
    sa.Column("event", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("onset", UtcDateTime(), nullable=False),
    sa.Column("expires", UtcDateTime(), nullable=False),
    sa.Column("evidence", Json, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

alert_cells = sa.Table(
    "demand_alert_cells",
    metadata,
    sa.Column("alert_id", sa.String(200), primary_key=True),
    sa.Column("zone", sa.String(16), primary_key=True, index=True),
)

zone_areas = sa.Table(
    "demand_zone_areas",
    metadata,
    sa.Column("code", sa.String(8), primary_key=True),  # NWS UGC (NYZ075) or SAME (036047)
    sa.Column("postal_codes", Json, nullable=False),
    sa.Column("geometry", Json),
    sa.Column("cells", Json, nullable=False),  # the h3 cells (resolution 5) the area covers
    sa.Column("loaded_at", UtcDateTime(), nullable=False),
)

spikes = sa.Table(
    "demand_spikes",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("item", sa.String(80), nullable=False),
    sa.Column("zone", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("postal_code", sa.String(16), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # open | closed
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("verdict", Json, nullable=False),
    sa.Column("evidence", Json, nullable=False),
    sa.Index("ix_demand_spikes_key", "item", "zone", "kind", "status"),
    # at most one open spike per key, also when two writers cross at once (PostgreSQL)
    sa.Index("uq_demand_spikes_open", "item", "zone", "kind", unique=True,
             sqlite_where=sa.text("status = 'open'"),
             postgresql_where=sa.text("status = 'open'")),
)

actions = sa.Table(
    "demand_po_actions",
    metadata,
    sa.Column("key", sa.String(120), primary_key=True),  # the step's idempotency key
    sa.Column("spike_id", sa.String(36), nullable=False, index=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("po_number", sa.String(32), nullable=False),
    sa.Column("action", sa.String(8), nullable=False),  # raise | create | blocked | reverted
    sa.Column("previous_lines", Json, nullable=False),
    sa.Column("new_lines", Json, nullable=False),
    sa.Column("value", sa.BigInteger(), nullable=False),  # minor units added to the PO
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
)


# repository -------------------------------------------------------------------------------
def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


_SIGNAL_COLUMNS = ("kind", "item", "zone", "postal_code", "country", "at", "value", "source",
                   "detail", "ingested_at")
_VELOCITY_COLUMNS = ("item", "zone", "kind", "bucket", "count", "value_sum")
_details = bulk.JsonCodec()


def append_signals(conn: Connection, batch: Iterable[Signal], at: datetime) -> int:
    """One row per signal, through the bulk writer (a batch has thousands of rows)."""
    stamp = _stamps(conn, signals.c.at)
    ingested = stamp(at)
    rows = [(s.kind.value, s.item, s.zone, s.postal_code, s.country, stamp(s.at), s.value,
             s.source, _details.encode(s.detail), ingested) for s in batch]
    bulk.insert_many(conn, signals, _SIGNAL_COLUMNS, rows)
    return len(rows)


def add_velocity(conn: Connection, counts: dict[tuple[str, str, str, datetime], tuple[int, float]]
                 ) -> None:
    """Add counts to hour buckets (insert or increment), in one statement per batch."""
    stamp = _stamps(conn, velocity.c.bucket)
    rows = [(i, z, k, stamp(b), c, v) for (i, z, k, b), (c, v) in sorted(counts.items())]
    bulk.upsert_many(conn, velocity, _VELOCITY_COLUMNS, _VELOCITY_COLUMNS[:4],
                     ("count", "value_sum"), rows)


def _stamps(conn: Connection, column: sa.Column[Any]) -> Callable[[datetime], Any]:
    """The column's bind processing, each distinct time processed once (a batch's signals
    share a few hours)."""
    process = bulk.binder(conn, column)
    done: dict[datetime, Any] = {}

    def stamp(at: datetime) -> Any:
        value = done.get(at)
        if value is None:
            value = done[at] = process(at)
        return value
    return stamp


def open_spike(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert an open spike unless its key has one already (another writer won): True if new."""
    stmt = _insert(conn)(spikes).values(**values).on_conflict_do_nothing(
        index_elements=["item", "zone", "kind"], index_where=sa.text("status = 'open'"))
    return bool(conn.execute(stmt).rowcount)


def upsert_alert(conn: Connection, alert_id: str, values: dict[str, Any],
                 cells: Iterable[str]) -> None:
    stmt = _insert(conn)(alerts).values(alert_id=alert_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["alert_id"], set_=values))
    conn.execute(alert_cells.delete().where(alert_cells.c.alert_id == alert_id))
    rows = [{"alert_id": alert_id, "zone": c} for c in sorted(set(cells))]
    if rows:
        conn.execute(alert_cells.insert(), rows)


def replace_baselines(conn: Connection, kind: str, rows: Iterable[dict[str, Any]]) -> None:
    """A full refit replaces every baseline of the kind; `rows` is read 2,000 at a time."""
    conn.execute(baselines.delete().where(baselines.c.kind == kind))
    it = iter(rows)
    while chunk := list(itertools.islice(it, 2000)):
        conn.execute(baselines.insert(), chunk)


def upsert_zone_areas(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = _insert(conn)(zone_areas)
    conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_={
        c: stmt.excluded[c] for c in ("postal_codes", "geometry", "cells", "loaded_at")}), rows)


def add_alert_cells(conn: Connection, alert_id: str, cells: Iterable[str]) -> int:
    """Add cells to an alert (those it has already are kept): the number added."""
    have = set(conn.execute(sa.select(alert_cells.c.zone)
                            .where(alert_cells.c.alert_id == alert_id)).scalars())
    rows = [{"alert_id": alert_id, "zone": c} for c in sorted(set(cells) - have)]
    if rows:
        conn.execute(alert_cells.insert(), rows)
    return len(rows)
