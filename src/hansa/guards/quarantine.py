"""Quarantine: inputs a guard refused, kept with their reason until an operator decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards.store import quarantine
from hansa.kernel.errors import Conflict, NotFound
from hansa.kernel.ids import new_id


@dataclass(frozen=True, slots=True)
class Quarantined:
    id: str
    source: str
    subject_key: str
    field: str
    value: Any
    last_good: Any
    payload: dict[str, Any]
    reason: str
    breaker: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


def _view(r: sa.Row) -> Quarantined:
    return Quarantined(r.id, r.source, r.subject_key, r.field, r.value, r.last_good, r.payload,
                       r.reason, r.breaker, r.status, r.created_at, r.decided_at, r.decided_by)


def put(conn: Connection, *, source: str, subject_key: str, field: str, value: Any,
        last_good: Any, payload: dict[str, Any], reason: str, breaker: str,
        at: datetime) -> str:
    quarantine_id = new_id()
    conn.execute(quarantine.insert().values(
        id=quarantine_id, source=source, subject_key=subject_key, field=field, value=value,
        last_good=last_good, payload=payload, reason=reason, breaker=breaker,
        status="pending", created_at=at))
    return quarantine_id


def get(conn: Connection, quarantine_id: str) -> Quarantined:
    row = conn.execute(sa.select(quarantine).where(quarantine.c.id == quarantine_id)).first()
    if row is None:
        raise NotFound(f"no quarantined input {quarantine_id}", code="quarantine_not_found")
    return _view(row)


def take_pending(conn: Connection, quarantine_id: str) -> Quarantined:
    """The pending entry, locked for the decision; Conflict if it was decided already."""
    query = sa.select(quarantine).where(quarantine.c.id == quarantine_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no quarantined input {quarantine_id}", code="quarantine_not_found")
    if row.status != "pending":
        raise Conflict(f"quarantined input {quarantine_id} was already {row.status}",
                       code="quarantine_decided")
    return _view(row)


def decide(conn: Connection, quarantine_id: str, status: str, actor: str, at: datetime) -> None:
    conn.execute(quarantine.update().where(quarantine.c.id == quarantine_id)
                 .values(status=status, decided_at=at, decided_by=actor))


def entries(conn: Connection, *, status: str | None = "pending",
            limit: int = 100) -> list[Quarantined]:
    query = sa.select(quarantine).order_by(quarantine.c.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(quarantine.c.status == status)
    return [_view(r) for r in conn.execute(query)]
