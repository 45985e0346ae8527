"""The automation engine: paths as bus consumers; triggers, schedules and timers become runs.

A trigger is handled in one unit of work: evaluate the condition (edge-triggered per key
where the path says so), gather the inputs, let the pure policy decide, then record the run,
its planned steps and the first `PathStepDue`. The `StepRunner` takes it from there.

What gets recorded: a false condition (or an edge that did not cross) records no run, only
the edge state; a policy that decides not to act records a `skipped` run with its reasons.
A condition or policy that raises rolls the trigger back: the bus retries it and then
dead-letters it (replayable once the path is fixed). A scheduled slot cannot be replayed
(the schedule has moved on), so there the error becomes a `failed` run and the schedule
re-arms all the same.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection

from hansa.automation import store
from hansa.automation.messages import (
    CancelRun,
    PathCompensationDue,
    PathScheduleDue,
    PathStepDue,
    PathTimerDue,
    ResumeRun,
)
from hansa.automation.model import After, Decision, Path, Schedule, edge_fires
from hansa.automation.runner import INFRASTRUCTURE_ERRORS, StepRunner, error_text
from hansa.automation.step_health import StepFailureThresholds
from hansa.automation.steps import CommandRegistry
from hansa.bus.messagebus import MessageBus
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.clock import utc
from hansa.kernel.errors import InvalidData, NotFound, UnexpectedState
from hansa.kernel.messages import Event


def consumer_name(path: Path) -> str:
    return f"automation.{path.name}"


class Engine:
    """Registers paths on the bus and runs them durably; see the module docstring."""

    def __init__(self, bus: MessageBus,
                 step_failures: StepFailureThresholds | None = None) -> None:
        self.bus = bus
        self.commands = CommandRegistry()
        self.runner = StepRunner(self.commands, step_failures)
        self._paths: dict[str, Path] = {}
        bus.subscribe(PathStepDue, "automation.steps", self.runner.on_step_due)
        bus.subscribe(PathCompensationDue, "automation.compensations",
                      self.runner.on_compensation_due)
        bus.subscribe(PathScheduleDue, "automation.schedules", self._on_schedule_due)
        bus.subscribe(PathTimerDue, "automation.timers", self._on_timer_due)
        bus.register(ResumeRun, self.runner.resume)
        bus.register(CancelRun, self.runner.cancel)

    # registry -------------------------------------------------------------------------------
    def register(self, path: Path) -> None:
        """Add a path; event and `After` triggers subscribe consumer `automation.<name>`.

        Register every path before the worker starts (the NATS transport subscribes then).
        """
        if path.name in self._paths:
            raise UnexpectedState(f"path {path.name!r} is registered twice")
        self.commands.allow(*path.commands)
        trigger = path.trigger
        if isinstance(trigger, After):
            self.bus.subscribe(trigger.event, consumer_name(path), partial(self._on_event, path))
        elif not isinstance(trigger, Schedule):
            self.bus.subscribe(trigger, consumer_name(path), partial(self._on_event, path))
        self._paths[path.name] = path

    def path(self, name: str) -> Path:
        try:
            return self._paths[name]
        except KeyError:
            raise NotFound(f"no automation path {name!r}", code="path_not_found") from None

    @property
    def paths(self) -> list[Path]:
        return sorted(self._paths.values(), key=lambda p: p.name)

    # triggers -------------------------------------------------------------------------------
    def _on_event(self, path: Path, event: Event, uow: UnitOfWork) -> None:
        trigger_id = uow.delivering.id if uow.delivering is not None else None
        if isinstance(path.trigger, After):
            uow.record(PathTimerDue(path=path.name, trigger_id=trigger_id,
                                    trigger_type=event.event_type(),
                                    trigger_data=event.payload()),
                       deliver_at=uow.now() + path.trigger.delay)
            return
        self.fire(uow, path, event, trigger_id)

    def fire(self, uow: UnitOfWork, path: Path, event: Event,
             trigger_id: str | None = None) -> str | None:
        """Evaluate `path` for `event` in `uow`; the new run's id, or None when it did not fire.

        Triggers arrive as deliveries, whose inbox row is written in this same transaction, so
        a trigger is evaluated once per path; the unique (path, trigger id) of the runs table
        stays as the backstop (a second run would fail the delivery, never run twice).
        """
        started = time.perf_counter()
        fires, why = self._evaluate(path, event, uow.conn, uow.now())
        if not fires:
            return None
        decision = self._decide(path, event, uow.conn, why)
        timing = {"decide_ms": round((time.perf_counter() - started) * 1000, 3)}
        return self.runner.start(uow, path, event, decision, trigger_id, timing)

    def _evaluate(self, path: Path, event: Event, conn: Connection,
                  write_at: datetime | None) -> tuple[bool, str]:
        """Does the path fire? With `write_at`, an edge-triggered path stores the new value."""
        if path.condition is None:
            return True, "no condition"
        value = bool(path.condition(event, conn))
        if path.edge_key is None:
            return value, f"condition is {str(value).lower()}"
        key = path.edge_key(event)
        previous = (store.swap_edge(conn, path.name, key, value, write_at)
                    if write_at is not None else store.edge_value(conn, path.name, key))
        if edge_fires(previous, value):
            return True, f"condition crossed to true for {key}"
        state = "still true" if value else "false"
        return False, f"condition is {state} for {key}; an edge-triggered path fires on crossing"

    @staticmethod
    def _decide(path: Path, event: Event, conn: Connection, why: str) -> Decision:
        inputs = path.inputs(event, conn) if path.inputs is not None else event.payload()
        decision = path.policy(inputs)
        if not isinstance(decision, Decision):
            raise InvalidData(f"policy of {path.name} returned {type(decision).__name__}, "
                              f"not a Decision", code="bad_policy")
        return dataclasses.replace(decision, inputs=decision.inputs or dict(inputs),
                                   reasons=[why, *decision.reasons])

    def dry_run(self, path_name: str, event: Event) -> Decision:
        """Evaluate the condition and policy for `event` without writing anything."""
        path = self.path(path_name)
        with self.bus.db.read() as conn:
            fires, why = self._evaluate(path, event, conn, None)
            if not fires:
                return Decision.skip(why)
            decision = self._decide(path, event, conn, why)
        for spec in decision.steps:  # the plan must be storable, as it would be for real
            self.commands.encode(spec.command)
            if spec.compensation is not None:
                self.commands.encode(spec.compensation)
        return decision

    # schedules and timers ---------------------------------------------------------------------
    def arm_schedules(self) -> int:
        """Arm each scheduled path not armed yet (idempotent); returns how many were armed."""
        armed = 0
        for path in self.paths:
            if not isinstance(path.trigger, Schedule):
                continue
            with self.bus.uow() as uow:
                slot = path.trigger.next_slot(uow.now())
                every = int(path.trigger.every.total_seconds())
                if store.arm_schedule(uow.conn, path.name, every, slot, uow.now()):
                    uow.record(PathScheduleDue(path=path.name, slot=slot.isoformat()),
                               deliver_at=slot)
                    armed += 1
                uow.commit()
        return armed

    def _on_schedule_due(self, event: PathScheduleDue, uow: UnitOfWork) -> None:
        path = self.path(event.path)
        if not isinstance(path.trigger, Schedule):
            raise InvalidData(f"path {path.name} has no schedule", code="not_scheduled")
        row = store.lock_schedule(uow.conn, path.name)
        slot = utc(datetime.fromisoformat(event.slot))
        if row is None or row.next_at != slot:
            return  # a slot that fired already
        trigger_id = uow.delivering.id if uow.delivering is not None else None
        try:
            with uow.savepoint():
                self.fire(uow, path, event, trigger_id)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:  # audit the slot as a failed run; the schedule keeps ticking
            self.runner.start_failed(uow, path, event, trigger_id, error_text(exc), {})
        next_at = path.trigger.after(slot, uow.now())
        store.move_schedule(uow.conn, path.name, next_at)
        uow.record(PathScheduleDue(path=path.name, slot=next_at.isoformat()), deliver_at=next_at)

    def _on_timer_due(self, event: PathTimerDue, uow: UnitOfWork) -> None:
        path = self.path(event.path)
        original: Any = Event.registry[event.trigger_type](**event.trigger_data)
        self.fire(uow, path, original, event.trigger_id)
