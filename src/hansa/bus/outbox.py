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


def _pending(limit: int, *, skip_locked: bool) -> sa.Select[tuple[int]]:
    # Ordered by (deliver_at, position) so that the partial index on unrelayed rows serves
    # the query; ordering by position alone makes SQLite scan the whole table.
    query = (
        sa.select(outbox_table.c.position)
        .where(outbox_table.c.relayed_at.is_(None),
               outbox_table.c.deliver_at <= sa.bindparam("now"))
        .order_by(outbox_table.c.deliver_at, outbox_table.c.position)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if skip_locked else query


_CLAIMS: dict[tuple[int, bool], sa.Update] = {}


def claim_due(conn: Connection, now: datetime, limit: int, *, skip_locked: bool
              ) -> list[OutboxRow]:
    """Mark up to `limit` due, unrelayed rows relayed and return them, oldest first.

    One statement (UPDATE .. WHERE position IN (the due ones) RETURNING ..) on the caller's
    transaction: the caller hands the rows over before it commits, and a failed hand-over
    rolls the mark back with it. With `skip_locked` (PostgreSQL) two relays claim disjoint rows.
    """
    key = (limit, skip_locked)
    statement = _CLAIMS.get(key)
    if statement is None:
        statement = _CLAIMS[key] = (
            outbox_table.update()
            .where(outbox_table.c.position.in_(_pending(limit, skip_locked=skip_locked)
                                               .scalar_subquery()))
            .values(relayed_at=sa.bindparam("now"))
            .returning(outbox_table.c.position, outbox_table.c.event_id, outbox_table.c.type,
                       outbox_table.c.subject, outbox_table.c.time, outbox_table.c.data,
                       outbox_table.c.deliver_at)
        )
    rows = sorted(conn.execute(statement, {"now": now}), key=lambda r: (r[6], r[0]))
    return [
        OutboxRow(position=position, deliver_at=deliver_at,
                  envelope=Envelope(id=event_id, type=type_, subject=subject, time=time, data=data))
        for position, event_id, type_, subject, time, data, deliver_at in rows
    ]


_ANY_DUE = sa.select(outbox_table.c.position).where(
    outbox_table.c.relayed_at.is_(None), outbox_table.c.deliver_at <= sa.bindparam("now")
).limit(1)


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(_ANY_DUE, {"now": now}).first() is not None


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
