"""What a guarded step asks before it runs, in one read: the engaged kill switches and the
named breakers. A path step asks both on every run; two statements cost twice the per-statement
overhead of one, and the answer is the same."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.metadata import UtcDateTime
from hansa.guards.killswitch import KillSwitch
from hansa.guards.model import GLOBAL_SCOPE, Breaker, BreakerState
from hansa.guards.store import breakers, kill_switches

_STATEMENTS: dict[int, sa.CompoundSelect] = {}


def _statement(count: int) -> sa.CompoundSelect:
    """Engaged kill switches (kind 0) and up to `count` breakers by name (kind 1), built once
    per count. The columns line up; what one kind lacks is NULL."""
    found = _STATEMENTS.get(count)
    if found is not None:
        return found

    def none(type_: Any) -> sa.ColumnElement[Any]:
        return sa.cast(sa.null(), type_)

    switches: sa.Select[Any] = sa.select(
        sa.literal_column("0").label("kind"), kill_switches.c.scope.label("name"),
        none(sa.String()).label("state"), kill_switches.c.reason, kill_switches.c.actor,
        kill_switches.c.changed_at, none(UtcDateTime()).label("opened_at"),
        none(sa.Integer()).label("cooldown_seconds"), none(sa.Integer()).label("trips"),
        none(sa.Boolean()).label("dry_run"),
    ).where(kill_switches.c.engaged.is_(True))
    named: sa.Select[Any] = sa.select(
        sa.literal_column("1"), breakers.c.name, breakers.c.state, breakers.c.reason,
        none(sa.String()), none(UtcDateTime()), breakers.c.opened_at,
        breakers.c.cooldown_seconds, breakers.c.trips, breakers.c.dry_run,
    ).where(breakers.c.name.in_([sa.bindparam(f"b{i}") for i in range(count)]))
    statement = _STATEMENTS[count] = sa.union_all(switches, named)
    return statement


def switch_and_breakers(conn: Connection, scopes: Iterable[str], names: Sequence[str]
                        ) -> tuple[KillSwitch | None, dict[str, Breaker]]:
    """The engaged kill switch covering any of `scopes` (the global one always counts; the
    first by scope when several are), and the named breakers that exist."""
    wanted = {GLOBAL_SCOPE, *scopes}
    switch: KillSwitch | None = None
    found: dict[str, Breaker] = {}
    params = {f"b{i}": name for i, name in enumerate(names)}
    for row in conn.execute(_statement(len(names)), params):
        if row.kind == 0:
            if row.name in wanted and (switch is None or row.name < switch.scope):
                switch = KillSwitch(row.name, True, row.reason, row.actor, row.changed_at)
        else:
            found[row.name] = Breaker(
                name=row.name, state=BreakerState(row.state), reason=row.reason,
                opened_at=row.opened_at, cooldown=timedelta(seconds=row.cooldown_seconds),
                trips=row.trips, dry_run=row.dry_run)
    return switch, found
