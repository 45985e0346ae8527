"""Inventory tables: locations, levels (a projection of the ledger), the ledger, reservations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from hansa.db.metadata import UtcDateTime, metadata
from hansa.inventory.model import EntryKind, Location, LocationKind, StockLevel, apply, deltas
from hansa.kernel.errors import Conflict
from hansa.kernel.geo import Position

locations = sa.Table(
    "inventory_locations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("lat", sa.Float(), nullable=False),
    sa.Column("lon", sa.Float(), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("postal_code", sa.String(16), nullable=False),
    sa.Column("service_radius_km", sa.Float(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, default=True),
)

levels = sa.Table(
    "inventory_levels",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("location_id", sa.String(36), sa.ForeignKey("inventory_locations.id"),
              primary_key=True),
    sa.Column("on_hand", sa.Integer(), nullable=False),
    sa.Column("reserved", sa.Integer(), nullable=False),
    sa.CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
)

ledger = sa.Table(
    "inventory_ledger",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("location_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("on_hand_delta", sa.Integer(), nullable=False),
    sa.Column("reserved_delta", sa.Integer(), nullable=False),
    sa.Column("reference", sa.String(120), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_inventory_ledger_sku_location", "sku", "location_id"),
)

reservations = sa.Table(
    "inventory_reservations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(120), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("location_id", sa.String(36), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # active, released, expired, picked
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_inventory_reservations_expiry", "status", "expires_at"),
    # an order's holds are read by reference and status: with the reference alone indexed,
    # SQLite (no statistics) took the status index and read every active hold
    sa.Index("ix_inventory_reservations_reference_status", "reference", "status"),
)

transfers = sa.Table(
    "inventory_transfers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("from_location_id", sa.String(36), nullable=False),
    sa.Column("to_location_id", sa.String(36), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # in_transit, received
    sa.Column("dispatched_at", UtcDateTime(), nullable=False),
    sa.Column("expected_at", UtcDateTime()),  # when the sender expects it to land
    sa.Column("received_at", UtcDateTime()),
)


# repository -------------------------------------------------------------------------------
_NEW_LEVEL = {  # the level row a receipt starts from, built once per dialect
    "postgresql": pg_insert(levels).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(levels).on_conflict_do_nothing(),
}


def level(conn: Connection, sku: str, location_id: str) -> StockLevel:
    row = conn.execute(
        sa.select(levels).where(levels.c.sku == sku, levels.c.location_id == location_id)
    ).first()
    if row is None:
        return StockLevel(sku, location_id, 0, 0)
    return StockLevel(row.sku, row.location_id, row.on_hand, row.reserved)


# Statements on the checkout path are built once: SQLAlchemy then skips constructing them and
# computing their cache keys on every call, which is most of its per-statement cost.
_LEVELS_OF = (
    sa.select(levels)
    .where(levels.c.sku.in_(sa.bindparam("skus", expanding=True)))
    .order_by(levels.c.sku, levels.c.location_id)
)
_MOVE_LEVEL = (
    levels.update()
    .where(
        levels.c.sku == sa.bindparam("k_sku"),
        levels.c.location_id == sa.bindparam("k_location"),
        levels.c.on_hand + sa.bindparam("d_on_hand")
        >= levels.c.reserved + sa.bindparam("d_reserved"),
        levels.c.reserved + sa.bindparam("d_reserved") >= 0,
    )
    .values(on_hand=levels.c.on_hand + sa.bindparam("d_on_hand"),
            reserved=levels.c.reserved + sa.bindparam("d_reserved"))
    .returning(levels.c.on_hand, levels.c.reserved)
)
_APPEND_LEDGER = ledger.insert()
_ACTIVE_RESERVATIONS = (
    sa.select(reservations)
    .where(reservations.c.reference == sa.bindparam("reference"), reservations.c.status == "active")
    .order_by(reservations.c.sku, reservations.c.location_id)
)
_ACTIVE_RESERVATIONS_LOCKED = _ACTIVE_RESERVATIONS.with_for_update()
_ALL_LOCATIONS = sa.select(locations).order_by(locations.c.code)
_LOCATIONS_BY_ID = _ALL_LOCATIONS.where(locations.c.id.in_(sa.bindparam("ids", expanding=True)))
_CLEAR_EXPIRY = (reservations.update()
                 .where(reservations.c.id.in_(sa.bindparam("ids", expanding=True)))
                 .values(expires_at=None))
_SET_RESERVATION_STATUS = (reservations.update()
                           .where(reservations.c.id.in_(sa.bindparam("ids", expanding=True)))
                           .values(status=sa.bindparam("status")))


def levels_of(conn: Connection, skus: Iterable[str]) -> list[StockLevel]:
    rows = conn.execute(_LEVELS_OF, {"skus": list(skus)})
    return [StockLevel(r.sku, r.location_id, r.on_hand, r.reserved) for r in rows]


def post(conn: Connection, sku: str, location_id: str, kind: EntryKind, quantity: int,
         reference: str, at: datetime) -> StockLevel:
    """Append a ledger entry and move the level with one conditional update.

    The WHERE clause re-checks the invariant against the row as it is at update time, so
    concurrent writers (PostgreSQL row locks, SQLite's single writer) can never oversell.
    """
    d_on_hand, d_reserved = deltas(kind, quantity)
    if d_on_hand > 0:
        conn.execute(_NEW_LEVEL[conn.dialect.name], {"sku": sku, "location_id": location_id,
                                                      "on_hand": 0, "reserved": 0})
    row = conn.execute(_MOVE_LEVEL, {"k_sku": sku, "k_location": location_id,
                                     "d_on_hand": d_on_hand, "d_reserved": d_reserved}).first()
    if row is None:
        apply(level(conn, sku, location_id), kind, quantity)  # raises the precise Conflict
        raise Conflict(f"{sku}@{location_id}: {kind.value} of {quantity} refused",
                       code="insufficient_stock")
    conn.execute(_APPEND_LEDGER, {
        "sku": sku, "location_id": location_id, "kind": kind.value, "quantity": quantity,
        "on_hand_delta": d_on_hand, "reserved_delta": d_reserved, "reference": reference,
        "at": at,
    })
    return StockLevel(sku, location_id, row.on_hand, row.reserved)


def location_rows(conn: Connection, ids: Iterable[str] | None = None) -> list[Location]:
    rows = (conn.execute(_ALL_LOCATIONS) if ids is None
            else conn.execute(_LOCATIONS_BY_ID, {"ids": list(ids)}))
    return [
        Location(id=r.id, code=r.code, name=r.name, kind=LocationKind(r.kind),
                 position=Position(r.lat, r.lon), country=r.country, postal_code=r.postal_code,
                 service_radius_km=r.service_radius_km, active=r.active)
        for r in rows
    ]


_ACTIVE_POSITIONS = (sa.select(locations.c.id, locations.c.lat, locations.c.lon)
                     .where(locations.c.active.is_(True)))


def active_positions(conn: Connection) -> dict[str, Position]:
    """Where each active location is: what a reservation plans with (read at every one)."""
    return {r.id: Position(r.lat, r.lon) for r in conn.execute(_ACTIVE_POSITIONS)}


def insert_location(conn: Connection, location: Location) -> None:
    conn.execute(locations.insert().values(
        id=location.id, code=location.code, name=location.name, kind=location.kind.value,
        lat=location.position.lat, lon=location.position.lon, country=location.country,
        postal_code=location.postal_code, service_radius_km=location.service_radius_km,
        active=location.active,
    ))


def active_reservations(conn: Connection, reference: str, *, lock: bool = False) -> list[sa.Row]:
    locked = lock and conn.dialect.name == "postgresql"
    query = _ACTIVE_RESERVATIONS_LOCKED if locked else _ACTIVE_RESERVATIONS
    return list(conn.execute(query, {"reference": reference}))


def clear_expiry(conn: Connection, ids: Iterable[str]) -> None:
    """Confirmed holds: they no longer expire."""
    conn.execute(_CLEAR_EXPIRY, {"ids": list(ids)})


def set_reservation_status(conn: Connection, ids: Iterable[str], status: str) -> None:
    conn.execute(_SET_RESERVATION_STATUS, {"ids": list(ids), "status": status})
