"""Logistics tables: shipments, scans, learned scan gaps, incidents, policies, lane outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from hansa.db.metadata import Json, UtcDateTime, metadata
from hansa.logistics.model import (
    ExceptionPolicy,
    GapStats,
    TrackingStatus,
    ValueBand,
    default_policy,
)

shipments = sa.Table(
    "logistics_shipments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), nullable=False, index=True),
    sa.Column("customer", sa.String(320), nullable=False),
    sa.Column("merchant", sa.String(64), nullable=False),
    sa.Column("origin_location_id", sa.String(36), nullable=False),
    sa.Column("carrier", sa.String(40), nullable=False),
    sa.Column("service", sa.String(40), nullable=False),
    sa.Column("tracking_code", sa.String(64), nullable=False),
    sa.Column("destination_postal_code", sa.String(16), nullable=False),
    sa.Column("destination_country", sa.String(2), nullable=False),
    sa.Column("promised_date", sa.Date(), nullable=False),
    sa.Column("lines", Json, nullable=False),
    sa.Column("value_minor", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("lane", sa.String(80), nullable=False),
    sa.Column("registered_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("substatus", sa.String(64), nullable=False),
    sa.Column("status_at", UtcDateTime()),  # carrier time of the current scan
    sa.Column("last_city", sa.String(120), nullable=False),
    sa.Column("last_postal_code", sa.String(16), nullable=False),
    sa.Column("last_country", sa.String(3), nullable=False),
    sa.Column("last_lat", sa.Float()),
    sa.Column("last_lon", sa.Float()),
    sa.Column("seq", sa.Integer(), nullable=False),  # newer scans applied so far
    sa.Column("expected_by", UtcDateTime()),
    sa.Column("delivered_at", UtcDateTime()),
    sa.Column("stopped_at", UtcDateTime()),  # tracking stopped: the shipment never left
    sa.Index("ix_logistics_shipments_code", "carrier", "tracking_code", "registered_at"),
)

scans = sa.Table(
    "logistics_scans",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("shipment_id", sa.String(64), nullable=False),
    sa.Column("scan_key", sa.String(32), nullable=False),
    sa.Column("provider", sa.String(24), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("substatus", sa.String(64), nullable=False),
    sa.Column("message", sa.String(300), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("city", sa.String(120), nullable=False),
    sa.Column("postal_code", sa.String(16), nullable=False),
    sa.Column("country", sa.String(3), nullable=False),
    sa.Column("lat", sa.Float()),
    sa.Column("lon", sa.Float()),
    sa.UniqueConstraint("shipment_id", "scan_key"),
)

gap_stats = sa.Table(
    "logistics_gap_stats",
    metadata,
    sa.Column("carrier", sa.String(40), primary_key=True),
    sa.Column("service", sa.String(40), primary_key=True),
    sa.Column("lane", sa.String(80), primary_key=True),
    sa.Column("status", sa.String(24), primary_key=True),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("mean", sa.Float(), nullable=False),
    sa.Column("m2", sa.Float(), nullable=False),
)

incidents = sa.Table(
    "logistics_incidents",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),  # inc-<shipment id (64)>-<scan seq>
    sa.Column("shipment_id", sa.String(64), nullable=False, index=True),
    sa.Column("status", sa.String(12), nullable=False),  # open, recovered, released, resolved
    sa.Column("expected_by", UtcDateTime(), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("release_at", UtcDateTime(), nullable=False),
    sa.Column("credit_minor", sa.BigInteger(), nullable=False),
    sa.Column("run_key", sa.String(80)),  # the automation step key of the run acting on it
    sa.Column("reship_status", sa.String(12), nullable=False),  # none reserved cancelled released
    sa.Column("reship_location_id", sa.String(36)),
    sa.Column("reship_meets_promise", sa.Boolean()),
    sa.Column("recovered_at", UtcDateTime()),
    sa.Column("released_at", UtcDateTime()),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("outcome", sa.String(12)),  # return, write_off (both parcels arrived)
)

policies = sa.Table(
    "logistics_policies",
    metadata,
    sa.Column("merchant", sa.String(64), primary_key=True),
    sa.Column("bands", Json, nullable=False),  # [[max value minor, hours], ...]
    sa.Column("credit_basis_points", sa.Integer(), nullable=False),
    sa.Column("credit_min_minor", sa.BigInteger(), nullable=False),
    sa.Column("credit_max_minor", sa.BigInteger(), nullable=False),
    sa.Column("write_off_below_minor", sa.BigInteger(), nullable=False),
)


def _locked(conn: Connection, query: sa.Select[Any]) -> sa.Select[Any]:
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


# The statements of every scan are built once: SQLAlchemy then skips constructing them and
# computing their cache keys per call, most of its per-statement cost.
_SHIPMENT = sa.select(shipments).where(shipments.c.id == sa.bindparam("id"))
_SHIPMENT_LOCKED = _SHIPMENT.with_for_update()
_SHIPMENTS_BY_CODE = (sa.select(shipments.c.id, shipments.c.registered_at)
                      .where(shipments.c.carrier == sa.bindparam("carrier"),
                             shipments.c.tracking_code == sa.bindparam("code"))
                      .order_by(shipments.c.registered_at.desc()))
_SCAN_KEYS = sa.select(scans.c.scan_key).where(scans.c.shipment_id == sa.bindparam("id"))
_GAP_KEY = ("carrier", "service", "lane", "status")
_GAP = sa.select(gap_stats).where(*(gap_stats.c[k] == sa.bindparam(f"k_{k}") for k in _GAP_KEY))
_x = sa.bindparam("hours", type_=sa.Float())
_mean = gap_stats.c.mean + (_x - gap_stats.c.mean) / (gap_stats.c["count"] + 1)
_ADD_GAP = gap_stats.update().where(
    *(gap_stats.c[k] == sa.bindparam(f"k_{k}") for k in _GAP_KEY)).values(
    {gap_stats.c["count"]: gap_stats.c["count"] + 1, gap_stats.c.mean: _mean,
     gap_stats.c.m2: gap_stats.c.m2 + (_x - gap_stats.c.mean) * (_x - _mean)})
_LIVE_INCIDENT = (sa.select(incidents)
                  .where(incidents.c.shipment_id == sa.bindparam("id"),
                         incidents.c.status.in_(("open", "recovered", "released")))
                  .order_by(incidents.c.opened_at.desc()))


def shipment(conn: Connection, shipment_id: str, *, lock: bool = False) -> Any:
    locked = lock and conn.dialect.name == "postgresql"
    return conn.execute(_SHIPMENT_LOCKED if locked else _SHIPMENT, {"id": shipment_id}).first()


def shipments_by_code(conn: Connection, carrier: str, code: str) -> list[Any]:
    """Every shipment that used this tracking code, newest registration first."""
    return list(conn.execute(_SHIPMENTS_BY_CODE, {"carrier": carrier, "code": code}))


_UPDATE_SHIPMENT = shipments.update().where(shipments.c.id == sa.bindparam("k_id"))
_UPDATE_INCIDENT = incidents.update().where(incidents.c.id == sa.bindparam("k_id"))


def update_shipment(conn: Connection, shipment_id: str, **values: Any) -> None:
    """Set the given columns (the SET clause follows the parameters' names)."""
    conn.execute(_UPDATE_SHIPMENT, {"k_id": shipment_id, **values})


def scan_known(conn: Connection, shipment_id: str, key: str) -> bool:
    return conn.execute(sa.select(scans.c.id).where(scans.c.shipment_id == shipment_id,
                                                    scans.c.scan_key == key)).first() is not None


def gap(conn: Connection, carrier: str, service: str, lane: str,
        status: TrackingStatus) -> GapStats | None:
    row = conn.execute(_GAP, {"k_carrier": carrier, "k_service": service, "k_lane": lane,
                              "k_status": status.value}).first()
    if row is None or row._mapping["count"] == 0:
        return None
    return GapStats(row._mapping["count"], row.mean, row.m2)


def add_gap(conn: Connection, carrier: str, service: str, lane: str, status: TrackingStatus,
            hours: float) -> None:
    """Fold one observed gap into the key's running mean and variance (Welford), atomically:
    concurrent scans of one lane never lose an update."""
    key = {"carrier": carrier, "service": service, "lane": lane, "status": status.value}
    params = {f"k_{k}": v for k, v in key.items()} | {"hours": hours}
    if conn.execute(_ADD_GAP, params).rowcount:
        return
    insert = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(gap_stats)
    conn.execute(insert.values(**key, count=0, mean=0.0, m2=0.0).on_conflict_do_nothing())
    conn.execute(_ADD_GAP, params)


def scan_keys(conn: Connection, shipment_id: str) -> set[str]:
    return set(conn.execute(_SCAN_KEYS, {"id": shipment_id}).scalars())


def incident(conn: Connection, incident_id: str, *, lock: bool = False) -> Any:
    query = sa.select(incidents).where(incidents.c.id == incident_id)
    return conn.execute(_locked(conn, query) if lock else query).first()


def live_incident(conn: Connection, shipment_id: str) -> Any:
    """The shipment's incident that is not settled yet (open, recovered or released)."""
    return conn.execute(_LIVE_INCIDENT, {"id": shipment_id}).first()


def update_incident(conn: Connection, incident_id: str, **values: Any) -> None:
    conn.execute(_UPDATE_INCIDENT, {"k_id": incident_id, **values})


def policy(conn: Connection, merchant: str) -> ExceptionPolicy:
    row = conn.execute(sa.select(policies).where(policies.c.merchant == merchant)).first()
    if row is None:
        return default_policy(merchant)
    return ExceptionPolicy(
        merchant=merchant,
        bands=tuple(ValueBand(int(v), timedelta(hours=float(h))) for v, h in row.bands),
        credit_basis_points=row.credit_basis_points, credit_min_minor=row.credit_min_minor,
        credit_max_minor=row.credit_max_minor, write_off_below_minor=row.write_off_below_minor)

