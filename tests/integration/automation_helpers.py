"""Test paths, test commands with countable side effects, and a crash injector for the engine.

`DoEffect` inserts an effect row and appends "do" to a ledger; its compensation `UndoEffect`
deletes the row and appends "undo". The ledger is append-only and commits with the step, so
counting its rows counts each side effect that really happened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hansa.automation.messages import PathCompensationDue, PathStepDue
from hansa.automation.model import Decision, Path, Schedule, StepSpec, Wait
from hansa.bootstrap import Hansa
from hansa.bus import deliveries
from hansa.bus.store import outbox
from hansa.bus.unit_of_work import UnitOfWork
from hansa.db.engine import Database
from hansa.kernel.errors import Conflict
from hansa.kernel.messages import Command, Envelope, Event

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the VirtualClock's default start
TEST_METADATA = sa.MetaData()
effects = sa.Table(
    "autotest_effects", TEST_METADATA,
    sa.Column("tag", sa.String(120), nullable=False),
    sa.Column("step", sa.Integer(), nullable=False),
)
ledger = sa.Table(
    "autotest_ledger", TEST_METADATA,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tag", sa.String(120), nullable=False),
    sa.Column("step", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("key", sa.String(120), nullable=False),
    sa.Column("worker", sa.String(20), nullable=False),  # which process did it
)


class SimulatedCrash(BaseException):
    """The process dies here: not an Exception, so no handler, dispatcher or worker catches it."""


@dataclass(frozen=True, slots=True)
class DoEffect(Command):
    tag: str
    step: int
    fail: bool = False
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class UndoEffect(Command):
    tag: str
    step: int
    idempotency_key: str = ""


@dataclass(frozen=True)
class WorkRequested(Event):
    context = "autotest"
    tag: str
    steps: int = 3
    fail_at: int | None = None
    wait_seconds: int = 0


@dataclass(frozen=True)
class LevelReported(Event):
    context = "autotest"
    key: str
    level: int


@dataclass
class Crasher:
    """Crashes the process inside the n-th step command or right after the n-th commit."""

    in_commands: set[int] = field(default_factory=set)
    after_commits: set[int] = field(default_factory=set)
    commands: int = 0
    commits: int = 0
    crashes: int = 0
    armed: bool = False

    def command_ran(self) -> None:
        if self.armed:
            self.commands += 1
            if self.commands in self.in_commands:
                self.crashes += 1
                raise SimulatedCrash(f"in command {self.commands}")

    def committed(self, _envelopes: list[Envelope]) -> None:
        if self.armed:
            self.commits += 1
            if self.commits in self.after_commits:
                self.crashes += 1
                raise SimulatedCrash(f"after commit {self.commits}")


def do_effect(command: DoEffect, uow: UnitOfWork, crasher: Crasher | None = None,
              worker: str = "") -> dict[str, Any]:
    uow.conn.execute(effects.insert().values(tag=command.tag, step=command.step))
    uow.conn.execute(ledger.insert().values(tag=command.tag, step=command.step, kind="do",
                                            key=command.idempotency_key, worker=worker))
    if crasher is not None:
        crasher.command_ran()
    if command.fail:
        raise Conflict(f"step {command.step} of {command.tag} refused")
    return {"tag": command.tag, "step": command.step}


def undo_effect(command: UndoEffect, uow: UnitOfWork, crasher: Crasher | None = None,
                worker: str = "") -> None:
    uow.conn.execute(effects.delete().where(effects.c.tag == command.tag,
                                            effects.c.step == command.step))
    uow.conn.execute(ledger.insert().values(tag=command.tag, step=command.step, kind="undo",
                                            key=command.idempotency_key, worker=worker))
    if crasher is not None:
        crasher.command_ran()


# paths -------------------------------------------------------------------------------------
def plan_work(inputs: dict[str, Any]) -> Decision:
    tag, count, fail_at = inputs["tag"], inputs["steps"], inputs["fail_at"]
    if count == 0:
        return Decision.skip("nothing to do")
    steps = [StepSpec(f"write-{i}", DoEffect(tag, i, fail=i == fail_at), UndoEffect(tag, i))
             for i in range(count)]
    if inputs["wait_seconds"]:
        steps.insert(1, StepSpec("pause", Wait(timedelta(seconds=inputs["wait_seconds"]))))
    return Decision.go(steps, f"{count} writes requested")


def work_path(name: str = "work", breakers: tuple[str, ...] = ()) -> Path:
    return Path(name=name, trigger=WorkRequested, policy=plan_work, breakers=breakers,
                commands=(DoEffect, UndoEffect))


def plan_alarm(inputs: dict[str, Any]) -> Decision:
    return Decision.go([StepSpec("alarm", DoEffect(inputs["key"], inputs["level"]))],
                       f"level {inputs['level']} reached the threshold")


def over_threshold(event: LevelReported, _conn: Any) -> bool:
    return event.level >= 10


def alarm_path(name: str = "level-alarm", *, edge: bool = True) -> Path:
    return Path(name=name, trigger=LevelReported, policy=plan_alarm, condition=over_threshold,
                edge_key=(lambda e: e.key) if edge else None, commands=(DoEffect,))


def plan_tick(inputs: dict[str, Any]) -> Decision:
    slot = inputs["slot"]
    return Decision.go([StepSpec("tick", DoEffect(slot, 0), UndoEffect(slot, 0))])


def hourly_path(*, catch_up: bool = True) -> Path:
    return Path(name="hourly", trigger=Schedule(timedelta(hours=1), catch_up=catch_up),
                policy=plan_tick, commands=(DoEffect, UndoEffect))


def install(app: Hansa, *paths: Path, crasher: Crasher | None = None, worker: str = "") -> None:
    """Create the test tables, register the test commands, then the paths."""
    TEST_METADATA.create_all(app.db.engine)
    app.bus.register(DoEffect, lambda c, u: do_effect(c, u, crasher, worker))
    app.bus.register(UndoEffect, lambda c, u: undo_effect(c, u, crasher, worker))
    if crasher is not None:
        app.bus.on_commit(crasher.committed)
    for path in paths:
        app.engine.register(path)


# observations --------------------------------------------------------------------------------
def ledger_rows(db: Database) -> list[tuple[str, int, str, str]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(ledger).order_by(ledger.c.id))
        return [(r.tag, r.step, r.kind, r.key) for r in rows]


def effect_rows(db: Database) -> list[tuple[str, int]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(effects).order_by(effects.c.tag, effects.c.step))
        return [(r.tag, r.step) for r in rows]


def ledger_by_worker(db: Database) -> Counter[str]:
    with db.read() as conn:
        return Counter(conn.execute(sa.select(ledger.c.worker)).scalars())


def expected_ledger(tag: str, steps: int, fail_at: int | None) -> list[tuple[str, int, str]]:
    """What a run of `plan_work` must leave in the ledger, in order."""
    if fail_at is None:
        return [(tag, i, "do") for i in range(steps)]
    return [(tag, i, "do") for i in range(fail_at)] + [
        (tag, i, "undo") for i in reversed(range(fail_at))]


def expected_status(fail_at: int | None) -> str:
    return "completed" if fail_at is None else "compensated" if fail_at else "failed"


def duplicates(db: Database) -> int:
    """Side effects that happened more than once (the same tag, step and kind)."""
    counts = Counter((tag, step, kind) for tag, step, kind, _ in ledger_rows(db))
    return sum(n - 1 for n in counts.values() if n > 1)


def publish(app: Hansa, *events: Event) -> list[str]:
    with app.bus.uow() as uow:
        for event in events:
            uow.record(event)
        uow.commit()
    return [envelope.id for envelope in uow.envelopes]


def outbox_position(app: Hansa) -> int:
    with app.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(outbox.c.position))).scalar() or 0)


def redeliver_everything(app: Hansa, since: int = 0) -> int:
    """Queue every event relayed after position `since` again, under the same event ids."""
    with app.db.write() as conn:
        rows = list(conn.execute(sa.select(outbox).where(
            outbox.c.relayed_at.is_not(None), outbox.c.position > since)))
        for row in rows:
            envelope = Envelope(id=row.event_id, type=row.type, subject=row.subject,
                                time=row.time, data=row.data)
            names = [c.name for c in app.bus.consumers_of(row.type)]
            deliveries.enqueue(conn, names, envelope, app.clock.now())
        conn.commit()
    return len(rows)


def duplicate_step_events(app: Hansa, since: int = 0) -> int:
    """Record a fresh copy (new event id) of every step and compensation event after `since`."""
    types = {PathStepDue.event_type(): PathStepDue,
             PathCompensationDue.event_type(): PathCompensationDue}
    with app.db.read() as conn:
        rows = list(conn.execute(sa.select(outbox.c.type, outbox.c.data)
                                 .where(outbox.c.type.in_(list(types)),
                                        outbox.c.position > since)))
    with app.bus.uow() as uow:
        for row in rows:
            uow.record(types[row.type](**row.data))
        uow.commit()
    return len(rows)
