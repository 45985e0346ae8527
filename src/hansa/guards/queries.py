"""Guard read side for the console, the API and the CLI."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards import breakers as breaker_store
from hansa.guards import killswitch, quarantine
from hansa.guards.model import Breaker
from hansa.guards.store import verdicts


def breakers(conn: Connection) -> list[Breaker]:
    return breaker_store.all_breakers(conn)


def kill_switches(conn: Connection) -> list[killswitch.KillSwitch]:
    return killswitch.switches(conn)


def quarantined(conn: Connection, *, status: str | None = "pending",
                limit: int = 100) -> list[quarantine.Quarantined]:
    return quarantine.entries(conn, status=status, limit=limit)


def quarantined_entry(conn: Connection, quarantine_id: str) -> quarantine.Quarantined:
    return quarantine.get(conn, quarantine_id)


def recent_verdicts(conn: Connection, *, guard: str | None = None,
                    limit: int = 100) -> list[dict[str, Any]]:
    query = sa.select(verdicts).order_by(verdicts.c.id.desc()).limit(limit)
    if guard is not None:
        query = query.where(verdicts.c.guard == guard)
    return [dict(r._mapping) for r in conn.execute(query)]
