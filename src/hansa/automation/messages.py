"""Automation events (the engine's own durable steps and timers) and operator commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True)
class PathStepDue(Event):
    """Run step `index` of run `run_id` (recorded with a `deliver_at` for timer steps)."""

    context = "automation"
    run_id: str
    index: int

    def subject(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class PathCompensationDue(Event):
    """Undo step `index` of run `run_id`."""

    context = "automation"
    run_id: str
    index: int

    def subject(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class PathScheduleDue(Event):
    """A schedule slot of a path has come (recorded with `deliver_at` = the slot)."""

    context = "automation"
    path: str
    slot: str  # ISO 8601 UTC

    def subject(self) -> str:
        return self.path


@dataclass(frozen=True)
class PathTimerDue(Event):
    """The delay of an `After` trigger has passed for the event it carries."""

    context = "automation"
    path: str
    trigger_id: str | None
    trigger_type: str
    trigger_data: dict[str, Any]

    def subject(self) -> str:
        return self.path


@dataclass(frozen=True)
class PathRunBlocked(Event):
    """An alert: a kill switch or breaker froze a run before one of its steps."""

    context = "automation"
    run_id: str
    path: str
    index: int
    reason: str

    def subject(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class PathRunFinished(Event):
    """A run ended: completed, compensated, failed or skipped."""

    context = "automation"
    run_id: str
    path: str
    status: str

    def subject(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class ResumeRun(Command):
    """Go on with a blocked run from the step that was blocked."""

    run_id: str
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class CancelRun(Command):
    """Stop an unfinished run and compensate its completed steps."""

    run_id: str
    reason: str
    actor: str = "operator"
