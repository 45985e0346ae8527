"""Listing and replaying dead letters: nothing a consumer failed on is ever dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from hansa.bus import deliveries
from hansa.bus.messagebus import MessageBus
from hansa.bus.store import dead_letters, inbox
from hansa.kernel.errors import Conflict, NotFound
from hansa.kernel.messages import Envelope


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str
    consumer: str
    event_id: str
    type: str
    attempts: int
    error: str
    terminal: bool
    failed_at: datetime
    replayed_at: datetime | None


def list_dead_letters(bus: MessageBus, *, include_replayed: bool = False,
                      limit: int = 100) -> list[DeadLetter]:
    query = sa.select(dead_letters).order_by(dead_letters.c.failed_at.desc()).limit(limit)
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    with bus.db.read() as conn:
        return [
            DeadLetter(
                id=r.id, consumer=r.consumer, event_id=r.event_id, type=r.type,
                attempts=r.attempts, error=r.error, terminal=r.terminal,
                failed_at=r.failed_at, replayed_at=r.replayed_at,
            )
            for r in conn.execute(query)
        ]


def replay(bus: MessageBus, dead_letter_id: str) -> None:
    """Queue the event for its consumer again (after the cause is fixed)."""
    now = bus.clock.now()
    with bus.db.write() as conn:
        row = conn.execute(
            sa.select(dead_letters).where(dead_letters.c.id == dead_letter_id)
        ).first()
        if row is None:
            raise NotFound(f"no dead letter {dead_letter_id}")
        if row.replayed_at is not None:
            raise Conflict(f"dead letter {dead_letter_id} was already replayed")
        already = conn.execute(
            sa.select(inbox.c.event_id).where(
                inbox.c.consumer == row.consumer, inbox.c.event_id == row.event_id
            )
        ).first()
        if already is None:
            bus.consumer(row.consumer)  # fails clearly if the consumer no longer exists
            deliveries.enqueue(conn, [row.consumer], Envelope.from_json_dict(row.envelope), now)
        conn.execute(
            dead_letters.update().where(dead_letters.c.id == dead_letter_id).values(replayed_at=now)
        )
        conn.commit()
