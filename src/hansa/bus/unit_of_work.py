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
        self._flushed: list[Envelope] = []  # already in the outbox (uncommitted)
        self._flushes = 0
        self._marks: list[int] = []  # events recorded before each open savepoint
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

    def flush(self) -> None:
        """Write the events recorded so far to the outbox now, in this transaction.

        For long units of work (a 100,000-row supplier file applied all or nothing): their
        events no longer wait in memory for the commit. Envelopes of a unit of work that
        flushed once keep their data for the commit listeners (a one-chunk document's events
        say what moved, so read models re-read only that); from the second flush on, all the
        flushed ones lose it (type and subject only, so memory holds at most one chunk's
        data), and listeners must treat missing data as "something changed, I cannot say
        what". Inside a savepoint it writes only when every
        pending event was recorded inside it (else a rollback of the savepoint would take
        events of the enclosing scope with it): otherwise it waits, keeping the order.
        """
        if not self._pending:
            return
        if self._marks and self._marks[-1] > len(self._flushed):
            return
        written = outbox.append(self.conn, self._pending, self.clock.now())
        if self._flushes == 1:
            self._flushed = [_without_data(e) for e in self._flushed]
        self._flushed.extend(written if self._flushes == 0 else map(_without_data, written))
        self._flushes += 1
        self._pending = []

    def _recorded(self) -> int:
        return len(self._flushed) + len(self._pending)

    def _forget_after(self, mark: int) -> None:
        """Drop what was recorded after the first `mark` events (a savepoint rolled back; the
        outbox rows flushed since went with it)."""
        flushed = len(self._flushed)
        if mark <= flushed:
            del self._flushed[mark:]
            self._pending = []
        else:
            del self._pending[mark - flushed:]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo the block's writes and recorded events if it raises; the transaction goes on.

        Plain SQL savepoints: SQLAlchemy compiles its own savepoint clauses on every use, which
        cost more than the savepoint itself in a delivery that runs three of them.
        """
        mark = self._recorded()
        name = f"hansa_sp_{len(self._marks) + 1}"
        conn = self.conn
        conn.exec_driver_sql(f"SAVEPOINT {name}")
        self._marks.append(mark)
        try:
            yield
        except BaseException:
            if conn.in_transaction() and not conn.invalidated:
                conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
                conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
            self._forget_after(mark)
            raise
        finally:
            self._marks.pop()
        conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        now = self.clock.now()
        self.envelopes = self._flushed + outbox.append(self.conn, self._pending, now)
        self._pending = []
        self._flushed = []
        self._flushes = 0
        self.conn.commit()
        self.committed = True

    def rollback(self) -> None:
        self._pending = []
        self._flushed = []
        self._flushes = 0
        self.conn.rollback()

    def collected(self) -> Iterator[Event]:
        return (event for event, _ in self._pending)

    def collected_newest_first(self) -> Iterator[Event]:
        """`collected`, the newest first: for a caller after the latest fact about one thing."""
        return (event for event, _ in reversed(self._pending))


def _without_data(envelope: Envelope) -> Envelope:
    return Envelope(type=envelope.type, data={}, time=envelope.time, id=envelope.id,
                    subject=envelope.subject)
