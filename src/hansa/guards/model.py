"""Pure guard domain: breaker states and transitions, verdicts, kill switch scopes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

GLOBAL_SCOPE = "global"


class BreakerState(enum.StrEnum):
    CLOSED = "closed"  # inputs flow
    OPEN = "open"  # frozen: inputs are quarantined until the cool-down ends
    HALF_OPEN = "half_open"  # cool-down over: the next good input closes it, a bad one reopens


@dataclass(frozen=True, slots=True)
class Breaker:
    name: str
    state: BreakerState
    reason: str
    opened_at: datetime | None
    cooldown: timedelta
    trips: int
    dry_run: bool = False

    def current_state(self, now: datetime) -> BreakerState:
        """OPEN becomes HALF_OPEN once the cool-down has passed (no write needed to see it)."""
        if (self.state is BreakerState.OPEN and self.opened_at is not None
                and now >= self.opened_at + self.cooldown):
            return BreakerState.HALF_OPEN
        return self.state


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a guard decided about one input or step, with its reasons; recorded everywhere."""

    guard: str
    allowed: bool
    reason: str = ""
    detector: str = ""
    dry_run: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        """Dry-run verdicts are recorded but never block."""
        return not self.allowed and not self.dry_run

    def as_dict(self) -> dict[str, Any]:
        return {"guard": self.guard, "allowed": self.allowed, "reason": self.reason,
                "detector": self.detector, "dry_run": self.dry_run, "details": self.details}


def allowed(guard: str) -> Verdict:
    return Verdict(guard=guard, allowed=True)


def path_scope(path: str) -> str:
    return f"path:{path}"


def feed_scope(supplier_code: str) -> str:
    return f"feed:{supplier_code}"


def validate_scope(scope: str) -> None:
    from hansa.kernel.errors import InvalidData

    if scope == GLOBAL_SCOPE:
        return
    kind, _, name = scope.partition(":")
    if kind not in ("path", "feed") or not name:
        raise InvalidData(f"kill switch scope must be 'global', 'path:<name>' or 'feed:<code>', "
                          f"got {scope!r}", code="invalid_scope")
