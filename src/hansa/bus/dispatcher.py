"""Delivers one event to one consumer, exactly once in effect: inbox, retries, dead letters."""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hansa.bus.messagebus import Consumer, MessageBus
from hansa.bus.store import dead_letters, inbox
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.messages import Envelope

log = logging.getLogger(__name__)

_MARK_SEEN = inbox.insert().values(consumer=sa.bindparam("consumer"),
                                   event_id=sa.bindparam("event_id"),
                                   handled_at=sa.bindparam("handled_at"))


class _Duplicate(Exception):
    """Raised inside the savepoint when the consumer has the event in its inbox already."""


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

        A failing handler's writes and events are undone without touching the others; its
        retry or dead letter is decided here (a dead letter is written in `uow`). The caller
        commits: one transaction for a whole batch is what makes the embedded bus fast.
        """
        results: list[Attempt] = []
        for consumer, envelope, attempt_no in batch:
            try:
                results.append(self._handle(uow, consumer, envelope))
            except Exception as exc:  # a consumer's failure must never kill the relay
                results.append(self._failed(uow, consumer, envelope, attempt_no, exc))
            finally:
                uow.delivering = None
        return results

    @staticmethod
    def _handle(uow: UnitOfWork, consumer: Consumer, envelope: Envelope) -> Attempt:
        """The inbox row first, then the handler, in one savepoint.

        A duplicate (handled before, or by another worker right now: its uncommitted inbox row
        makes this insert wait for its commit) fails the insert before the handler runs.
        """
        try:
            with uow.savepoint():
                try:
                    uow.conn.execute(_MARK_SEEN, {"consumer": consumer.name,
                                                  "event_id": envelope.id,
                                                  "handled_at": uow.now()})
                except IntegrityError:
                    raise _Duplicate from None
                uow.delivering = envelope
                consumer.handler(envelope.event(), uow)
        except _Duplicate:
            return Attempt(Outcome.DUPLICATE)
        return Attempt(Outcome.HANDLED)

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
