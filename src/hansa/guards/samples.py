"""Detector samples: the accepted values of a guarded series (e.g. price:<list>:<sku>)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards.store import samples

_RECENT = (sa.select(samples.c.value)
           .where(samples.c.series == sa.bindparam("series"))
           .order_by(samples.c.id.desc()).limit(sa.bindparam("limit")))
_NEWEST_ID = sa.select(sa.func.max(samples.c.id)).where(samples.c.series == sa.bindparam("series"))
_APPEND = samples.insert()


def price_series(price_list_id: str, sku: str) -> str:
    return f"price:{price_list_id}:{sku}"


def cost_series(sku: str) -> str:
    return f"cost:{sku}"


def recent(conn: Connection, series: str, limit: int) -> list[float]:
    """The newest `limit` accepted values of a series, oldest first."""
    values = list(conn.execute(_RECENT, {"series": series, "limit": limit}).scalars())
    values.reverse()
    return values


def newest_id(conn: Connection, series: str) -> int:
    """The position of the series' newest sample (0 when it has none): tells later from earlier."""
    return int(conn.execute(_NEWEST_ID, {"series": series}).scalar() or 0)


def record(conn: Connection, series: str, value: float, at: datetime) -> None:
    conn.execute(_APPEND, {"series": series, "value": value, "at": at})


def rebase(conn: Connection, series: str, value: float, at: datetime) -> None:
    """Restart a series from `value`: an operator said this is the new normal."""
    conn.execute(samples.delete().where(samples.c.series == series))
    record(conn, series, value, at)
