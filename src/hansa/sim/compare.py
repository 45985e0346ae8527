"""Every scenario twice on the same seed: automation vs baseline, each on a fresh Hansa."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hansa.sim.kpis import Tally
from hansa.sim.runner import run_policy
from hansa.sim.scenario import Scenario, Size

POLICIES = ("automation", "baseline")
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Comparison:
    scenario: Scenario
    seed: int
    days: int
    size: str
    tallies: dict[str, Tally]

    def as_json(self) -> dict[str, Any]:
        """The one JSON object of `hansa simulate --json`."""
        return {"scenario": self.scenario.name, "seed": self.seed, "days": self.days,
                "policies": {name: tally.as_dict() for name, tally in self.tallies.items()}}


def compare(scenario: Scenario, *, days: int, seed: int, size_name: str, size: Size,
            workdir: Path | None = None, progress: Progress | None = None) -> Comparison:
    """Run both policies on the same world and seed, each on its own SQLite database."""
    tallies = {}
    with tempfile.TemporaryDirectory(prefix="hansa-sim-") as scratch:
        folder = workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for policy in POLICIES:
            db = folder / f"{scenario.name}-{seed}-{policy}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)

            def tick(done: int, policy: str = policy) -> None:
                if progress:
                    progress(policy, done)

            tallies[policy] = run_policy(scenario, size, seed, days, policy,
                                         f"sqlite:///{db}", tick)
    return Comparison(scenario, seed, days, size_name, tallies)
