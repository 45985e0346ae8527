"""Carrier health: a breaker per carrier and lane, tripped by the share of troubled scans."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from hansa.guards import breakers, detectors
from hansa.guards.model import BreakerState, Verdict
from hansa.logistics import store

WINDOW = timedelta(hours=12)
MAX_TROUBLED_SHARE = 0.25
MIN_EVENTS = 20
COOLDOWN = timedelta(hours=6)


def breaker_name(carrier: str, lane: str) -> str:
    return f"carrier:{carrier}:{lane}"


def record_outcome(conn: Connection, carrier: str, lane: str, troubled: bool,
                   at: datetime) -> Verdict | None:
    """Count one scan (or missed scan) of the lane; the refusing verdict when it trips the
    breaker now, else None. A good outcome closes a half-open breaker."""
    conn.execute(store.lane_outcomes.insert(), {"carrier": carrier, "lane": lane,
                                                "troubled": troubled, "at": at})
    name = breaker_name(carrier, lane)
    breaker = breakers.load(conn, name)
    state = breaker.current_state(at) if breaker is not None else BreakerState.CLOSED
    if state is BreakerState.OPEN:
        return None
    if state is BreakerState.HALF_OPEN and not troubled:
        breakers.record_success(conn, name, at)
        return None
    if not troubled:  # a good outcome only lowers the rate: it cannot trip the breaker
        return None
    verdict = detectors.error_rate(store.lane_window(conn, carrier, lane, at - WINDOW), now=at,
                                   window=WINDOW, max_rate=MAX_TROUBLED_SHARE,
                                   min_events=MIN_EVENTS, guard=name)
    if verdict.allowed:
        return None
    breakers.ensure(conn, name, at, cooldown=COOLDOWN)
    breakers.trip(conn, name, verdict, at)
    return verdict


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
