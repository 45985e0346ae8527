"""Runs a path's steps: one step (or one compensation) per unit of work, guarded, resumable.

Each handler locks the run row and acts only when the event names the run's current step
(`step_cursor`) in the right state, so a redelivered or duplicated event does nothing. The
step's command runs in the handler's transaction (inside a savepoint), together with the
step's status change and the event for the next step: a crash anywhere resumes from the
outbox, and a step's database effects happen once.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hansa.automation import step_health, store
from hansa.automation.messages import (
    CancelRun,
    PathCompensationDue,
    PathRunBlocked,
    PathRunFinished,
    PathStepDue,
    ResumeRun,
)
from hansa.automation.model import (
    Decision,
    Path,
    RunStatus,
    StepSpec,
    StepStatus,
    Wait,
    WaitUntil,
    compensation_order,
    idempotency_key,
    wait_due,
)
from hansa.automation.step_health import StepFailureThresholds
from hansa.automation.steps import CommandRegistry, plain
from hansa.bus.unit_of_work import UnitOfWork
from hansa.guards import breakers, gates, killswitch
from hansa.guards.messages import BreakerClosed, BreakerTripped
from hansa.guards.model import BreakerState, Verdict, path_scope
from hansa.kernel.errors import Conflict, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.messages import Event

# The database itself failed (lost connection, deadlock, serialisation failure, locked file):
# not the step's fault. These propagate, the whole unit of work rolls back and the bus retries.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (sa.exc.OperationalError,
                                                      sa.exc.InterfaceError)
_ACTIVE = (RunStatus.PENDING, RunStatus.RUNNING)


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]


def with_key(command: Any, key: str) -> Any:
    """Hand the step's idempotency key to commands that take one (for external side effects)."""
    names = {f.name for f in dataclasses.fields(command)} if dataclasses.is_dataclass(
        command) else set()
    if "idempotency_key" in names and not command.idempotency_key:
        return dataclasses.replace(command, idempotency_key=key)
    return command


@dataclasses.dataclass(frozen=True, slots=True)
class _Run:
    """What the guards need of a run, whether its row is written yet or not."""

    id: str
    path: str
    guards: list[str]
    verdicts: list[dict[str, Any]]


