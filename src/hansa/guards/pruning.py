"""When a rolling-window log (changes, call outcomes) may forget what fell out of its window.

A write prunes its scope at most once per quarter of the window per process: readers filter
by time anyway, so rows past the window only wait a little longer to go, and the hot write
path is one insert instead of a delete and an insert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

_last: dict[tuple[str, int, str], datetime] = {}  # (log, engine, scope) -> last prune here


def due(log: str, conn: Connection, scope: str, at: datetime, keep: timedelta) -> bool:
    """True (and noted) when `log`'s `scope` should be pruned now."""
    slot = (log, id(conn.engine), scope)
    last = _last.get(slot)
    if last is None or at - last >= keep / 4 or at < last:
        _last[slot] = at
        return True
    return False
