"""Supplier stock change -> visible in every channel's listing: the listing's incremental
availability re-read against a full re-read, side by side in one process.

    .venv/bin/python bench/propagation_ab.py [--rounds 6] [--changes 25]

On a fresh SQLite database with the demo merchant (200 products), each round measures
`--changes` propagations with the full re-read (the change feed made to forget which SKUs
moved) and as many with the incremental one, alternating. Prints the median over rounds of
each mode's p50 and p99, and writes bench/results/propagation_ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hansa.heads.api.freshness import ChangeFeed  # noqa: E402
from suppliers import boot, propagation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--changes", type=int, default=25)
    args = parser.parse_args()
    incremental = ChangeFeed.moved_since

    def forgetful(self: ChangeFeed, version: int) -> set[str] | None:
        return None

    modes: dict[str, Any] = {"full": forgetful, "incremental": incremental}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in modes}
    with tempfile.TemporaryDirectory() as tmp:
        hansa = boot(f"sqlite:///{tmp}/bench.db")
        try:
            propagation(hansa, 10)  # warm the caches
            for _ in range(args.rounds):
                for name, method in modes.items():
                    ChangeFeed.moved_since = method  # type: ignore[method-assign]
                    runs[name].append(propagation(hansa, args.changes))
        finally:
            ChangeFeed.moved_since = incremental  # type: ignore[method-assign]
            hansa.close()
    result = {"at": datetime.now(UTC).isoformat(timespec="seconds"),
              "load_average_1m": os.getloadavg()[0], "rounds": args.rounds,
              "changes_per_round": args.changes, **{
                  name: {"p50_ms_median": statistics.median(r["p50_ms"] for r in rs),
                         "p99_ms_median": statistics.median(r["p99_ms"] for r in rs)}
                  for name, rs in runs.items()}}
    (ROOT / "bench" / "results" / "propagation_ab.json").write_text(
        json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