class StepRunner:
    """The bus consumers of `PathStepDue` and `PathCompensationDue`, and the run commands."""

    def __init__(self, commands: CommandRegistry,
                 step_failures: StepFailureThresholds | None = None) -> None:
        self.commands = commands
        self.step_failures = step_failures or StepFailureThresholds()

    # a run begins ---------------------------------------------------------------------------
    def start(self, uow: UnitOfWork, path: Path, event: Event, decision: Decision,
              trigger_id: str | None, timing: dict[str, float]) -> str:
        """Record the run and its planned steps, and run the first step in this transaction.

        The first step runs here, with its guards asked first, unless it is a wait: a
        one-step run starts and finishes in the trigger's unit of work (no second delivery),
        and the rows are written once, with their outcome. Later steps run one per unit of
        work, each on its own `PathStepDue`.
        """
        run_id = new_id()
        planned = ([self._plan(run_id, i, spec) for i, spec in enumerate(decision.steps)]
                   if decision.act else [])
        status = (RunStatus.PENDING if planned
                  else RunStatus.COMPLETED if decision.act else RunStatus.SKIPPED)
        values = {"inputs": plain(decision.inputs), "reasons": list(decision.reasons)}
        first = decision.steps[0].command if planned else None
        if first is None or isinstance(first, Wait | WaitUntil):
            self._insert(uow, run_id, path, event, trigger_id, status, timing, planned,
                         **values)
            if planned:
                uow.record(PathStepDue(run_id=run_id, index=0))
            return run_id
        run = _Run(id=run_id, path=path.name, guards=list(path.guards), verdicts=[])
        now = uow.now()
        log, blocking, half_open = self._verdicts(uow, run, 0, now)
        values["verdicts"] = log
        if blocking is not None:
            self._insert(uow, run_id, path, event, trigger_id, RunStatus.BLOCKED, timing,
                         planned, error=blocking.reason, finished_at=None, **values)
            uow.record(PathRunBlocked(run_id=run_id, path=path.name, index=0,
                                      reason=blocking.reason))
            return run_id
        step = planned[0]
        ok, outcome, elapsed = self._execute(uow, first, step["idempotency_key"])
        step.update(attempts=1, started_at=now, finished_at=now)
        if not ok:
            step.update(status=StepStatus.FAILED.value, error=outcome)
            self._insert(uow, run_id, path, event, trigger_id, RunStatus.FAILED, timing,
                         planned, error=f"step 0 ({step['name']}) failed: {outcome}",
                         finished_at=now, **values)
            self._trip_on_failure_rate(uow, path.name, now)
            return run_id
        step.update(status=StepStatus.COMPLETED.value, result=plain(outcome), elapsed_ms=elapsed)
        self._closed_by_probe(uow, half_open, now)
        if len(planned) > 1:
            self._insert(uow, run_id, path, event, trigger_id, RunStatus.RUNNING, timing,
                         planned, step_cursor=1, finished_at=None, **values)
            uow.record(PathStepDue(run_id=run_id, index=1))
        else:
            self._insert(uow, run_id, path, event, trigger_id, RunStatus.COMPLETED, timing,
                         planned, step_cursor=1, finished_at=now, **values)
        return run_id

    def start_failed(self, uow: UnitOfWork, path: Path, event: Event, trigger_id: str | None,
                     error: str, timing: dict[str, float]) -> str:
        """Record a run whose condition or policy raised: audited, and the trigger is consumed."""
        run_id = new_id()
        self._insert(uow, run_id, path, event, trigger_id, RunStatus.FAILED, timing, [],
                     error=error)
        return run_id

    def _insert(self, uow: UnitOfWork, run_id: str, path: Path, event: Event,
                trigger_id: str | None, status: RunStatus, timing: dict[str, float],
                planned: list[dict[str, Any]], **values: Any) -> None:
        """Write the run and its steps; a finished run also records `PathRunFinished`."""
        now = uow.now()
        row = {"id": run_id, "path": path.name, "trigger_id": trigger_id,
               "trigger_type": event.event_type(), "trigger_data": plain(event.payload()),
               "status": status.value, "step_cursor": 0, "inputs": {}, "reasons": [],
               "guards": path.guards, "verdicts": [], "error": None, "timing": timing,
               "started_at": now, "updated_at": now, "finished_at": None if planned else now,
               **values}
        store.insert_run(uow.conn, row, planned)
        if row["finished_at"] is not None:
            uow.record(PathRunFinished(run_id=run_id, path=path.name, status=status.value))

    def _plan(self, run_id: str, index: int, spec: StepSpec) -> dict[str, Any]:
        command_type, command = self.commands.encode(spec.command)
        comp_type, comp = (None, None) if spec.compensation is None else self.commands.encode(
            spec.compensation)
        return {"run_id": run_id, "step_index": index, "name": spec.name,
                "command_type": command_type, "command": command,
                "compensation_type": comp_type, "compensation": comp,
                "idempotency_key": idempotency_key(run_id, index),
                "status": StepStatus.PLANNED.value, "attempts": 0, "result": None,
                "error": None, "due_at": None, "started_at": None, "finished_at": None,
                "compensated_at": None, "elapsed_ms": None}

    # forward steps --------------------------------------------------------------------------
    def on_step_due(self, event: PathStepDue, uow: UnitOfWork) -> None:
        row = self._lock(uow, event.run_id)
        if RunStatus(row.status) not in _ACTIVE or row.step_cursor != event.index:
            return  # a duplicate, or the run moved on (blocked, cancelled, finished)
        step = store.step(uow.conn, row.id, event.index)
        assert step is not None
        now = uow.now()
        if step.status == StepStatus.WAITING and step.due_at > now:
            return  # an early copy: the step's timer is on the way
        run = _Run(id=row.id, path=row.path, guards=list(row.guards),
                   verdicts=list(row.verdicts))
        log, blocking, half_open = self._verdicts(uow, run, event.index, now)
        if blocking is not None:
            store.update_run(uow.conn, run.id, verdicts=log, status=RunStatus.BLOCKED.value,
                             error=blocking.reason, updated_at=now)
            uow.record(PathRunBlocked(run_id=run.id, path=run.path, index=event.index,
                                      reason=blocking.reason))
            return
        action = self.commands.decode(step.command_type, step.command)
        if isinstance(action, Wait | WaitUntil):
            due = step.due_at or wait_due(action, now)
            if due > now:
                store.update_step(uow.conn, run.id, event.index, due_at=due,
                                  status=StepStatus.WAITING.value, started_at=now)
                store.update_run(uow.conn, run.id, status=RunStatus.RUNNING.value,
                                 verdicts=log, updated_at=now)
                uow.record(PathStepDue(run_id=run.id, index=event.index), deliver_at=due)
                return
            ok, result, elapsed = True, {"waited_until": due.isoformat()}, 0.0
        else:
            ok, result, elapsed = self._execute(uow, action, step.idempotency_key)
        started_at = step.started_at or now
        if not ok:  # the step failed: undo what came before it
            store.update_step(uow.conn, run.id, event.index, status=StepStatus.FAILED.value,
                              error=result, finished_at=now, started_at=started_at,
                              attempts=step.attempts + 1)
            store.update_run(uow.conn, run.id, verdicts=log)
            self._trip_on_failure_rate(uow, run.path, now)
            self._compensate(uow, row, below=event.index,
                             error=f"step {event.index} ({step.name}) failed: {result}")
            return
        store.update_step(uow.conn, run.id, event.index, status=StepStatus.COMPLETED.value,
                          result=plain(result), finished_at=now, elapsed_ms=elapsed,
                          started_at=started_at, attempts=step.attempts + 1)
        self._closed_by_probe(uow, half_open, now)
        self._advance(uow, row, event.index + 1, now, verdicts=log)

    def _execute(self, uow: UnitOfWork, action: Any, key: str) -> tuple[bool, Any, float]:
        """Run a step's command in a savepoint: (succeeded, result or error text, ms)."""
        started = time.perf_counter()
        try:
            with uow.savepoint():
                result = uow.execute(with_key(action, key))
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:
            return False, error_text(exc), 0.0
        return True, result, (time.perf_counter() - started) * 1000

    @staticmethod
    def _closed_by_probe(uow: UnitOfWork, half_open: list[str], now: datetime) -> None:
        """The probe through a half-open breaker went well: those breakers close."""
        for name in half_open:
            if breakers.record_success(uow.conn, name, now):
                uow.record(BreakerClosed(breaker=name, how="recovered"))

    def _trip_on_failure_rate(self, uow: UnitOfWork, path: str, now: datetime) -> None:
        verdict = step_health.after_failure(uow.conn, path, now, self.step_failures)
        if verdict is not None:
            uow.record(BreakerTripped(breaker=verdict.guard, reason=verdict.reason,
                                      detector=verdict.detector, dry_run=verdict.dry_run,
                                      details=verdict.details))

    def _advance(self, uow: UnitOfWork, run: sa.Row[Any], index: int, now: datetime,
                 **values: Any) -> None:
        if index < store.step_count(uow.conn, run.id):
            store.update_run(uow.conn, run.id, status=RunStatus.RUNNING.value,
                             step_cursor=index, updated_at=now, **values)
            uow.record(PathStepDue(run_id=run.id, index=index))
            return
        store.finish_run(uow.conn, run.id, RunStatus.COMPLETED, now, step_cursor=index,
                         **values)
        uow.record(PathRunFinished(run_id=run.id, path=run.path,
                                   status=RunStatus.COMPLETED.value))

    @staticmethod
    def _verdicts(uow: UnitOfWork, run: _Run, index: int,
                  now: datetime) -> tuple[list[dict[str, Any]], Verdict | None, list[str]]:
        """Ask the kill switches and breakers before step `index`.

        Returns the run's verdict log with these verdicts added, the blocking verdict (None
        when the step may run; blocking verdicts are written to the guards' verdict log) and
        the half-open breakers this step is the probe of.
        """
        switch, found = gates.switch_and_breakers(uow.conn, [path_scope(run.path)], run.guards)
        verdicts = [killswitch.verdict_of(switch)]
        loaded = [(name, found.get(name)) for name in run.guards]
        verdicts += [Verdict(guard=name, allowed=True) if b is None else breakers.gate_of(b, now)
                     for name, b in loaded]
        key = idempotency_key(run.id, index)
        for verdict in verdicts:
            if not verdict.allowed:
                breakers.log_verdict(uow.conn, verdict, key, now)
        stamp = {"step": index, "at": now.isoformat()}
        log = [*run.verdicts, *({**stamp, **v.as_dict()} for v in verdicts)]
        blocking = next((v for v in verdicts if v.blocks), None)
        half_open = [name for name, b in loaded
                     if b is not None and b.current_state(now) is BreakerState.HALF_OPEN]
        return log, blocking, half_open

    # compensation ---------------------------------------------------------------------------
    def _compensate(self, uow: UnitOfWork, run: sa.Row[Any], *, below: int, error: str,
                    nothing_done: RunStatus = RunStatus.FAILED) -> None:
        """Undo the completed steps under `below`, newest first, one unit of work each.

        With nothing to undo the run ends at once as `nothing_done`.
        """
        order = compensation_order(store.undoable(uow.conn, run.id), below)
        now = uow.now()
        if not order:
            store.finish_run(uow.conn, run.id, nothing_done, now, error=error)
            uow.record(PathRunFinished(run_id=run.id, path=run.path, status=nothing_done.value))
            return
        store.update_run(uow.conn, run.id, status=RunStatus.COMPENSATING.value,
                         step_cursor=order[0], error=error, updated_at=now)
        uow.record(PathCompensationDue(run_id=run.id, index=order[0]))

    def on_compensation_due(self, event: PathCompensationDue, uow: UnitOfWork) -> None:
        run = self._lock(uow, event.run_id)
        if run.status != RunStatus.COMPENSATING or run.step_cursor != event.index:
            return  # a duplicate
        step = store.step(uow.conn, run.id, event.index)
        assert step is not None and step.compensation_type is not None
        now = uow.now()
        if step.status == StepStatus.COMPLETED:
            undo = self.commands.decode(step.compensation_type, step.compensation)
            try:
                with uow.savepoint():
                    uow.execute(with_key(undo, f"{step.idempotency_key}:undo"))
                store.update_step(uow.conn, run.id, event.index, compensated_at=now,
                                  status=StepStatus.COMPENSATED.value)
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as exc:  # recorded; the other steps are still undone
                store.update_step(uow.conn, run.id, event.index, error=error_text(exc),
                                  status=StepStatus.COMPENSATION_FAILED.value)
        order = compensation_order(store.undoable(uow.conn, run.id), event.index)
        if order:
            store.update_run(uow.conn, run.id, step_cursor=order[0], updated_at=now)
            uow.record(PathCompensationDue(run_id=run.id, index=order[0]))
            return
        failed = store.any_compensation_failed(uow.conn, run.id)
        final = RunStatus.FAILED if failed else RunStatus.COMPENSATED
        store.finish_run(uow.conn, run.id, final, now)
        uow.record(PathRunFinished(run_id=run.id, path=run.path, status=final.value))

    # operators ------------------------------------------------------------------------------
    def resume(self, command: ResumeRun, uow: UnitOfWork) -> None:
        run = self._lock(uow, command.run_id)
        if run.status != RunStatus.BLOCKED:
            raise Conflict(f"run {run.id} is {run.status}; only a blocked run resumes",
                           code="run_not_blocked")
        store.update_run(uow.conn, run.id, status=RunStatus.RUNNING.value, error=None,
                         updated_at=uow.now())
        uow.record(PathStepDue(run_id=run.id, index=run.step_cursor))

    def cancel(self, command: CancelRun, uow: UnitOfWork) -> None:
        run = self._lock(uow, command.run_id)
        status = RunStatus(run.status)
        if status.finished or status is RunStatus.COMPENSATING:
            raise Conflict(f"run {run.id} is {run.status} already", code="run_finished")
        step = store.step(uow.conn, run.id, run.step_cursor)
        if step is not None and step.status == StepStatus.WAITING:
            store.update_step(uow.conn, run.id, run.step_cursor, finished_at=uow.now(),
                              status=StepStatus.CANCELLED.value)
        self._compensate(uow, run, below=run.step_cursor, nothing_done=RunStatus.CANCELLED,
                         error=f"cancelled by {command.actor}: {command.reason}")

    @staticmethod
    def _lock(uow: UnitOfWork, run_id: str) -> sa.Row[Any]:
        run = store.lock_run(uow.conn, run_id)
        if run is None:
            raise NotFound(f"no automation run {run_id}", code="run_not_found")
        return run

