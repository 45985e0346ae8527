"""`hansa simulate SCENARIO`: automation vs baseline on one seed, as a table, JSON or report."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hansa.kernel.errors import HansaError
from hansa.sim.kpis import KPI_KEYS
from hansa.sim.scenario import SIZES, Scenario, load_scenario, scenario_names

if TYPE_CHECKING:  # the simulator itself loads only when a simulation runs
    from hansa.sim.compare import Comparison

console = Console(stderr=True)


def summary_table(comparison: Comparison) -> Table:
    """The KPI table: automation, baseline and their difference."""
    from hansa.sim.report import difference

    kpis = {name: t.as_dict() for name, t in comparison.tallies.items()}
    table = Table("KPI", "automation", "baseline", "difference",
                  title=f"{comparison.scenario.name}: {comparison.days} days, "
                        f"seed {comparison.seed}, size {comparison.size}")
    for key in (*KPI_KEYS, "orders", "missed_scans", "quarantined_rows"):
        a, b = kpis["automation"][key], kpis["baseline"][key]
        table.add_row(key, _cell(a), _cell(b), difference(a, b))
    return table


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _scenario_of(scenario: str, size: str) -> Scenario:
    """The scenario to run at a known size, or a clear error and exit code 2."""
    if size not in SIZES:
        console.print(f"[red]unknown size {size!r}; one of {', '.join(SIZES)}[/]")
        raise typer.Exit(2)
    try:
        return load_scenario(scenario)
    except HansaError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(2) from None


def simulate(
    scenario: Annotated[str, typer.Argument(
        help=f"a shipped scenario ({', '.join(scenario_names())}) or a YAML file")],
    days: Annotated[int, typer.Option(min=1, max=3_650, help="simulated days")] = 14,
    seed: Annotated[int, typer.Option(help="the world's random seed")] = 1,
    size: Annotated[str, typer.Option(help=f"business size: {', '.join(SIZES)}")] = "small",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="write an HTML report with PNG charts into this folder")] = None,
) -> None:
    """Run SCENARIO twice on the same seed (automation vs baseline) and compare the KPIs."""
    from hansa.sim.compare import POLICIES, compare
    from hansa.sim.report import write_report

    loaded = _scenario_of(scenario, size)
    with Progress(TextColumn("[bold]{task.description}[/]"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  disable=not console.is_terminal) as bar:
        tasks = {p: bar.add_task(f"{loaded.name} / {p}", total=days) for p in POLICIES}

        def tick(policy: str, done: int) -> None:
            bar.update(tasks[policy], completed=done)

        comparison = compare(loaded, days=days, seed=seed, size_name=size, size=SIZES[size],
                             progress=tick)
    if report is not None:
        page = write_report(comparison, report)
        console.print(f"report written to {page}")
    if as_json:
        sys.stdout.write(json.dumps(comparison.as_json(), sort_keys=False) + "\n")
    else:
        Console().print(summary_table(comparison))


def live_demo(scenario: str, *, days: int, seed: int, size: str, hour_seconds: float,
              db_path: Path, host: str, port: int, admin_token: str) -> None:
    """`hansa demo --scenario`: replay SCENARIO live against the real server (sim.live)."""
    from hansa.sim.live import LiveDemo

    loaded = _scenario_of(scenario, size)
    for leftover in (db_path, *db_path.parent.glob(f"{db_path.name}-*")):
        leftover.unlink(missing_ok=True)  # a replay starts from its own fresh world
    console.print(f"building the {loaded.name} world ({size}, seed {seed}) in {db_path} ...")
    demo = LiveDemo(loaded, SIZES[size], seed, f"sqlite:///{db_path}")
    try:
        with demo.serving(host, port) as base:
            _print_live_urls(base, admin_token)
            with Progress(TextColumn("[bold]{task.description}[/]"), BarColumn(),
                          MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
                task = bar.add_task(f"{loaded.name}: simulated hours", total=days * 24)

                def watch(day: int, hour: int) -> None:
                    now = demo.sim.clock.now()
                    bar.update(task, completed=day * 24 + hour + 1,
                               description=f"{loaded.name}: {now:%a %d %b %H:00} UTC, "
                                           f"{demo.sim.tally.orders:,} orders")

                tally = demo.play(days, hour_seconds, watch)
            Console().print(_live_table(loaded.name, days, tally.as_dict()))
            console.print(f"the replay is over; still serving {base} (Ctrl-C to stop)")
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        demo.close()


def _print_live_urls(base: str, admin_token: str) -> None:
    console.print(f"[bold green]live[/] at {base} (the world's clock, not yours)")
    console.print(f"  storefront page   {base}/?postal_code=10001")
    console.print(f"  admin orders      {base}/admin/orders")
    console.print(f"  demand spikes     {base}/admin/demand/spikes")
    console.print(f"  automation runs   {base}/admin/paths/runs")
    console.print(f"  breakers          {base}/admin/guards/breakers")
    console.print(f"  API docs          {base}/docs  (admin: Authorization: Bearer {admin_token})")


def _live_table(name: str, days: int, kpis: dict[str, object]) -> Table:
    table = Table("KPI", "automation", title=f"{name}: {days} days, live")
    for key in (*KPI_KEYS, "orders"):
        table.add_row(key, _cell(kpis.get(key)))
    return table
