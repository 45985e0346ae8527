"""Every shipped scenario, automation vs baseline on the same seed: the KPI table of the docs.

    .venv/bin/python bench/sim_scenarios.py [--size small] [--days 28] [--seed 1]

Writes bench/results/sim_scenarios.json (the `hansa simulate --json` object of each
scenario) and bench/results/sim_scenarios.md (one table per scenario).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from hansa.sim.compare import compare
from hansa.sim.kpis import KPI_KEYS
from hansa.sim.report import difference
from hansa.sim.scenario import SIZES, load_scenario, scenario_names

RESULTS = Path(__file__).parent / "results"
EXTRA = ("orders", "missed_scans", "quarantined_rows", "purchase_orders", "demand_spikes",
         "path_purchase_orders", "path_transfers", "units_transferred", "sourced_by_hansa",
         "hansa_promise_differs", "hansa_promise_earlier", "promised_days_mean")


def _cell(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


# late parcels: what Hansa's exceptions path and the care desk did (sim/tracking.py)
LATE_PARCELS = ("incidents", "preemptive_reships", "complaints", "complaint_reships",
                "extra_parcels_returned", "extra_parcels_written_off", "logistics_cost")


def table(result: dict[str, Any]) -> str:
    a, b = result["policies"]["automation"], result["policies"]["baseline"]
    rows = [f"| {k} | {_cell(a[k])} | {_cell(b[k])} | {difference(a[k], b[k])} |"
            for k in (*KPI_KEYS, *EXTRA, *LATE_PARCELS)]
    return "\n".join(["| KPI | automation | baseline | difference |",
                      "| --- | ---: | ---: | ---: |", *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    console = Console()
    results, sections = [], []
    for name in scenario_names():
        started = time.perf_counter()
        comparison = compare(load_scenario(name), days=args.days, seed=args.seed,
                             size_name=args.size, size=SIZES[args.size])
        result = comparison.as_json()
        results.append(result)
        seconds = time.perf_counter() - started
        console.print(f"{name}: {seconds:.1f} s")
        sections.append(f"### {name}\n\n{comparison.scenario.description}\n\n{table(result)}\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sim_scenarios.json").write_text(json.dumps(results, indent=2) + "\n")
    size = SIZES[args.size]
    header = (f"# Scenario KPIs: automation vs baseline\n\nSize `{args.size}` ({size.skus:,} "
              f"SKUs, {size.locations} locations, ~{size.orders_per_day:,} orders/day), "
              f"{args.days} simulated days, seed {args.seed}. Reproduce with "
              f"`.venv/bin/python bench/sim_scenarios.py --size {args.size} --days "
              f"{args.days} --seed {args.seed}`.\n\n")
    (RESULTS / "sim_scenarios.md").write_text(header + "\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
