"""The `hansa` command: serve, demo, database and seed commands, dead letters."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hansa.config import Settings
from hansa.heads.cli.common import DbOption, console
from hansa.heads.cli.demand import demand_app
from hansa.heads.cli.guards import guards_app
from hansa.heads.cli.logistics import logistics_app
from hansa.heads.cli.paths import paths_app
from hansa.heads.cli.suppliers import suppliers_app
from hansa.sim.cli import simulate

app = typer.Typer(help="Hansa: an engine for algorithmic commerce.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
seed_app = typer.Typer(help="Seed data.", no_args_is_help=True)
bus_app = typer.Typer(help="The message bus: dead letters and backlog.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(bus_app, name="bus")
app.add_typer(guards_app, name="guards")
app.add_typer(paths_app, name="paths")
app.command("simulate")(simulate)
app.add_typer(logistics_app, name="logistics")
app.add_typer(suppliers_app, name="suppliers")
app.add_typer(demand_app, name="demand")

BusOption = Annotated[str | None, typer.Option("--bus", help="memory or nats [default: memory]")]


def _settings(db: str | None = None, bus: str | None = None, **extra: object) -> Settings:
    overrides: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if db:
        overrides["db"] = db
    if bus:
        overrides["bus"] = bus
    return Settings(**overrides)  # type: ignore[arg-type]


def _seed(hansa: object, products: int) -> None:
    from hansa.bootstrap import Hansa
    from hansa.demo.seed import seed_demo

    assert isinstance(hansa, Hansa)
    with Progress(TextColumn("[bold]seeding[/] {task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("start", total=6)

        def tick(step: str, done: int, _total: int) -> None:
            bar.update(task, completed=done, description=step)

        report = seed_demo(hansa, products=products, progress=tick)
    hansa.worker.run_until_idle()
    console.print(
        f"seeded {report.products} products ({report.variants} variants), "
        f"{report.locations} locations, {report.channels} channels, "
        f"{report.suppliers} suppliers, {report.stock_units} units of stock"
    )


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the schema to the newest revision."""
    from hansa import migrations
    from hansa.db.engine import Database

    database = Database(_settings(db).db)
    migrations.upgrade(database)
    console.print(f"schema at revision {migrations.current(database)} on {database.dialect}")
    database.dispose()


@seed_app.command("demo")
def seed_demo_command(db: DbOption = None,
                      products: Annotated[int, typer.Option(min=10, max=5000)] = 200) -> None:
    """Seed the demo merchant: three channels, ~200 products, 8 locations, 5 suppliers."""
    from hansa.bootstrap import bootstrap

    hansa = bootstrap(_settings(db), migrate=True)
    try:
        _seed(hansa, products)
    except RuntimeError as exc:
        console.print(f"[yellow]{exc}[/]")
        raise typer.Exit(1) from None
    finally:
        hansa.close()


def _run_server(settings: Settings, seed_products: int | None = None) -> None:
    import uvicorn

    from hansa.bootstrap import bootstrap
    from hansa.channels import queries as channel_queries
    from hansa.heads.api.app import create_app

    started = time.perf_counter()
    hansa = bootstrap(settings, migrate=True)
    if seed_products is not None:
        with hansa.db.read() as conn:
            empty = not channel_queries.channels(conn)
        if empty:
            _seed(hansa, seed_products)
        else:
            console.print("database already seeded; serving it as it is")
    with hansa.db.read() as conn:
        keys = [c.key for c in channel_queries.channels(conn)]
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold green]Hansa[/] on {hansa.db.dialect} with the {settings.bus} bus "
                  f"(booted in {time.perf_counter() - started:.2f} s)")
    console.print(f"  storefront page  {base}/")
    for key in keys:
        console.print(f"  storefront API   {base}/store/products  (X-Channel-Key: {key})")
    console.print(f"  admin API        {base}/admin  (Authorization: Bearer <HANSA_ADMIN_TOKEN>)")
    console.print(f"  API docs         {base}/docs")
    console.print(f"  health, metrics  {base}/healthz  {base}/metrics")
    uvicorn.run(create_app(hansa), host=settings.host, port=settings.port,
                log_level=settings.log_level, access_log=False)


