"""Pending deliveries in the database: per consumer and event, with attempts and next try time.

The in-process transport fans events out into this table; dead-letter replays land here too,
whatever the transport. Rows are leased before their handler runs, so several workers (or a
crash) never lose or double-apply one: the inbox dedupes a re-run after a lost lease.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from hansa.bus.dispatcher import Attempt, Dispatcher, Outcome
from hansa.bus.messagebus import MessageBus
from hansa.bus.store import deliveries, outbox
from hansa.kernel.messages import Envelope

LEASE = timedelta(seconds=60)  # the default; Settings.bus_lease_seconds sets it
# How long one delivery transaction may keep the writer (SQLite has one) before it commits.
TRANSACTION_BUDGET = 0.02
CHUNK = 8  # deliveries whose inbox rows are written together (the budget is checked between)


_ENQUEUE = {
    name: insert(deliveries).on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def enqueue(conn: Connection, consumer_names: Iterable[str], envelope: Envelope,
            at: datetime, *, attempts: int = 0, last_error: str | None = None) -> None:
    """Queue `envelope` for each consumer; a delivery already pending is kept as it is.

    A relay that crashes after its hand-off and before its commit hands the same event over
    again; like JetStream's message-id dedupe, the second hand-off must be a no-op, not an error.
    `attempts` carries over failures made elsewhere (a transport parking a retry here).
    """
    enqueue_many(conn, [(consumer_names, envelope, at)], attempts=attempts,
                 last_error=last_error)


def enqueue_many(conn: Connection,
                 items: Iterable[tuple[Iterable[str], Envelope, datetime]], *,
                 attempts: int = 0, last_error: str | None = None) -> None:
    """`enqueue` for many envelopes (consumers, envelope, due time) in one statement."""
    rows = [
        {
            "consumer": name,
            "event_id": envelope.id,
            "envelope": envelope.to_json_dict(),
            "attempts": attempts,
            "next_attempt_at": at,
            "last_error": last_error,
        }
        for names, envelope, at in items
        for name in names
    ]
    if rows:
        conn.execute(_ENQUEUE[conn.dialect.name], rows)


_DELETE = deliveries.delete().where(deliveries.c.consumer == sa.bindparam("c"),
                                    deliveries.c.event_id == sa.bindparam("e"))
_LEASE = (deliveries.update()
          .where(deliveries.c.consumer == sa.bindparam("c"),
                 deliveries.c.event_id == sa.bindparam("e"))
          .values(attempts=sa.bindparam("a"), next_attempt_at=sa.bindparam("until")))
_ANY_DUE = sa.select(deliveries.c.event_id).where(
    deliveries.c.next_attempt_at <= sa.bindparam("now")).limit(1)


class DeliveryWorker:
    """Drains due rows of `bus_deliveries` through the dispatcher."""

    def __init__(self, bus: MessageBus, dispatcher: Dispatcher, *,
                 lease: timedelta = LEASE) -> None:
        self.bus = bus
        self.dispatcher = dispatcher
        self.lease = lease

    def _any_due(self, now: datetime) -> bool:
        """A cheap read first, so an idle pass never queues for the writer."""
        with self.bus.db.read() as conn:
            return conn.execute(_ANY_DUE, {"now": now}).first() is not None

    def _claim(self, limit: int) -> list[sa.Row]:
        now = self.bus.clock.now()
        if not self._any_due(now):
            return []
        with self.bus.db.write() as conn:
            # Rows due at the same moment go in outbox order; without the position as tie-break
            # PostgreSQL returns them in physical order, which changes once space is reused.
            query = (
                sa.select(deliveries)
                .outerjoin(outbox, outbox.c.event_id == deliveries.c.event_id)
                .where(deliveries.c.next_attempt_at <= now)
                .order_by(deliveries.c.next_attempt_at, outbox.c.position)
                .limit(limit)
            )
            if not self.bus.db.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=deliveries)
            rows = list(conn.execute(query))
            if rows:
                conn.execute(_LEASE, [{"c": row.consumer, "e": row.event_id,
                                       "a": row.attempts + 1, "until": now + self.lease}
                                      for row in rows])
            conn.commit()
        return rows

    def deliver_once(self, limit: int = 100) -> int:
        """Claim up to `limit` due deliveries and run them, many per transaction."""
        rows = self._claim(limit)
        todo = list(rows)
        while todo:
            todo = self._deliver_some(todo)
        return len(rows)

    def _deliver_some(self, rows: list[sa.Row]) -> list[sa.Row]:
        """Run deliveries in one transaction (a savepoint each), `CHUNK` at a time (their
        inbox rows in one statement), until `TRANSACTION_BUDGET` is spent: one commit for many
        deliveries, without holding the writer lock for long. Returns the rows not run yet."""
        started = time.perf_counter()
        with self.bus.uow() as uow:
            ran: list[tuple[sa.Row, Attempt]] = []
            while len(ran) < len(rows):
                chunk = rows[len(ran):len(ran) + CHUNK]
                results = self.dispatcher.attempt_in(uow, [
                    (self.bus.consumer(row.consumer), Envelope.from_json_dict(row.envelope),
                     row.attempts + 1) for row in chunk])
                ran.extend(zip(chunk, results, strict=True))
                if time.perf_counter() - started > TRANSACTION_BUDGET:
                    break
            done = [{"c": row.consumer, "e": row.event_id}
                    for row, result in ran if result.outcome is not Outcome.RETRY]
            if done:
                uow.conn.execute(_DELETE, done)
            for row, result in ran:
                if result.outcome is Outcome.RETRY:
                    uow.conn.execute(deliveries.update().where(
                        deliveries.c.consumer == row.consumer,
                        deliveries.c.event_id == row.event_id,
                    ).values(next_attempt_at=result.retry_at, last_error=result.error))
            uow.commit()
        return rows[len(ran):]

    def pending(self) -> int:
        with self.bus.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(deliveries)).scalar_one()

    def next_due_at(self) -> datetime | None:
        with self.bus.db.read() as conn:
            return conn.execute(
                sa.select(sa.func.min(deliveries.c.next_attempt_at))
            ).scalar_one_or_none()
