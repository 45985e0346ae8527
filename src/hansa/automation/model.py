"""Pure automation domain: paths, decisions, planned steps, run and step states, schedules.

A path is code: a trigger (an event type, a schedule or a timer after an event), an optional
condition (edge-triggered per key when `edge_key` is given), a pure policy over the gathered
inputs that returns a `Decision`, and the guards its steps consult.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hansa.kernel.messages import Command, Event

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")


class RunStatus(enum.StrEnum):
    PENDING = "pending"  # planned; no step has run yet
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"  # a step failed and nothing could be undone, or a compensation failed
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    BLOCKED = "blocked"  # a kill switch or breaker froze it; resume or cancel
    SKIPPED = "skipped"  # the policy decided not to act
    CANCELLED = "cancelled"  # an operator stopped it before any step had acted

    @property
    def finished(self) -> bool:
        return self in _FINISHED


_FINISHED = {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.COMPENSATED, RunStatus.SKIPPED,
             RunStatus.CANCELLED}


class StepStatus(enum.StrEnum):
    PLANNED = "planned"
    WAITING = "waiting"  # a timer step until its due time
    COMPLETED = "completed"
    FAILED = "failed"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Wait:
    """A timer step: the run goes on `delta` after the step starts (on the injected clock)."""

    delta: timedelta


@dataclass(frozen=True, slots=True)
class WaitUntil:
    """A timer step: the run goes on at `at` (at once if that has passed)."""

    at: datetime


Action = Command | Wait | WaitUntil


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One planned step: a command (or a wait) and, where it can be undone, its compensation."""

    name: str
    command: Action
    compensation: Command | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What a policy decided, why, from which inputs, and the steps that act on it."""

    act: bool
    reasons: list[str]
    inputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepSpec] = field(default_factory=list)

    @classmethod
    def go(cls, steps: Sequence[StepSpec], *reasons: str, **inputs: Any) -> Decision:
        return cls(act=True, reasons=list(reasons), inputs=dict(inputs), steps=list(steps))

    @classmethod
    def skip(cls, *reasons: str, **inputs: Any) -> Decision:
        return cls(act=False, reasons=list(reasons), inputs=dict(inputs))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Fire every `every`, on slots aligned to the Unix epoch (UTC).

    With `catch_up`, slots missed while nothing ran fire one after another; without it, the
    schedule jumps to the first slot after now.
    """

    every: timedelta
    catch_up: bool = True

    def __post_init__(self) -> None:
        if self.every < timedelta(seconds=1):
            raise ValueError("a schedule fires at most once a second")

    def next_slot(self, now: datetime) -> datetime:
        """The first slot strictly after `now`."""
        elapsed = now - EPOCH
        slots = elapsed // self.every + 1
        return EPOCH + self.every * slots

    def after(self, slot: datetime, now: datetime) -> datetime:
        """The slot to arm once `slot` has fired at `now`."""
        return slot + self.every if self.catch_up else max(slot + self.every, self.next_slot(now))


@dataclass(frozen=True, slots=True)
class After:
    """A timer trigger: `delay` after each `event`, the path evaluates that event."""

    event: type[Event]
    delay: timedelta


Trigger = type[Event] | Schedule | After
Policy = Callable[[dict[str, Any]], Decision]
Condition = Callable[[Any, Any], bool]  # (event, read connection) -> fire?
Gather = Callable[[Any, Any], dict[str, Any]]  # (event, read connection) -> policy inputs


@dataclass(frozen=True)
class Path:
    """An automation path; see the module docstring."""

    name: str
    trigger: Trigger
    policy: Policy
    condition: Condition | None = None
    edge_key: Callable[[Any], str] | None = None
    inputs: Gather | None = None
    breakers: tuple[str, ...] = ()
    commands: tuple[type[Command], ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"path name {self.name!r}: lowercase letters, digits, - and _")
        if self.edge_key is not None and self.condition is None:
            raise ValueError(f"path {self.name}: an edge key needs a condition")
        if not isinstance(self.trigger, Schedule | After) and not (
            isinstance(self.trigger, type) and issubclass(self.trigger, Event)
        ):
            raise ValueError(f"path {self.name}: trigger must be an Event class, Schedule or After")

    @property
    def guards(self) -> list[str]:
        """The breakers consulted before each step: the path's own, then the declared ones."""
        return [f"path:{self.name}", *(b for b in self.breakers if b != f"path:{self.name}")]

    @property
    def edge_triggered(self) -> bool:
        return self.edge_key is not None


def idempotency_key(run_id: str, index: int) -> str:
    return f"run:{run_id}:{index}"


def edge_fires(previous: bool, current: bool) -> bool:
    """An edge-triggered condition fires when its value crosses from false to true."""
    return current and not previous


def compensation_order(completed: Sequence[tuple[int, bool]], below: int) -> list[int]:
    """Indices to compensate, newest first: completed steps under `below` that can be undone.

    `completed` holds (index, has_compensation) for each completed step.
    """
    return sorted((i for i, undoable in completed if undoable and i < below), reverse=True)


def wait_due(action: Wait | WaitUntil, started: datetime) -> datetime:
    return started + action.delta if isinstance(action, Wait) else action.at