@app.command()
def serve(db: DbOption = None, bus: BusOption = None,
          host: Annotated[str | None, typer.Option()] = None,
          port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve the API and run the bus relay in one process."""
    _run_server(_settings(db, bus, host=host, port=port))


def run_worker(hansa: object, *, ready: str = "worker ready") -> None:
    """Run the bus worker (relay and consumers, so paths run) until SIGTERM or SIGINT."""
    import signal
    import threading

    from hansa.bootstrap import Hansa

    assert isinstance(hansa, Hansa)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        hansa.engine.arm_schedules()
        hansa.worker.start()
        console.print(f"{ready}: {hansa.db.dialect}, {hansa.settings.bus} bus, "
                      f"{len(hansa.engine.paths)} paths", highlight=False)
        while not stop.wait(0.5):
            pass
    finally:
        hansa.close()
    console.print("worker stopped", highlight=False)


@app.command()
def worker(db: DbOption = None, bus: BusOption = None,
           migrate: Annotated[bool, typer.Option(help="upgrade the schema first")] = True) -> None:
    """Run the bus worker without the HTTP server; stops cleanly on SIGTERM or SIGINT."""
    from hansa.bootstrap import bootstrap

    run_worker(bootstrap(_settings(db, bus), migrate=migrate))


@app.command()
def demo(db: DbOption = None,
         port: Annotated[int | None, typer.Option()] = None,
         products: Annotated[int, typer.Option(min=10, max=5000)] = 200,
         scenario: Annotated[str | None, typer.Option(
             help="replay this simulator scenario live against the server instead")] = None,
         days: Annotated[int, typer.Option(min=1, max=365, help="with --scenario")] = 14,
         seed: Annotated[int, typer.Option(help="with --scenario")] = 1,
         size: Annotated[str, typer.Option(help="with --scenario: tiny, small, medium, "
                                                "bench")] = "small",
         hour_seconds: Annotated[float, typer.Option(
             min=0, help="with --scenario: wall seconds per simulated hour")] = 1.0) -> None:
    """The main job on the embedded default: migrate, seed the demo merchant once, serve.

    With --scenario, a simulator scenario's world is built in its own database and replayed
    hour by hour while the server runs, so the storefront and the admin API move as you
    watch."""
    settings = _settings(db, "memory", port=port)
    if scenario is not None:
        from hansa.sim.cli import live_demo

        if db and not settings.db.startswith("sqlite:///"):
            console.print("[red]a live replay builds its world in a SQLite file[/]")
            raise typer.Exit(2)
        path = (Path(settings.db.removeprefix("sqlite:///")) if db
                else Path(f"hansa-live-{Path(scenario).stem}.db"))
        live_demo(scenario, days=days, seed=seed, size=size, hour_seconds=hour_seconds,
                  db_path=path.resolve(), host=settings.host, port=settings.port,
                  admin_token=settings.admin_token)
        return
    if settings.db.startswith("sqlite:///./"):
        console.print(f"database: {Path(settings.db.removeprefix('sqlite:///')).resolve()}")
    _run_server(settings, seed_products=products)


@bus_app.command("dead-letters")
def dead_letters_command(db: DbOption = None,
                         all_: Annotated[bool, typer.Option("--all")] = False) -> None:
    """List dead letters (events a consumer failed on)."""
    from hansa.bootstrap import bootstrap
    from hansa.bus.dead_letters import list_dead_letters

    hansa = bootstrap(_settings(db))
    table = Table("id", "consumer", "type", "attempts", "failed at", "error")
    for dl in list_dead_letters(hansa.bus, include_replayed=all_):
        table.add_row(dl.id, dl.consumer, dl.type, str(dl.attempts),
                      dl.failed_at.isoformat(timespec="seconds"), dl.error[:80])
    console.print(table)
    hansa.close()


@bus_app.command("replay")
def replay_command(dead_letter_id: str, db: DbOption = None) -> None:
    """Queue a dead letter for its consumer again and deliver it."""
    from hansa.bootstrap import bootstrap
    from hansa.bus.dead_letters import replay
    from hansa.kernel.errors import HansaError

    hansa = bootstrap(_settings(db))
    try:
        replay(hansa.bus, dead_letter_id)
        delivered = hansa.worker.run_until_idle()
    except HansaError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    finally:
        hansa.close()
    console.print(f"replayed {dead_letter_id}; {delivered} deliveries made")


if __name__ == "__main__":
    app()
