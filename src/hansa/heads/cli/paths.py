"""`hansa paths ...`: list paths and flows, add, enable, disable, dry-run, run history,
and resume or cancel a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hansa.heads.cli.common import DbOption, booted, console

paths_app = typer.Typer(help="Automation paths and merchant flows.", no_args_is_help=True)



@paths_app.command("list")
def list_command(db: DbOption = None) -> None:
    """Code paths and flows, with their trigger and enabled state."""
    from hansa.automation import flow_store
    from hansa.automation.flow_paths import trigger_label

    table = Table("name", "kind", "trigger", "enabled", "version")
    with booted(db) as hansa, hansa.db.read() as conn:
        stored = {row.name: row for row in flow_store.load_flows(conn)}
        for path in hansa.engine.paths:
            if path.name not in stored:
                table.add_row(path.name, "code", trigger_label(path), "yes", "")
        for row in stored.values():
            table.add_row(row.name, "flow", row.trigger, "yes" if row.enabled else "no",
                          str(row.version))
    console.print(table)


@paths_app.command("add")
def add_command(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                db: DbOption = None) -> None:
    """Create a flow from a YAML or JSON file (by its suffix)."""
    from hansa.automation.flow_messages import CreateFlow

    fmt = "json" if file.suffix.lower() == ".json" else "yaml"
    with booted(db) as hansa:
        created = hansa.bus.execute(CreateFlow(definition=file.read_text(), format=fmt))
    console.print(f"flow {created['name']} v{created['version']} created "
                  f"({'enabled' if created['enabled'] else 'disabled'}); webhook secret: "
                  f"{created['webhook_secret']}", highlight=False)


@paths_app.command("enable")
def enable_command(name: str, db: DbOption = None) -> None:
    """Enable a flow (takes effect on the next event, in every process)."""
    from hansa.automation.flow_messages import EnableFlow

    with booted(db) as hansa:
        hansa.bus.execute(EnableFlow(name=name))
    console.print(f"flow {name} enabled")


@paths_app.command("disable")
def disable_command(name: str, db: DbOption = None) -> None:
    """Disable a flow (takes effect on the next event, in every process)."""
    from hansa.automation.flow_messages import DisableFlow

    with booted(db) as hansa:
        hansa.bus.execute(DisableFlow(name=name))
    console.print(f"flow {name} disabled")


@paths_app.command("dry-run")
def dry_run_command(name: str, event: Annotated[str, typer.Option(
        "--event", help="the trigger event's data as JSON")], db: DbOption = None) -> None:
    """Evaluate a flow for an event: the condition and the steps it would run; writes nothing."""
    try:
        payload = json.loads(event)
    except json.JSONDecodeError as exc:
        console.print(f"[red]--event is not JSON: {exc}[/]")
        raise typer.Exit(2) from None
    with booted(db) as hansa:
        assert hansa.flows is not None
        result = hansa.flows.dry_run(name, payload)
    console.print(f"condition: {result['condition']}  fires: {result['fires']}")
    for reason in result["decision"]["reasons"]:
        console.print(f"  - {reason}", highlight=False)
    table = Table("step", "command", "compensation", "params")
    for step in result["decision"]["steps"]:
        table.add_row(step["name"], step["command_type"].rsplit(".", 1)[-1],
                      (step["compensation_type"] or "").rsplit(".", 1)[-1],
                      json.dumps(step["command"], sort_keys=True))
    console.print(table)


@paths_app.command("history")
def history_command(path: Annotated[str | None, typer.Option("--path")] = None,
                    status: Annotated[str | None, typer.Option("--status")] = None,
                    limit: Annotated[int, typer.Option("--limit")] = 50,
                    as_json: Annotated[bool, typer.Option("--json")] = False,
                    db: DbOption = None) -> None:
    """Recent runs, newest first (with --json: each run with its steps)."""
    from hansa.automation import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        runs = queries.runs(conn, path=path, status=status, limit=limit)
        if as_json:
            from hansa.heads.api.views import as_json as plain

            full = [plain(queries.run(conn, r.id)) for r in runs]
            typer.echo(json.dumps(full, default=str, indent=2))
            return
        table = Table("run", "path", "status", "trigger", "started", "seconds", "reasons")
        for r in runs:
            seconds = "" if r.duration_seconds is None else f"{r.duration_seconds:.3f}"
            table.add_row(r.id, r.path, r.status, r.trigger_type,
                          r.started_at.isoformat(timespec="seconds"), seconds,
                          "; ".join(r.reasons))
    console.print(table)


@paths_app.command("resume")
def resume_command(run_id: str, db: DbOption = None) -> None:
    """Go on with a blocked run from the step that was blocked (run the worker to act)."""
    from hansa.automation.messages import ResumeRun

    with booted(db) as hansa:
        hansa.bus.execute(ResumeRun(run_id=run_id, actor="cli"))
    console.print(f"run {run_id} resumed")


@paths_app.command("cancel")
def cancel_command(run_id: str,
                   reason: Annotated[str, typer.Option("--reason", help="why it is stopped")],
                   db: DbOption = None) -> None:
    """Stop an unfinished run; its completed steps are compensated (run the worker to act)."""
    from hansa.automation.messages import CancelRun

    with booted(db) as hansa:
        hansa.bus.execute(CancelRun(run_id=run_id, reason=reason, actor="cli"))
    console.print(f"run {run_id} cancelled; compensations are queued")
