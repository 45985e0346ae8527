"""Manual kill switches: global, per path, per supplier feed. Engaged means nothing runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.guards.model import GLOBAL_SCOPE, Verdict
from hansa.guards.store import kill_switches

# Every engaged switch (a handful at most; usually none), filtered here: a fixed statement
# is cheaper on every guarded step than an IN list expanded per call.
_ENGAGED = sa.select(kill_switches).where(kill_switches.c.engaged.is_(True)).order_by(
    kill_switches.c.scope)


@dataclass(frozen=True, slots=True)
class KillSwitch:
    scope: str
    engaged: bool
    reason: str
    actor: str
    changed_at: datetime


def _view(row: sa.Row) -> KillSwitch:
    return KillSwitch(row.scope, row.engaged, row.reason, row.actor, row.changed_at)


def engaged_switch(conn: Connection, scopes: Iterable[str]) -> KillSwitch | None:
    """The engaged switch covering any of `scopes` (the global switch always counts)."""
    wanted = {GLOBAL_SCOPE, *scopes}
    row = next((r for r in conn.execute(_ENGAGED) if r.scope in wanted), None)
    return None if row is None else _view(row)


def check(conn: Connection, scopes: Iterable[str]) -> Verdict:
    """A verdict for the guard log: blocked when a covering kill switch is engaged."""
    return verdict_of(engaged_switch(conn, scopes))


def verdict_of(switch: KillSwitch | None) -> Verdict:
    """`check`'s verdict for a switch already read (None: none engaged covers the scope)."""
    if switch is None:
        return Verdict(guard="kill-switch", allowed=True)
    return Verdict(guard=f"kill-switch:{switch.scope}", allowed=False, detector="kill_switch",
                   reason=f"kill switch {switch.scope} engaged by {switch.actor}: {switch.reason}")


def set_switch(conn: Connection, scope: str, *, engaged: bool, reason: str, actor: str,
               at: datetime) -> None:
    values = {"engaged": engaged, "reason": reason, "actor": actor, "changed_at": at}
    updated = conn.execute(kill_switches.update().where(kill_switches.c.scope == scope)
                           .values(**values)).rowcount
    if not updated:
        conn.execute(kill_switches.insert().values(scope=scope, **values))


def switches(conn: Connection) -> list[KillSwitch]:
    return [_view(r) for r in conn.execute(sa.select(kill_switches)
                                           .order_by(kill_switches.c.scope))]
