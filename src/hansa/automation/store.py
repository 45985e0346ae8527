"""Automation tables (runs, steps, edge states, schedules) and the engine's writes to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from hansa.automation.model import RunStatus, StepStatus
from hansa.db.metadata import Json, UtcDateTime, metadata

runs = sa.Table(
    "automation_runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("path", sa.String(80), nullable=False),
    sa.Column("trigger_id", sa.String(36)),  # the event that fired it (envelope id)
    sa.Column("trigger_type", sa.String(200), nullable=False),
    sa.Column("trigger_data", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("step_cursor", sa.Integer(), nullable=False),  # the step to run (or undo) next
    sa.Column("inputs", Json, nullable=False),
    sa.Column("reasons", Json, nullable=False),
    sa.Column("guards", Json, nullable=False),  # breaker names consulted before each step
    sa.Column("verdicts", Json, nullable=False),
    sa.Column("error", sa.Text()),
    sa.Column("timing", Json, nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.UniqueConstraint("path", "trigger_id"),
    sa.Index("ix_automation_runs_path_started", "path", "started_at"),
    sa.Index("ix_automation_runs_status", "status", "started_at"),
)

steps = sa.Table(
    "automation_steps",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("step_index", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("command_type", sa.String(200), nullable=False),
    sa.Column("command", Json, nullable=False),
    sa.Column("compensation_type", sa.String(200)),
    sa.Column("compensation", Json),
    sa.Column("idempotency_key", sa.String(80), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("result", Json),
    sa.Column("error", sa.Text()),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("due_at", UtcDateTime()),  # timer steps
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("compensated_at", UtcDateTime()),
    sa.Column("elapsed_ms", sa.Float()),
)

edges = sa.Table(
    "automation_edges",
    metadata,
    sa.Column("path", sa.String(80), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.Boolean(), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
)

schedules = sa.Table(
    "automation_schedules",
    metadata,
    sa.Column("path", sa.String(80), primary_key=True),
    sa.Column("every_seconds", sa.Integer(), nullable=False),
    sa.Column("next_at", UtcDateTime(), nullable=False),
    sa.Column("armed_at", UtcDateTime(), nullable=False),
)


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _locked(conn: Connection, query: sa.Select[Any]) -> sa.Select[Any]:
    """Row locks on PostgreSQL; SQLite writers are serialised already."""
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


# runs and steps -------------------------------------------------------------------------------
# Built once: a statement built per call costs more in SQLAlchemy than SQLite takes to run it.
_INSERT_RUN = runs.insert()
_INSERT_STEPS = steps.insert()
_RUN = sa.select(runs).where(runs.c.id == sa.bindparam("run_id_"))
_RUN_LOCKED = _RUN.with_for_update()
_UPDATE_RUN = runs.update().where(runs.c.id == sa.bindparam("run_id_"))
_STEP = sa.select(steps).where(steps.c.run_id == sa.bindparam("run_id_"),
                               steps.c.step_index == sa.bindparam("index_"))
_UPDATE_STEP = steps.update().where(steps.c.run_id == sa.bindparam("run_id_"),
                                    steps.c.step_index == sa.bindparam("index_"))
_STEP_COUNT = sa.select(sa.func.count()).where(steps.c.run_id == sa.bindparam("run_id_"))


def insert_run(conn: Connection, values: dict[str, Any],
               planned: list[dict[str, Any]]) -> None:
    conn.execute(_INSERT_RUN, values)
    if planned:
        conn.execute(_INSERT_STEPS, planned)


def lock_run(conn: Connection, run_id: str) -> sa.Row[Any] | None:
    """The run, locked until the end of the transaction (one step at a time per run)."""
    query = _RUN_LOCKED if conn.dialect.name == "postgresql" else _RUN
    return conn.execute(query, {"run_id_": run_id}).first()


def update_run(conn: Connection, run_id: str, **values: Any) -> None:
    conn.execute(_UPDATE_RUN, {"run_id_": run_id, **values})


def step(conn: Connection, run_id: str, index: int) -> sa.Row[Any] | None:
    return conn.execute(_STEP, {"run_id_": run_id, "index_": index}).first()


def update_step(conn: Connection, run_id: str, index: int, **values: Any) -> None:
    conn.execute(_UPDATE_STEP, {"run_id_": run_id, "index_": index, **values})


def step_count(conn: Connection, run_id: str) -> int:
    return conn.execute(_STEP_COUNT, {"run_id_": run_id}).scalar_one()


def undoable(conn: Connection, run_id: str) -> list[tuple[int, bool]]:
    """(index, has compensation) of each completed step of a run."""
    rows = conn.execute(sa.select(steps.c.step_index, steps.c.compensation_type).where(
        steps.c.run_id == run_id, steps.c.status == StepStatus.COMPLETED.value))
    return [(r.step_index, r.compensation_type is not None) for r in rows]


def any_compensation_failed(conn: Connection, run_id: str) -> bool:
    return conn.execute(sa.select(steps.c.step_index).where(
        steps.c.run_id == run_id,
        steps.c.status == StepStatus.COMPENSATION_FAILED.value).limit(1)).first() is not None


def finish_run(conn: Connection, run_id: str, status: RunStatus, at: datetime,
               **values: Any) -> None:
    update_run(conn, run_id, status=status.value, finished_at=at, updated_at=at, **values)


# edges ------------------------------------------------------------------------------------
def swap_edge(conn: Connection, path: str, key: str, value: bool, at: datetime) -> bool:
    """Store the condition's value for (path, key); returns the value it had (false if new)."""
    conn.execute(_insert(conn)(edges).values(path=path, key=key, value=False, changed_at=at)
                 .on_conflict_do_nothing(index_elements=["path", "key"]))
    where = (edges.c.path == path) & (edges.c.key == key)
    previous = bool(conn.execute(_locked(conn, sa.select(edges.c.value).where(where)))
                    .scalar_one())
    if previous != value:
        conn.execute(edges.update().where(where).values(value=value, changed_at=at))
    return previous


def edge_value(conn: Connection, path: str, key: str) -> bool:
    found = conn.execute(sa.select(edges.c.value).where(
        edges.c.path == path, edges.c.key == key)).scalar_one_or_none()
    return bool(found)


# schedules --------------------------------------------------------------------------------
def arm_schedule(conn: Connection, path: str, every_seconds: int, next_at: datetime,
                 at: datetime) -> bool:
    """Arm a path's schedule unless it is armed already; True when this call armed it."""
    inserted = conn.execute(
        _insert(conn)(schedules).values(path=path, every_seconds=every_seconds,
                                        next_at=next_at, armed_at=at)
        .on_conflict_do_nothing(index_elements=["path"]).returning(schedules.c.path))
    return inserted.first() is not None  # rowcount is -1 for this statement on psycopg


def lock_schedule(conn: Connection, path: str) -> sa.Row[Any] | None:
    return conn.execute(_locked(conn, sa.select(schedules).where(schedules.c.path == path))).first()


def move_schedule(conn: Connection, path: str, next_at: datetime) -> None:
    conn.execute(schedules.update().where(schedules.c.path == path).values(next_at=next_at))
