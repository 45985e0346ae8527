"""The transactional outbox: events written with the state change, relayed after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.bus.store import outbox as outbox_table
from hansa.kernel.clock import utc
from hansa.kernel.messages import Envelope, Event


@dataclass(frozen=True, slots=True)
class OutboxRow:
    position: int
    envelope: Envelope
    deliver_at: datetime


def append(
    conn: Connection, pending: Sequence[tuple[Event, datetime | None]], now: datetime
) -> list[Envelope]:
    """Write events into the outbox on the caller's transaction; returns their envelopes."""
    if not pending:
        return []
    envelopes = [Envelope.wrap(event, now) for event, _ in pending]
    conn.execute(
        outbox_table.insert(),
        [
            {
                "event_id": env.id,
                "type": env.type,
                "subject": env.subject,
                "time": env.time,
                "data": env.data,
                "deliver_at": utc(deliver_at) if deliver_at else now,
            }
            for env, (_, deliver_at) in zip(envelopes, pending, strict=True)
        ],
    )
    return envelopes


def due(conn: Connection, now: datetime, limit: int, *, skip_locked: bool) -> list[OutboxRow]:
    """Unrelayed rows whose time has come, oldest first."""
    # Ordered by (deliver_at, position) so that the partial index on unrelayed rows serves
    # the query; ordering by position alone makes SQLite scan the whole table.
    query = (
        sa.select(outbox_table)
        .where(outbox_table.c.relayed_at.is_(None), outbox_table.c.deliver_at <= now)
        .order_by(outbox_table.c.deliver_at, outbox_table.c.position)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return [
        OutboxRow(
            position=row.position,
            deliver_at=row.deliver_at,
            envelope=Envelope(
                id=row.event_id, type=row.type, subject=row.subject, time=row.time, data=row.data
            ),
        )
        for row in conn.execute(query)
    ]


_ANY_DUE = sa.select(outbox_table.c.position).where(
    outbox_table.c.relayed_at.is_(None), outbox_table.c.deliver_at <= sa.bindparam("now")
).limit(1)


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(_ANY_DUE, {"now": now}).first() is not None


def mark_relayed(conn: Connection, positions: Sequence[int], now: datetime) -> None:
    conn.execute(
        outbox_table.update()
        .where(outbox_table.c.position.in_(list(positions)))
        .values(relayed_at=now)
    )


def next_due_at(conn: Connection) -> datetime | None:
    """When the earliest unrelayed message falls due (timers in the future included)."""
    return conn.execute(
        sa.select(sa.func.min(outbox_table.c.deliver_at)).where(outbox_table.c.relayed_at.is_(None))
    ).scalar_one_or_none()


def pending_count(conn: Connection) -> int:
    return conn.execute(
        sa.select(sa.func.count()).where(outbox_table.c.relayed_at.is_(None))
    ).scalar_one()


def last_position(conn: Connection) -> int:
    """The newest outbox position: a cheap change stamp for read-model caches."""
    return conn.execute(sa.select(sa.func.max(outbox_table.c.position))).scalar_one_or_none() or 0
