"""A path's own breaker trips by itself when too many of its steps fail.

Read only when a step fails: the failures and successes of the path's steps finished within
the window (from the audit tables, so a success costs nothing extra) go through the
`error_rate` detector; above the rate, breaker `path:<name>` opens and every run of the path
blocks at its next step until the cool-down lets one step through (half-open) and it succeeds,
or an operator resets the breaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.automation.model import StepStatus
from hansa.automation.store import runs, steps
from hansa.guards import breakers
from hansa.guards.detectors import error_rate
from hansa.guards.model import Verdict

_FAILED = {StepStatus.FAILED.value}
_SUCCEEDED = {StepStatus.COMPLETED.value, StepStatus.COMPENSATED.value}
_LONGEST_RUN = timedelta(days=7)  # bounds the scan of the path's runs by their start


@dataclass(frozen=True, slots=True)
class StepFailureThresholds:
    """Trip when more than `max_rate` of at least `min_steps` steps within `window` failed."""

    max_rate: float = 0.5
    min_steps: int = 5
    window: timedelta = timedelta(minutes=10)


def _outcomes(conn: Connection, path: str, since: datetime) -> list[tuple[datetime, bool]]:
    query = (sa.select(steps.c.finished_at, steps.c.status)
             .join(runs, runs.c.id == steps.c.run_id)
             .where(runs.c.path == path, runs.c.started_at > since - _LONGEST_RUN,
                    steps.c.finished_at > since,
                    steps.c.status.in_(_FAILED | _SUCCEEDED)))
    return [(row.finished_at, row.status in _SUCCEEDED) for row in conn.execute(query)]


def after_failure(conn: Connection, path: str, now: datetime,
                  thresholds: StepFailureThresholds) -> Verdict | None:
    """Called once a failed step is recorded: the refusal when it tripped `path:<path>`."""
    name = f"path:{path}"
    verdict = error_rate(_outcomes(conn, path, now - thresholds.window), now=now,
                         window=thresholds.window, max_rate=thresholds.max_rate,
                         min_events=thresholds.min_steps, guard=name)
    if verdict.allowed:
        return None
    breakers.log_verdict(conn, verdict, path, now)
    breakers.trip(conn, name, verdict, now)
    return verdict
