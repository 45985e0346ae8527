"""Error-rate breakers over calls to something outside (a supplier's endpoint, a carrier's
lane): each call's outcome is kept for a window; a failure that lifts the share of failures
above the bound opens the breaker, and a success through a half-open breaker closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards import breakers, detectors, pruning
from hansa.guards.model import BreakerState, Verdict
from hansa.guards.store import outcomes

_APPEND = outcomes.insert()
_WINDOW = sa.select(outcomes.c.at, outcomes.c.ok).where(
    outcomes.c.scope == sa.bindparam("scope"), outcomes.c.at > sa.bindparam("since"))
_PRUNE = outcomes.delete().where(outcomes.c.scope == sa.bindparam("scope"),
                                 outcomes.c.at <= sa.bindparam("before"))


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """Trip when more than `max_rate` of at least `min_calls` calls within `window` failed."""

    window: timedelta = timedelta(hours=1)
    max_rate: float = 0.5
    min_calls: int = 5
    cooldown: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not 0 <= self.max_rate < 1 or self.min_calls < 1:
            raise ValueError("need 0 <= max_rate < 1 and min_calls >= 1")
        if self.window <= timedelta(0) or self.cooldown <= timedelta(0):
            raise ValueError("window and cooldown must be positive")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What recording a call did to its breaker."""

    tripped: Verdict | None = None  # the refusal, when this failure opened the breaker
    closed: bool = False  # this success closed a half-open breaker


def record(conn: Connection, name: str, ok: bool, at: datetime, rate: ErrorRate) -> Outcome:
    """Count one call to what breaker `name` guards; see the module docstring."""
    if pruning.due("outcomes", conn, name, at, rate.window):
        conn.execute(_PRUNE, {"scope": name, "before": at - rate.window})
    conn.execute(_APPEND, {"scope": name, "ok": ok, "at": at})
    if ok:  # a success only lowers the rate: it cannot trip, it can close a half-open breaker
        return Outcome(closed=breakers.record_success(conn, name, at))
    breaker = breakers.load(conn, name, lock=True)
    if breaker is not None and breaker.current_state(at) is BreakerState.OPEN:
        return Outcome()
    calls = [(row.at, row.ok) for row in conn.execute(_WINDOW, {"scope": name,
                                                                "since": at - rate.window})]
    verdict = detectors.error_rate(calls, now=at, window=rate.window, max_rate=rate.max_rate,
                                   min_events=rate.min_calls, guard=name)
    if breaker is not None and breaker.current_state(at) is BreakerState.HALF_OPEN:
        verdict = Verdict(guard=name, allowed=False, detector="half_open_probe",
                          reason=f"the probe call after the cool-down failed too "
                                 f"({verdict.details.get('failures', 1)} of "
                                 f"{verdict.details.get('events', 1)} calls failed within "
                                 f"{rate.window})", details=verdict.details)
    if verdict.allowed:
        return Outcome()
    if breakers.ensure(conn, name, at, cooldown=rate.cooldown).dry_run:
        verdict = replace(verdict, dry_run=True)  # recorded, never blocks
    breakers.log_verdict(conn, verdict, name, at)
    breakers.trip(conn, name, verdict, at)
    return Outcome(tripped=verdict)


def reopens_at(conn: Connection, name: str, now: datetime) -> datetime | None:
    """When an open breaker lets the next call through (None: it lets calls through now)."""
    breaker = breakers.load(conn, name)
    if breaker is None or breaker.current_state(now) is not BreakerState.OPEN:
        return None
    assert breaker.opened_at is not None
    return breaker.opened_at + breaker.cooldown
