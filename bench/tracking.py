"""Tracking bench: webhook throughput and latency over real HTTP on SQLite and PostgreSQL, and
a generated month of shipments through the exceptions path against a complaint baseline.

    .venv/bin/python bench/tracking.py [--parcels 1500] [--concurrency 8] [--shipments 50000]
                                       [--part all|http|month] [--db sqlite|postgres|both]

HTTP part: N tracked parcels; each receives its journey as EasyPost `tracker.updated`
webhooks that, like EasyPost's, repeat every earlier scan (so most scans are duplicates).
Reported: webhooks/s, scans processed/s (new and duplicate), new scans applied/s, and the
latency from sending a webhook to its answer, which comes after the state change committed
(p50, p99). The server runs its bus worker, as `hansa serve` does.

Month part: see bench/tracking_month.py. Writes bench/results/tracking.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn

import tracking_month
from hansa.adapters.tracking import samples
from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.heads.api.app import create_app
from hansa.inventory import messages as inv
from hansa.kernel.clock import VirtualClock
from hansa.kernel.money import Money
from hansa.logistics.messages import TrackShipment

RESULTS = Path(__file__).parent / "results"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "hansa_bench_tracking"
SECRET = "bench-secret"
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
JOURNEY = ["pre_transit", "in_transit", "in_transit", "in_transit", "out_for_delivery",
           "delivered"]


def _pg(statement: str) -> None:
    engine = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'tracking.db'}"
    _pg(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    _pg(f"CREATE DATABASE {PG_DATABASE}")
    return f"{PG_SERVER}/{PG_DATABASE}"


def prepare(url: str, parcels: int) -> Hansa:
    app = bootstrap(Settings(db=url, tracking_easypost_secret=SECRET, bus_poll_seconds=0.05),
                    clock=VirtualClock(T0), migrate=True)
    origin = app.bus.execute(inv.CreateLocation(code="CHI", name="Chicago", kind="warehouse",
                                                lat=41.88, lon=-87.63, country="US"))
    with app.bus.uow() as uow:
        for n in range(parcels):
            uow.execute(TrackShipment(
                shipment_id=f"b{n}", order_id=f"o{n}", customer=f"c{n}@example.com",
                origin_location_id=origin, carrier="ups", service="ground",
                tracking_code=f"EZ{n}", destination_postal_code="10001",
                destination_country="US", promised_date=date(2026, 1, 12),
                lines=[("SKU-1", 1)], value=Money(5000, "USD")))
        uow.commit()
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhooks(parcels: int) -> list[list[tuple[bytes, dict[str, str]]]]:
    """Per journey step, one webhook per parcel carrying every scan so far."""
    rounds = []
    for step in range(len(JOURNEY)):
        batch = []
        for n in range(parcels):
            details = [{"status": JOURNEY[k], "datetime": (T0 + timedelta(hours=6 * k,
                                                                          seconds=n)).isoformat(),
                        "city": f"City {k}", "zip": "10001"} for k in range(step + 1)]
            batch.append(samples.easypost(f"EZ{n}", details, SECRET))
        rounds.append(batch)
    return rounds


def http_part(kind: str, parcels: int, concurrency: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="hansa-tracking-"))
    url = database(kind, folder)
    app = prepare(url, parcels)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def send(message: tuple[bytes, dict[str, str]]) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=60)
        started = time.perf_counter()
        reply = client.post("/webhooks/tracking/easypost", content=message[0],
                            headers=message[1])
        elapsed = time.perf_counter() - started
        reply.raise_for_status()
        with lock:
            latencies.append(elapsed)
            for outcome, n in reply.json()["outcomes"].items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n

    rounds = webhooks(parcels)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for batch in rounds:
            list(pool.map(send, batch))
    wall = time.perf_counter() - started
    server.should_exit = True
    thread.join(timeout=10)
    app.close()
    if kind == "postgres":
        _pg(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    ordered = sorted(latencies)
    scans = sum(outcomes.values())
    return {"database": kind, "parcels": parcels, "webhooks": len(ordered),
            "load_average_1m_after": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "concurrency": concurrency, "seconds": round(wall, 2),
            "webhooks_per_s": round(len(ordered) / wall, 1),
            "scans_processed_per_s": round(scans / wall, 1),
            "new_scans_applied_per_s": round(outcomes.get("applied", 0) / wall, 1),
            "outcomes": outcomes,
            "latency_ms": {"p50": round(ordered[len(ordered) // 2] * 1000, 1),
                           "p99": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
                           "max": round(ordered[-1] * 1000, 1)}}


def month_part(shipments: int, seed: int) -> dict[str, Any]:
    journeys = tracking_month.generate(shipments, 30, seed)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"  month: tick {done}/{total}", flush=True)

    return {"shipments": shipments, "days": 30, "seed": seed,
            "engine": tracking_month.run_engine(journeys, 30, progress),
            "baseline": tracking_month.baseline(journeys)}


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Tracking bench", "", f"Run at {result.get('at', '')}.", ""]
    if result.get("http"):
        lines += ["## Webhooks over HTTP (EasyPost shape, signed)", "",
                  "| database | parcels | webhooks/s | scans/s | new scans/s | p50 ms | p99 ms |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for h in result["http"]:
            lat = h["latency_ms"]
            lines.append(f"| {h['database']} | {h['parcels']} | {h['webhooks_per_s']} | "
                         f"{h['scans_processed_per_s']} | {h['new_scans_applied_per_s']} | "
                         f"{lat['p50']} | {lat['p99']} |")
        lines += ["", "Latency is from sending a webhook to its answer, which comes after the "
                  "scans are committed (the state change). The machine is shared: see the load "
                  "average in tracking.json.", ""]
    month = result.get("month")
    if month:
        e, b = month["engine"], month["baseline"]
        usd = lambda minor: f"{minor / 100:,.2f} USD"  # noqa: E731
        lines += [f"## A month of {month['shipments']:,} shipments (seed {month['seed']})", "",
                  "| | exceptions path | baseline (customer complains) |", "| --- | --- | --- |",
                  f"| stall to customer message, p50 / p90 (min) | "
                  f"{e['minutes_stall_to_message'].get('p50')} / "
                  f"{e['minutes_stall_to_message'].get('p90')} | "
                  f"{b['minutes_stall_to_message'].get('p50')} / "
                  f"{b['minutes_stall_to_message'].get('p90')} |",
                  f"| incidents (tickets, messages) | {e['incidents']} | {b['complaints']} |",
                  f"| customers told by the promise date | {e['notified_by_promise_date']} | 0 |",
                  f"| reships released | {e['reships_released']} | {b['reships_released']} |",
                  f"| reships cancelled (parcel recovered) | "
                  f"{e['reships_cancelled_on_recovery']} | - |",
                  f"| false reships (both arrived) | {e['false_reships']} | "
                  f"{b['false_reships']} |",
                  f"| cost of false reships | {usd(e['false_reship_cost_minor'])} | "
                  f"{usd(b['false_reship_cost_minor'])} |",
                  f"| credits issued | {e['credits_issued']} ({usd(e['credit_total_minor'])}) "
                  f"| {b['credits_issued']} |", "",
                  f"Stalled parcels {e['stalled_parcels']}, of which lost "
                  f"{e['lost_parcels']}; incidents on parcels that never stalled "
                  f"{e['incidents_without_stall']}. Engine time {e['engine_seconds']} s "
                  f"(SQLite, in-process bus, virtual clock in 30-minute ticks).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["all", "http", "month"], default="all")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--parcels", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--shipments", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--month-json", type=Path, default=None,
                        help="reuse a month result written earlier instead of running it")
    args = parser.parse_args(argv)
    path = RESULTS / "tracking.json"
    result: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if args.part in ("all", "http"):
        kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        result["http"] = []
        for kind in kinds:
            print(f"http: {kind}", flush=True)
            result["http"].append(http_part(kind, args.parcels, args.concurrency))
            print(json.dumps(result["http"][-1]), flush=True)
    if args.part in ("all", "month"):
        result["month"] = (json.loads(args.month_json.read_text()) if args.month_json
                           else month_part(args.shipments, args.seed))
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS / "tracking.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
