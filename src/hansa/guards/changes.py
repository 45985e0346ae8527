"""Recent changes per scope, for rate breakers ("share of SKUs a feed changed per minute").

Only the window a breaker looks at is kept: writes prune what has fallen out of it, at most
once per quarter of the window per scope and process (readers filter by time anyway, so rows
past the window only wait a little longer to go).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards.store import changes

_SINCE = (sa.select(changes.c.at, changes.c.subject_key)
          .where(changes.c.scope == sa.bindparam("scope"), changes.c.at > sa.bindparam("since")))
_APPEND = changes.insert()
_PRUNE = changes.delete().where(changes.c.scope == sa.bindparam("scope"),
                                changes.c.at <= sa.bindparam("before"))


def since(conn: Connection, scope: str, at: datetime) -> list[tuple[datetime, str]]:
    """The (time, key) changes of a scope after `at`."""
    return [(row.at, row.subject_key) for row in conn.execute(_SINCE, {"scope": scope,
                                                                       "since": at})]


_pruned: dict[tuple[int, str], datetime] = {}  # (engine, scope) -> when this process last pruned


def record(conn: Connection, scope: str, key: str, at: datetime, *, keep: timedelta) -> None:
    """Log one change; now and then forget the scope's changes older than `keep`."""
    slot = (id(conn.engine), scope)
    last = _pruned.get(slot)
    if last is None or at - last >= keep / 4 or at < last:
        conn.execute(_PRUNE, {"scope": scope, "before": at - keep})
        _pruned[slot] = at
    conn.execute(_APPEND, {"scope": scope, "subject_key": key, "at": at})
