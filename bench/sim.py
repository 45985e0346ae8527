"""Simulator speed: simulated days per wall-minute and peak memory for a business of 5,000
SKUs, 30 locations and ~3,000 orders per day, driving the real Hansa (SQLite, in-process bus).

    .venv/bin/python bench/sim.py [--size bench] [--days 3] [--scenario storm] [--seed 1]

One policy (automation) runs; the first simulated day is reported apart (cold caches: the
ZIP lookup of the checkout, SQLAlchemy's statement cache). Wall time is split into the real
checkout (PlaceOrder + CapturePayment + reading the reservation back), the bus worker
(relay and consumers), the end-of-day stock read, and the rest (world, shipping, feeds).
Writes bench/results/sim.json and bench/results/sim.md (sim-<size>.* for other sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from hansa.sim.runner import Simulation
from hansa.sim.scenario import SIZES, load_scenario

RESULTS = Path(__file__).parent / "results"
TARGET_DAYS_PER_MINUTE = 30
TARGET_PEAK_MB = 2_048


class Stopwatch:
    """Accumulates wall time of wrapped callables by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
        return timed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(size_name: str, days: int, scenario_name: str, seed: int) -> dict[str, Any]:
    size = SIZES[size_name]
    console = Console()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hansa-bench-sim-") as folder:
        started = time.perf_counter()
        sim = Simulation(load_scenario(scenario_name), size, seed, "automation",
                         f"sqlite:///{folder}/bench.db")
        setup_seconds = time.perf_counter() - started
        console.print(f"setup {setup_seconds:.1f} s ({sim.opening_units:,} opening units)")
        watch = Stopwatch()
        sim._checkout = watch.wrap("checkout", sim._checkout)  # type: ignore[method-assign]
        sim._close_day = watch.wrap("day_close", sim._close_day)  # type: ignore[method-assign]
        worker = sim.hansa.worker
        worker.run_until_idle = watch.wrap("bus_worker", worker.run_until_idle)  # type: ignore
        day_seconds: list[float] = []
        day_orders: list[int] = []
        try:
            for day in range(days):
                before, orders = time.perf_counter(), sim.tally.orders
                sim._day(day)
                day_seconds.append(time.perf_counter() - before)
                day_orders.append(sim.tally.orders - orders)
                console.print(f"day {day}: {day_seconds[-1]:.1f} s, {day_orders[-1]:,} orders")
        finally:
            sim.hansa.close()
        db_mb = os.path.getsize(f"{folder}/bench.db") / 1e6
    total = sum(day_seconds)
    steady = day_seconds[1:] or day_seconds
    steady_orders = day_orders[1:] or day_orders
    kpis = sim.tally.as_dict()
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_1m_before": round(load_before, 2),
                    "load_1m_after": round(os.getloadavg()[0], 2)},
        "scenario": scenario_name, "seed": seed, "size": size_name,
        "skus": size.skus, "locations": size.locations,
        "orders_per_day_target": size.orders_per_day, "days": days,
        "setup_seconds": round(setup_seconds, 1),
        "orders_per_day_measured": round(sum(day_orders) / days, 1),
        "first_day_seconds": round(day_seconds[0], 2),
        "steady_seconds_per_day": round(sum(steady) / len(steady), 2),
        "days_per_wall_minute": round(60 * days / total, 2),
        "steady_days_per_wall_minute": round(60 * len(steady) / sum(steady), 2),
        "ms_per_order_steady": round(1000 * sum(steady) / max(1, sum(steady_orders)), 2),
        "share_of_wall": {k: round(v / total, 3) for k, v in sorted(watch.seconds.items())},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "database_mb": round(db_mb, 1),
        "kpis": {k: kpis[k] for k in ("orders", "revenue", "lost_sales_units",
                                      "on_time_rate", "breaker_trips")},
        "targets": {"days_per_wall_minute": TARGET_DAYS_PER_MINUTE,
                    "peak_rss_mb": TARGET_PEAK_MB},
    }


def markdown(r: dict[str, Any]) -> str:
    speed = r["steady_days_per_wall_minute"]
    verdict = "PASS" if speed >= TARGET_DAYS_PER_MINUTE else "FAIL"
    mem = "PASS" if r["peak_rss_mb"] < TARGET_PEAK_MB else "FAIL"
    shares = ", ".join(f"{k} {v:.0%}" for k, v in r["share_of_wall"].items())
    return f"""# Simulator bench ({r['measured_at']})

Business: {r['skus']:,} SKUs, {r['locations']} locations, target {r['orders_per_day_target']:,}
orders/day (measured {r['orders_per_day_measured']:,.0f}); scenario `{r['scenario']}`, seed
{r['seed']}, {r['days']} simulated days of the automation policy against the real Hansa
(SQLite file, in-process bus, one unit of work per simulated hour). Machine: {r['machine']['cpus']}
CPUs shared with other work (1-min load average {r['machine']['load_1m_before']} before,
{r['machine']['load_1m_after']} after), Python {r['machine']['python']}.

| metric | value |
| --- | --- |
| setup (world, history, seeding through commands) | {r['setup_seconds']} s |
| first simulated day (cold caches) | {r['first_day_seconds']} s |
| steady simulated day | {r['steady_seconds_per_day']} s |
| simulated days per wall-minute (all days) | {r['days_per_wall_minute']} |
| simulated days per wall-minute (steady) | {speed} |
| wall time per order (steady) | {r['ms_per_order_steady']} ms |
| share of wall time | {shares} |
| peak RSS | {r['peak_rss_mb']:,} MB |
| database after the run | {r['database_mb']} MB |

| target | measured | verdict |
| --- | --- | --- |
| >= {TARGET_DAYS_PER_MINUTE} simulated days per wall-minute | {speed} | **{verdict}** |
| peak memory < 2 GB | {r['peak_rss_mb']:,} MB | **{mem}** |
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="bench", choices=sorted(SIZES))
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--scenario", default="storm")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = run(args.size, args.days, args.scenario, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "sim" if args.size == "bench" else f"sim-{args.size}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(result))
    Console().print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
