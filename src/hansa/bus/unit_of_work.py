"""Unit of work: one write transaction; its events reach the outbox in the same commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from hansa.bus import outbox
from hansa.db.engine import Database
from hansa.kernel.clock import Clock
from hansa.kernel.errors import UnexpectedState
from hansa.kernel.messages import Command, Envelope, Event

if TYPE_CHECKING:
    from hansa.bus.messagebus import MessageBus


class UnitOfWork:
    """Opens a write transaction; rolls back unless `commit()` is called.

    Handlers read and write through `conn`, record events with `record()`, and run other
    contexts' commands inside the same transaction with `execute()`.
    """

    def __init__(self, db: Database, clock: Clock, bus: MessageBus | None = None) -> None:
        self.db = db
        self.clock = clock
        self.bus = bus
        self._stack: ExitStack | None = None
        self._conn: Connection | None = None
        self._pending: list[tuple[Event, datetime | None]] = []
        self._after_commit: list[Callable[[], None]] = []
        self.committed = False
        self.envelopes: list[Envelope] = []
        self.delivering: Envelope | None = None  # set by the dispatcher for a consumer's run

    def __enter__(self) -> UnitOfWork:
        self._stack = ExitStack()
        self._conn = self._stack.enter_context(self.db.write())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stack is not None
        try:
            if not self.committed and self._conn is not None and self._conn.in_transaction():
                self._conn.rollback()
        finally:
            self._stack.close()
            self._conn = None
        if self.committed:
            for callback in self._after_commit:
                callback()

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise UnexpectedState("unit of work used outside its `with` block")
        return self._conn

    def now(self) -> datetime:
        return self.clock.now()

    def record(self, event: Event, *, deliver_at: datetime | None = None) -> None:
        """Queue an event for the outbox; `deliver_at` makes it a durable timer."""
        self._pending.append((event, deliver_at))

    def execute(self, command: Command) -> Any:
        """Run another command's handler inside this same transaction."""
        if self.bus is None:
            raise UnexpectedState("this unit of work has no bus to execute commands with")
        return self.bus.execute(command, uow=self)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo the block's writes and recorded events if it raises; the transaction goes on."""
        mark = len(self._pending)
        nested = self.conn.begin_nested()
        try:
            yield
        except BaseException:
            if nested.is_active:
                nested.rollback()
            del self._pending[mark:]
            raise
        nested.commit()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        now = self.clock.now()
        self.envelopes = outbox.append(self.conn, self._pending, now)
        self._pending = []
        self.conn.commit()
        self.committed = True

    def rollback(self) -> None:
        self._pending = []
        self.conn.rollback()

    def collected(self) -> Iterator[Event]:
        return (event for event, _ in self._pending)
