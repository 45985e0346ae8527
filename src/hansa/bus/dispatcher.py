"""Delivers one event to one consumer, exactly once in effect: inbox, retries, dead letters."""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hansa.bus.messagebus import Consumer, MessageBus
from hansa.bus.store import dead_letters, inbox
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.messages import Envelope

log = logging.getLogger(__name__)

# The inbox rows of a whole batch in one statement; the rows that come back are the new ones.
_MARK_SEEN = {
    name: insert(inbox).on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    .returning(inbox.c.consumer, inbox.c.event_id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_FORGET = inbox.delete().where(inbox.c.consumer == sa.bindparam("consumer"),
                               inbox.c.event_id == sa.bindparam("event_id"))


class Outcome(enum.Enum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff on the injected clock: base, base*factor, ... capped."""

    max_attempts: int = 3
    base: timedelta = timedelta(seconds=1)
    factor: int = 4
    cap: timedelta = timedelta(minutes=10)

    def delay(self, attempts: int) -> timedelta:
        return min(self.cap, self.base * (self.factor ** max(0, attempts - 1)))


TERMINAL_ERRORS: tuple[type[BaseException], ...] = (InvalidData, NotFound, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    error: str | None = None
    retry_at: datetime | None = None


class Dispatcher:
    """Runs a consumer's handler for an envelope inside one transaction with its inbox row."""

    def __init__(self, bus: MessageBus, policy: RetryPolicy | None = None) -> None:
        self.bus = bus
        self.policy = policy or RetryPolicy()

    def attempt(self, consumer: Consumer, envelope: Envelope, attempt_no: int) -> Attempt:
        """Try once in a transaction of its own. `attempt_no` counts from 1; the caller keeps
        the count durable."""
        with self.bus.uow() as uow:
            (result,) = self.attempt_in(uow, [(consumer, envelope, attempt_no)])
            uow.commit()
        return result

    def attempt_in(self, uow: UnitOfWork,
                   batch: Sequence[tuple[Consumer, Envelope, int]]) -> list[Attempt]:
        """Try each delivery of `batch` once inside `uow`, each in a savepoint of its own.

        The batch's inbox rows go first, in one statement: a delivery whose row was there
        already (handled before, or by another worker right now: its uncommitted row makes this
        insert wait for its commit), or that repeats an earlier one of the batch, is a duplicate
        and its handler never runs. A failing handler's writes and events are undone without
        touching the others, and its inbox row is taken back so that the retry runs; its retry
        or dead letter is decided here (a dead letter is written in `uow`). The caller commits:
        one transaction for a whole batch is what makes the embedded bus fast.
        """
        fresh = self._mark_seen(uow, batch)
        results: list[Attempt] = []
        for (consumer, envelope, attempt_no), new in zip(batch, fresh, strict=True):
            if not new:
                results.append(Attempt(Outcome.DUPLICATE))
                continue
            try:
                with uow.savepoint():
                    uow.delivering = envelope
                    consumer.handler(envelope.event(), uow)
                results.append(Attempt(Outcome.HANDLED))
            except Exception as exc:  # a consumer's failure must never kill the relay
                uow.delivering = None
                uow.conn.execute(_FORGET, {"consumer": consumer.name, "event_id": envelope.id})
                results.append(self._failed(uow, consumer, envelope, attempt_no, exc))
            finally:
                uow.delivering = None
        return results

    @staticmethod
    def _mark_seen(uow: UnitOfWork,
                   batch: Sequence[tuple[Consumer, Envelope, int]]) -> list[bool]:
        """Write the batch's inbox rows; for each delivery, whether it is the first of its kind
        (not in the inbox before, not repeated earlier in the batch)."""
        keys = [(consumer.name, envelope.id) for consumer, envelope, _ in batch]
        if not keys:  # an empty parameter list would run the insert once, without values
            return []
        unique = list(dict.fromkeys(keys))
        now = uow.now()
        written = {tuple(row) for row in uow.conn.execute(
            _MARK_SEEN[uow.conn.dialect.name],
            [{"consumer": c, "event_id": e, "handled_at": now} for c, e in unique])}
        fresh: list[bool] = []
        for key in keys:
            fresh.append(key in written)
            written.discard(key)  # a second copy in the same batch is a duplicate
        return fresh

    def _failed(self, uow: UnitOfWork, consumer: Consumer, envelope: Envelope, attempt_no: int,
                exc: Exception) -> Attempt:
        if consumer.on_failure is not None:
            self._tell(uow, consumer, envelope, exc)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        terminal = isinstance(exc, TERMINAL_ERRORS)
        if terminal or attempt_no >= self.policy.max_attempts:
            uow.conn.execute(dead_letters.insert().values(
                **self._dead_letter_row(consumer, envelope, attempt_no, error, terminal)))
            return Attempt(Outcome.DEAD, error)
        retry_at = self.bus.clock.now() + self.policy.delay(attempt_no)
        return Attempt(Outcome.RETRY, error, retry_at)

    @staticmethod
    def _tell(uow: UnitOfWork, consumer: Consumer, envelope: Envelope, exc: Exception) -> None:
        """The consumer's failure hook, in a savepoint: if the hook fails too, the retry or dead
        letter is still recorded."""
        assert consumer.on_failure is not None
        try:
            with uow.savepoint():
                consumer.on_failure(envelope.event(), exc, uow)
        except Exception:
            log.exception("failure hook of consumer %s failed for event %s", consumer.name,
                          envelope.id)

    def _dead_letter_row(self, consumer: Consumer, envelope: Envelope, attempts: int,
                         error: str, terminal: bool) -> dict[str, object]:
        return {"id": new_id(), "consumer": consumer.name, "event_id": envelope.id,
                "type": envelope.type, "envelope": envelope.to_json_dict(),
                "attempts": attempts, "error": error[:4000], "terminal": terminal,
                "failed_at": self.bus.clock.now()}

    def dead_letter(
        self, consumer: Consumer, envelope: Envelope, attempts: int, error: str, *, terminal: bool
    ) -> None:
        with self.bus.db.write() as conn:
            conn.execute(dead_letters.insert().values(
                **self._dead_letter_row(consumer, envelope, attempts, error, terminal)))
            conn.commit()
