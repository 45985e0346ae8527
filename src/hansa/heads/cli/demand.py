"""`hansa demand ...`: ingest signal files, fit baselines, list spikes, replenishment numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hansa.heads.cli.common import DbOption, JsonOption, booted, console

demand_app = typer.Typer(help="Demand sensing: signals, baselines, spikes, replenishment.",
                         no_args_is_help=True)
BATCH = 1000


def read_signals(path: Path) -> list[dict[str, Any]]:
    """JSON lines, a JSON array, or an NWS alert FeatureCollection (each alert one signal)."""
    text = path.read_text()
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" in stripped.strip():
        items: list[Any] = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        loaded = json.loads(text)
        if isinstance(loaded, dict) and loaded.get("type") == "FeatureCollection":
            items = [{"kind": "weather_alert", "alert": f} for f in loaded.get("features", [])]
        elif isinstance(loaded, dict):
            items = list(loaded.get("signals", [loaded]))
        else:
            items = list(loaded)
    return [i for i in items if isinstance(i, dict)]


def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]


@demand_app.command("signals")
def signals_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="JSON lines, a JSON array or NWS alerts")],
    source: Annotated[str, typer.Option("--source", help="where the signals come from")] = "file",
    backfill: Annotated[bool, typer.Option(
        "--backfill", help="history before going live: counted for the baselines, "
                           "not run through the spike detector")] = False,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Ingest a file of signals in batches of 1,000 (each batch all or nothing)."""
    from hansa.demand.messages import IngestSignals

    items = read_signals(file)
    totals = {"signals": 0, "alerts": 0, "spikes_fired": 0, "spikes_closed": 0}
    with booted(db) as hansa, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, disable=as_json,
    ) as progress:
        task = progress.add_task(f"ingesting {file.name}", total=len(items))
        for batch in _batches(items):
            done = hansa.bus.execute(IngestSignals(signals=tuple(batch), source=source,
                                                   backfill=backfill))
            hansa.worker.run_until_idle()
            totals["signals"] += done.signals
            totals["alerts"] += done.alerts
            totals["spikes_fired"] += len(done.fired)
            totals["spikes_closed"] += len(done.closed)
            progress.advance(task, len(batch))
    if as_json:
        typer.echo(json.dumps(totals))
    else:
        console.print(f"{totals['signals']} signals ({totals['alerts']} weather alerts); "
                      f"{totals['spikes_fired']} spikes confirmed, {totals['spikes_closed']} "
                      f"subsided")


@demand_app.command("zones")
def zones_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=(
        "CSV code,postal_code; JSON areas; or a GeoJSON FeatureCollection of NWS zones"))],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Load which postal codes / polygon each NWS zone, county (UGC) or SAME code covers, so
    alerts that name only those codes cover the right places."""
    from hansa.demand.messages import LoadZoneAreas
    from hansa.demand.zones import read_areas

    areas = read_areas(file.read_text())
    with booted(db) as hansa:
        result = hansa.bus.execute(LoadZoneAreas(areas=tuple(areas)))
    if as_json:
        typer.echo(json.dumps(result))
    else:
        console.print(f"{result['areas']} areas ({result['cells']} cells); "
                      f"{result['alerts_updated']} alerts in force now cover them")


@demand_app.command("fit")
def fit_command(kind: Annotated[str, typer.Option("--kind")] = "add_to_cart",
                days: Annotated[int, typer.Option("--days", help="history in days")] = 28,
                db: DbOption = None, as_json: JsonOption = False) -> None:
    """Refit the baselines of one signal kind from the hourly velocities (statsforecast)."""
    from hansa.demand.messages import FitBaselines

    with booted(db) as hansa, console.status(f"fitting {kind} baselines", spinner="dots"):
        result = hansa.bus.execute(FitBaselines(kind=kind, history_days=days))
    if as_json:
        typer.echo(json.dumps(result))
    else:
        console.print(f"{result['series']} baselines in {result['seconds']} s: "
                      f"{result['methods']}")


@demand_app.command("spikes")
def spikes_command(status: Annotated[str | None, typer.Option("--status")] = None,
                   limit: Annotated[int, typer.Option("--limit")] = 50,
                   db: DbOption = None, as_json: JsonOption = False) -> None:
    """Confirmed spikes, newest first, with their evidence."""
    from hansa.demand import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        found = queries.spikes(conn, status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps(found, default=str))
        return
    table = Table("opened", "item", "postal", "zone", "ratio", "observed/expected", "p",
                  "status", "evidence")
    for s in found:
        v = s["verdict"]
        evidence = ", ".join(str(e.get("event") or e.get("type")) for e in s["evidence"])
        table.add_row(f"{s['opened_at']:%Y-%m-%d %H:%M}", s["item"], s["postal_code"],
                      s["zone"], f"x{v['ratio']:.2f}", f"{v['observed']}/{v['expected']:.1f}",
                      f"{v['p_value']:.2g}", s["status"], evidence or "-")
    console.print(table)


@demand_app.command("plan")
def plan_command(sku: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The replenishment numbers for a SKU: forecast, error, lead time, s, S, position."""
    from hansa.demand import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        s = hansa.settings
        numbers = queries.plan_for(conn, sku, service_level=s.demand_service_level,
                                   review_hours=s.demand_review_hours,
                                   cart_to_order=s.demand_cart_to_order)
    if as_json:
        typer.echo(json.dumps(numbers))
        return
    table = Table("", "value", title=f"replenishment for {numbers['sku']}")
    for key, value in numbers.items():
        if key != "sku":
            table.add_row(key.replace("_", " "), str(value))
    console.print(table)
