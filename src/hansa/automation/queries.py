"""Run history for the API and the CLI (`hansa paths history`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.automation.store import runs as runs_table
from hansa.automation.store import steps as steps_table
from hansa.kernel.errors import NotFound


@dataclass(frozen=True, slots=True)
class StepRecord:
    index: int
    name: str
    command_type: str
    command: dict[str, Any]
    compensation_type: str | None
    idempotency_key: str
    status: str
    result: Any
    error: str | None
    attempts: int
    due_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    compensated_at: datetime | None
    elapsed_ms: float | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run: what fired it, the inputs, the decision's reasons, verdicts, steps, timing."""

    id: str
    path: str
    status: str
    trigger_id: str | None
    trigger_type: str
    trigger_data: dict[str, Any]
    inputs: dict[str, Any]
    reasons: list[str]
    verdicts: list[dict[str, Any]]
    error: str | None
    timing: dict[str, Any]
    step_cursor: int
    started_at: datetime
    finished_at: datetime | None
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def _run(row: sa.Row[Any], steps: list[StepRecord] | None = None) -> RunRecord:
    return RunRecord(
        id=row.id, path=row.path, status=row.status, trigger_id=row.trigger_id,
        trigger_type=row.trigger_type, trigger_data=row.trigger_data, inputs=row.inputs,
        reasons=row.reasons, verdicts=row.verdicts, error=row.error, timing=row.timing,
        step_cursor=row.step_cursor, started_at=row.started_at, finished_at=row.finished_at,
        steps=steps or [])


def _step(row: sa.Row[Any]) -> StepRecord:
    return StepRecord(
        index=row.step_index, name=row.name, command_type=row.command_type, command=row.command,
        compensation_type=row.compensation_type, idempotency_key=row.idempotency_key,
        status=row.status, result=row.result, error=row.error, attempts=row.attempts,
        due_at=row.due_at, started_at=row.started_at, finished_at=row.finished_at,
        compensated_at=row.compensated_at, elapsed_ms=row.elapsed_ms)


def runs(conn: Connection, *, path: str | None = None, status: str | None = None,
         limit: int = 50) -> list[RunRecord]:
    """The newest runs first (without their steps)."""
    query = (sa.select(runs_table)
             .order_by(runs_table.c.started_at.desc(), runs_table.c.id.desc()).limit(limit))
    if path is not None:
        query = query.where(runs_table.c.path == path)
    if status is not None:
        query = query.where(runs_table.c.status == status)
    return [_run(row) for row in conn.execute(query)]


def run_ids(conn: Connection, *, path: str, limit: int = 50) -> list[str]:
    """The ids of a path's newest runs, newest first: a poll that needs no run's contents."""
    query = (sa.select(runs_table.c.id).where(runs_table.c.path == path)
             .order_by(runs_table.c.started_at.desc(), runs_table.c.id.desc()).limit(limit))
    return list(conn.scalars(query))


def run(conn: Connection, run_id: str) -> RunRecord:
    """One run with its steps in order."""
    row = conn.execute(sa.select(runs_table).where(runs_table.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"no automation run {run_id}", code="run_not_found")
    steps = conn.execute(sa.select(steps_table).where(steps_table.c.run_id == run_id)
                         .order_by(steps_table.c.step_index))
    return _run(row, [_step(s) for s in steps])


def counts_by_status(conn: Connection, *, path: str | None = None) -> dict[str, int]:
    query = sa.select(runs_table.c.status, sa.func.count()).group_by(runs_table.c.status)
    if path is not None:
        query = query.where(runs_table.c.path == path)
    return {row[0]: row[1] for row in conn.execute(query)}
