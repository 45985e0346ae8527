"""Commands go to exactly one handler; events go to every subscribed consumer, via the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hansa.bus.unit_of_work import UnitOfWork
from hansa.db.engine import Database
from hansa.kernel.clock import Clock
from hansa.kernel.errors import UnexpectedState
from hansa.kernel.messages import Command, Envelope, Event

C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)

CommandHandler = Callable[[Any, UnitOfWork], Any]
EventHandler = Callable[[Any, UnitOfWork], None]
# Told of a failed attempt after its writes were undone, in the delivery's transaction: for
# what must outlive the failure (an endpoint's error rate).
FailureHandler = Callable[[Any, Exception, UnitOfWork], None]


@dataclass(frozen=True, slots=True)
class Consumer:
    """A named, idempotent subscriber: its name keys the inbox, so keep it stable."""

    name: str
    event_type: str
    handler: EventHandler
    on_failure: FailureHandler | None = None


class MessageBus:
    """The registry of handlers and the way in for every write."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._commands: dict[type[Command], CommandHandler] = {}
        self._consumers: dict[str, Consumer] = {}
        self._by_type: dict[str, list[Consumer]] = {}
        self._commit_listeners: list[Callable[[list[Envelope]], None]] = []

    # registration -----------------------------------------------------------------------
    def register(self, command_type: type[C], handler: Callable[[C, UnitOfWork], Any]) -> None:
        if command_type in self._commands:
            raise UnexpectedState(f"{command_type.__name__} already has a handler")
        self._commands[command_type] = handler

    def subscribe(
        self, event_type: type[E], name: str, handler: Callable[[E, UnitOfWork], None], *,
        on_failure: Callable[[E, Exception, UnitOfWork], None] | None = None,
    ) -> None:
        """Add consumer `name`; `on_failure` hears of each failed attempt (see FailureHandler)."""
        if name in self._consumers:
            raise UnexpectedState(f"consumer {name!r} is registered twice")
        consumer = Consumer(name=name, event_type=event_type.event_type(), handler=handler,
                            on_failure=on_failure)
        self._consumers[name] = consumer
        self._by_type.setdefault(consumer.event_type, []).append(consumer)

    def on_commit(self, listener: Callable[[list[Envelope]], None]) -> None:
        """Called with the envelopes of every commit that wrote events (the relay wakes up,
        read-model caches learn what changed)."""
        self._commit_listeners.append(listener)

    # lookups -----------------------------------------------------------------------------
    def consumers_of(self, event_type: str) -> list[Consumer]:
        return self._by_type.get(event_type, [])

    def consumer(self, name: str) -> Consumer:
        try:
            return self._consumers[name]
        except KeyError:
            raise UnexpectedState(f"no consumer named {name!r}") from None

    @property
    def consumers(self) -> list[Consumer]:
        return list(self._consumers.values())

    @property
    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    # running -----------------------------------------------------------------------------
    def uow(self) -> UnitOfWork:
        uow = UnitOfWork(self.db, self.clock, self)
        uow.after_commit(lambda: self._notify_commit(uow.envelopes))
        return uow

    def execute(self, command: Command, uow: UnitOfWork | None = None) -> Any:
        """Run a command's handler; in a fresh unit of work (committed here) unless one is given."""
        handler = self._commands.get(type(command))
        if handler is None:
            raise UnexpectedState(f"no handler for {type(command).__name__}")
        if uow is not None:
            return handler(command, uow)
        with self.uow() as fresh:
            result = handler(command, fresh)
            fresh.commit()
        return result

    def _notify_commit(self, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        for listener in self._commit_listeners:
            listener(envelopes)
