"""Carrier health: a breaker per carrier and lane, tripped by the share of troubled scans."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from hansa.guards import breakers, outcomes
from hansa.guards.model import Verdict
from hansa.guards.outcomes import ErrorRate

# A lane's breaker: more than a quarter of at least 20 scans troubled within 12 hours.
LANE_RATE = ErrorRate(window=timedelta(hours=12), max_rate=0.25, min_calls=20,
                      cooldown=timedelta(hours=6))


def breaker_name(carrier: str, lane: str) -> str:
    return f"carrier:{carrier}:{lane}"


def record_outcome(conn: Connection, carrier: str, lane: str, troubled: bool,
                   at: datetime) -> Verdict | None:
    """Count one scan (or missed scan) of the lane; the refusing verdict when it trips the
    breaker now, else None. A good outcome closes a half-open breaker, a troubled one opens
    it again."""
    return outcomes.record(conn, breaker_name(carrier, lane), not troubled, at,
                           LANE_RATE).tripped


def closed_lanes(conn: Connection, now: datetime) -> set[tuple[str, str]]:
    """Every (carrier, lane) whose breaker is open now: one query for the whole network."""
    closed = set()
    for breaker in breakers.open_with_prefix(conn, "carrier:", now):
        _, carrier, lane = breaker.name.split(":", 2)
        closed.add((carrier, lane))
    return closed


def lane_available(conn: Connection, carrier: str, lane: str, now: datetime) -> bool:
    """May the sourcing optimiser route over this carrier and lane now?"""
    return breakers.gate(conn, breaker_name(carrier, lane), now).allowed
