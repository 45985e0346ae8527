"""Guard commands and events (events double as alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class EngageKillSwitch(Command):
    scope: str
    reason: str
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class ReleaseKillSwitch(Command):
    scope: str
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class ResetBreaker(Command):
    name: str
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class SetBreakerDryRun(Command):
    name: str
    dry_run: bool


@dataclass(frozen=True, slots=True)
class ApproveQuarantined(Command):
    """Apply a quarantined input as it was received, past the detectors."""

    quarantine_id: str
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class RejectQuarantined(Command):
    """Discard a quarantined input; the last good value stays in force."""

    quarantine_id: str
    actor: str = "operator"


@dataclass(frozen=True)
class KillSwitchEngaged(Event):
    context = "guards"
    scope: str
    reason: str
    actor: str

    def subject(self) -> str:
        return self.scope


@dataclass(frozen=True)
class KillSwitchReleased(Event):
    context = "guards"
    scope: str
    actor: str

    def subject(self) -> str:
        return self.scope


@dataclass(frozen=True)
class BreakerTripped(Event):
    """An alert: a breaker opened (or a dry-run breaker would have)."""

    context = "guards"
    breaker: str
    reason: str
    detector: str
    dry_run: bool
    details: dict[str, Any]

    def subject(self) -> str:
        return self.breaker


@dataclass(frozen=True)
class BreakerClosed(Event):
    context = "guards"
    breaker: str
    how: str  # "recovered" (half-open probe passed) or "reset" (by an operator)

    def subject(self) -> str:
        return self.breaker


@dataclass(frozen=True)
class InputQuarantined(Event):
    context = "guards"
    quarantine_id: str
    source: str
    subject_key: str
    field: str
    reason: str

    def subject(self) -> str:
        return self.quarantine_id


@dataclass(frozen=True)
class QuarantineDecided(Event):
    context = "guards"
    quarantine_id: str
    decision: str  # approved or rejected
    actor: str

    def subject(self) -> str:
        return self.quarantine_id
