"""Circuit breakers: closed -> open (trip) -> half-open (after cool-down) -> closed.

All functions work on the caller's transaction, so a trip commits together with the
quarantine of the input that caused it and nothing else of the operation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards.model import Breaker, BreakerState, Verdict
from hansa.guards.store import breakers, verdicts

DEFAULT_COOLDOWN = timedelta(minutes=15)

_BY_NAME = sa.select(breakers).where(breakers.c.name == sa.bindparam("name"))
_APPEND_VERDICT = verdicts.insert()


def _view(row: sa.Row) -> Breaker:
    return Breaker(name=row.name, state=BreakerState(row.state), reason=row.reason,
                   opened_at=row.opened_at, cooldown=timedelta(seconds=row.cooldown_seconds),
                   trips=row.trips, dry_run=row.dry_run)


def load(conn: Connection, name: str, *, lock: bool = False) -> Breaker | None:
    query = _BY_NAME.with_for_update() if lock and conn.dialect.name == "postgresql" else _BY_NAME
    row = conn.execute(query, {"name": name}).first()
    return None if row is None else _view(row)


def ensure(conn: Connection, name: str, at: datetime, *,
           cooldown: timedelta = DEFAULT_COOLDOWN, dry_run: bool = False) -> Breaker:
    """The breaker, created closed on first use."""
    found = load(conn, name)
    if found is not None:
        return found
    conn.execute(breakers.insert().values(
        name=name, state=BreakerState.CLOSED.value, reason="", opened_at=None,
        cooldown_seconds=int(cooldown.total_seconds()), trips=0, dry_run=dry_run,
        updated_at=at))
    return Breaker(name, BreakerState.CLOSED, "", None, cooldown, 0, dry_run)


def gate(conn: Connection, name: str, now: datetime) -> Verdict:
    """Before acting: an open breaker blocks (unless dry-run); closed and half-open let through."""
    breaker = load(conn, name)
    return Verdict(guard=name, allowed=True) if breaker is None else gate_of(breaker, now)


def gate_of(breaker: Breaker, now: datetime) -> Verdict:
    """`gate` for a breaker already loaded (and locked) by the caller."""
    if breaker.current_state(now) is not BreakerState.OPEN:
        return Verdict(guard=breaker.name, allowed=True)
    return Verdict(guard=breaker.name, allowed=False, detector="open_breaker",
                   dry_run=breaker.dry_run,
                   reason=f"breaker {breaker.name} is open since "
                          f"{breaker.opened_at:%Y-%m-%d %H:%M} UTC: {breaker.reason}")


def trip(conn: Connection, name: str, verdict: Verdict, at: datetime) -> Breaker:
    """Open the breaker for `verdict` (dry-run breakers stay closed but count the trip)."""
    breaker = ensure(conn, name, at)
    if breaker.dry_run:
        conn.execute(breakers.update().where(breakers.c.name == name)
                     .values(trips=breakers.c.trips + 1, updated_at=at))
        return breaker
    conn.execute(breakers.update().where(breakers.c.name == name).values(
        state=BreakerState.OPEN.value, reason=verdict.reason, opened_at=at,
        trips=breakers.c.trips + 1, updated_at=at))
    return Breaker(name, BreakerState.OPEN, verdict.reason, at, breaker.cooldown,
                   breaker.trips + 1, False)


def record_success(conn: Connection, name: str, at: datetime) -> bool:
    """A good input went through: a half-open breaker closes. True when it just closed."""
    breaker = load(conn, name)
    if breaker is None or breaker.current_state(at) is not BreakerState.HALF_OPEN:
        return False
    conn.execute(breakers.update().where(breakers.c.name == name).values(
        state=BreakerState.CLOSED.value, reason="", opened_at=None, updated_at=at))
    return True


def reset(conn: Connection, name: str, at: datetime) -> bool:
    """An operator closes the breaker. True when it was not closed."""
    breaker = load(conn, name)
    if breaker is None or breaker.state is BreakerState.CLOSED:
        return False
    conn.execute(breakers.update().where(breakers.c.name == name).values(
        state=BreakerState.CLOSED.value, reason="", opened_at=None, updated_at=at))
    return True


def set_dry_run(conn: Connection, name: str, dry_run: bool, at: datetime) -> None:
    ensure(conn, name, at)
    conn.execute(breakers.update().where(breakers.c.name == name)
                 .values(dry_run=dry_run, updated_at=at))


def log_verdict(conn: Connection, verdict: Verdict, subject_key: str, at: datetime) -> None:
    """Every verdict that blocked, or would have in dry-run, goes to the verdict log."""
    details: dict[str, Any] = verdict.details
    conn.execute(_APPEND_VERDICT, {
        "guard": verdict.guard, "subject_key": subject_key, "allowed": verdict.allowed,
        "dry_run": verdict.dry_run, "detector": verdict.detector or "",
        "reason": verdict.reason, "details": details, "at": at})


def open_with_prefix(conn: Connection, prefix: str, now: datetime) -> list[Breaker]:
    """Breakers named `prefix...` that block now (open, cool-down running, not dry-run)."""
    query = sa.select(breakers).where(breakers.c.name.startswith(prefix, autoescape=True),
                                      breakers.c.state != BreakerState.CLOSED.value)
    found = [_view(r) for r in conn.execute(query)]
    return [b for b in found if b.current_state(now) is BreakerState.OPEN and not b.dry_run]


def all_breakers(conn: Connection) -> list[Breaker]:
    return [_view(r) for r in conn.execute(sa.select(breakers).order_by(breakers.c.name))]
