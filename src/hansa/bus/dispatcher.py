"""Delivers one event to one consumer, exactly once in effect: inbox, retries, dead letters."""

from __future__ import annotations

import enum
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hansa.bus.messagebus import Consumer, MessageBus
from hansa.bus.store import dead_letters, inbox
from hansa.kernel.errors import InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.messages import Envelope


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
        """Try once. `attempt_no` counts from 1; the caller keeps the count durable."""
        try:
            with self.bus.uow() as uow:
                seen = uow.conn.execute(
                    sa.select(inbox.c.event_id).where(
                        inbox.c.consumer == consumer.name, inbox.c.event_id == envelope.id
                    )
                ).first()
                if seen is not None:
                    return Attempt(Outcome.DUPLICATE)
                uow.delivering = envelope
                consumer.handler(envelope.event(), uow)
                try:
                    uow.conn.execute(
                        inbox.insert().values(
                            consumer=consumer.name, event_id=envelope.id, handled_at=uow.now()
                        )
                    )
                except IntegrityError:
                    # Another worker handled the same event concurrently and won the inbox row.
                    # (Only here: a constraint the handler's own writes break is a failure.)
                    return Attempt(Outcome.DUPLICATE)
                uow.commit()
            return Attempt(Outcome.HANDLED)
        except Exception as exc:  # a consumer's failure must never kill the relay
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            terminal = isinstance(exc, TERMINAL_ERRORS)
            if terminal or attempt_no >= self.policy.max_attempts:
                self.dead_letter(consumer, envelope, attempt_no, error, terminal=terminal)
                return Attempt(Outcome.DEAD, error)
            retry_at = self.bus.clock.now() + self.policy.delay(attempt_no)
            return Attempt(Outcome.RETRY, error, retry_at)

    def dead_letter(
        self, consumer: Consumer, envelope: Envelope, attempts: int, error: str, *, terminal: bool
    ) -> None:
        with self.bus.db.write() as conn:
            conn.execute(
                dead_letters.insert().values(
                    id=new_id(),
                    consumer=consumer.name,
                    event_id=envelope.id,
                    type=envelope.type,
                    envelope=envelope.to_json_dict(),
                    attempts=attempts,
                    error=error[:4000],
                    terminal=terminal,
                    failed_at=self.bus.clock.now(),
                )
            )
            conn.commit()
