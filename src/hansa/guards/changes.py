"""Recent changes per scope, for rate breakers ("share of SKUs a feed changed per minute").

Only the window a breaker looks at is kept: writes prune what has fallen out of it, now and
then (`pruning.due`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards import pruning
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


def record(conn: Connection, scope: str, key: str, at: datetime, *, keep: timedelta) -> None:
    """Log one change; now and then forget the scope's changes older than `keep`."""
    if pruning.due("changes", conn, scope, at, keep):
        conn.execute(_PRUNE, {"scope": scope, "before": at - keep})
    conn.execute(_APPEND, {"scope": scope, "subject_key": key, "at": at})
