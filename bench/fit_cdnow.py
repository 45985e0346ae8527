"""Fit the simulator's purchase-rate heterogeneity on the CDNOW purchase history.

    .venv/bin/pip install --no-deps lifetimes==0.11.3     # only for its data files
    .venv/bin/python bench/fit_cdnow.py [--cdnow path/to/CDNOW_master.txt]

CDNOW_master.txt (shipped inside the `lifetimes` wheel) holds 69,659 purchases of 23,570
customers who first bought in the first quarter of 1997, followed to June 1998. Counting
each customer's repeat purchase days and matching the moments of the NBD model (Poisson
purchases with gamma-distributed rates: mean m = r T / alpha, variance m + m^2 / r) gives
the gamma shape r = m^2 / (variance - m); the simulator draws each customer's rate from
Gamma(r) (`hansa.sim.world.RATE_SHAPE`). Only the shape matters: the simulator scales the
total to the business's orders per day. Writes bench/results/cdnow_fit.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
from collections import defaultdict
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "cdnow_fit.json"


def find_cdnow() -> Path:
    """The data file of an installed `lifetimes` package, found without importing it."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("lifetimes is not installed: pip install --no-deps lifetimes==0.11.3, "
                         "or pass --cdnow PATH")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"


def fit(path: Path) -> dict[str, float]:
    days: dict[str, set[str]] = defaultdict(set)
    with path.open() as rows:
        next(rows)  # header: customer_id date number_of_cds dollar_value
        for row in rows:
            customer, day, *_ = row.split()
            days[customer].add(day)
    repeats = [len(d) - 1 for d in days.values()]
    mean, variance = statistics.fmean(repeats), statistics.pvariance(repeats)
    return {"customers": len(repeats), "mean_repeat_purchases": round(mean, 4),
            "variance": round(variance, 4), "gamma_shape_r": round(mean ** 2 / (variance - mean),
                                                                   4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdnow", type=Path, default=None)
    args = parser.parse_args(argv)
    result = fit(args.cdnow or find_cdnow())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
