"""`hansa guards ...`: breakers, kill switches and quarantined inputs from the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from hansa.heads.cli.common import ActorOption, DbOption, booted, console, operator

guards_app = typer.Typer(help="Guards: circuit breakers, kill switches, quarantine.",
                         no_args_is_help=True)



def _when(moment: Any) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def _execute(db: str | None, make: Callable[[], Any]) -> Any:
    with booted(db) as hansa:
        return hansa.bus.execute(make())


@guards_app.command("breakers")
def breakers_command(db: DbOption = None) -> None:
    """List the breakers and their state now."""
    from hansa.guards import queries

    table = Table("name", "state", "reason", "opened at", "trips", "dry-run")
    with booted(db) as hansa, hansa.db.read() as conn:
        now = hansa.clock.now()
        for b in queries.breakers(conn):
            table.add_row(b.name, b.current_state(now).value, b.reason, _when(b.opened_at),
                          str(b.trips), "yes" if b.dry_run else "")
    console.print(table)


@guards_app.command("reset")
def reset_command(name: str, db: DbOption = None, actor: ActorOption = "") -> None:
    """Close a breaker by hand."""
    from hansa.guards.messages import ResetBreaker

    closed = _execute(db, lambda: ResetBreaker(name=name, actor=actor or operator()))
    console.print(f"breaker {name} {'closed' if closed else 'was already closed'}")


@guards_app.command("kill")
def kill_command(scope: Annotated[str, typer.Argument(help="global, path:<name>, feed:<code>")],
                 reason: Annotated[str, typer.Option("--reason", help="why")],
                 db: DbOption = None, actor: ActorOption = "") -> None:
    """Engage a kill switch: everything it covers stops before anything is applied."""
    from hansa.guards.messages import EngageKillSwitch

    _execute(db, lambda: EngageKillSwitch(scope=scope, reason=reason, actor=actor or operator()))
    console.print(f"kill switch {scope} engaged")


@guards_app.command("release")
def release_command(scope: str, db: DbOption = None, actor: ActorOption = "") -> None:
    """Release a kill switch."""
    from hansa.guards.messages import ReleaseKillSwitch

    _execute(db, lambda: ReleaseKillSwitch(scope=scope, actor=actor or operator()))
    console.print(f"kill switch {scope} released")


@guards_app.command("switches")
def switches_command(db: DbOption = None) -> None:
    """List the kill switches."""
    from hansa.guards import queries

    table = Table("scope", "engaged", "reason", "by", "changed at")
    with booted(db) as hansa, hansa.db.read() as conn:
        for s in queries.kill_switches(conn):
            table.add_row(s.scope, "ENGAGED" if s.engaged else "released", s.reason, s.actor,
                          _when(s.changed_at))
    console.print(table)


@guards_app.command("quarantine")
def quarantine_command(db: DbOption = None,
                       status: Annotated[str, typer.Option(
                           help="pending, approved, rejected or all")] = "pending",
                       limit: Annotated[int, typer.Option(min=1, max=500)] = 100) -> None:
    """List quarantined inputs, newest first."""
    from hansa.guards import queries

    table = Table("id", "source", "subject", "field", "value", "last good", "reason", "status",
                  "at")
    with booted(db) as hansa, hansa.db.read() as conn:
        for q in queries.quarantined(conn, status=None if status == "all" else status,
                                     limit=limit):
            table.add_row(q.id, q.source, q.subject_key, q.field, json.dumps(q.value),
                          json.dumps(q.last_good), q.reason, q.status, _when(q.created_at))
    console.print(table)


@guards_app.command("approve")
def approve_command(quarantine_id: str, db: DbOption = None, actor: ActorOption = "") -> None:
    """Apply a quarantined input as received."""
    from hansa.guards.messages import ApproveQuarantined

    _execute(db, lambda: ApproveQuarantined(quarantine_id=quarantine_id, actor=actor or operator()))
    console.print(f"approved and applied {quarantine_id}")


@guards_app.command("reject")
def reject_command(quarantine_id: str, db: DbOption = None, actor: ActorOption = "") -> None:
    """Discard a quarantined input; the last good value stays."""
    from hansa.guards.messages import RejectQuarantined

    _execute(db, lambda: RejectQuarantined(quarantine_id=quarantine_id, actor=actor or operator()))
    console.print(f"rejected {quarantine_id}")
