"""A scenario replayed live against the real server: `hansa demo --scenario NAME`.

The automation policy's simulation runs hour by hour on its virtual clock while the same
Hansa serves the storefront page, the storefront API and the admin API over HTTP, so the
stock, the promises, the orders, the demand spikes and the paths' runs move while you
watch. Each simulated hour is followed by a pause (`hour_seconds`); the server's bus work is
the simulation's (it drains the bus after every hour), so nothing runs twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hansa.heads.api import background
from hansa.sim.kpis import Tally
from hansa.sim.runner import Simulation
from hansa.sim.scenario import Scenario, Size

HourWatch = Callable[[int, int], None]  # (day, hour), after the hour's work is committed


class LiveDemo:
    """One scenario's automation run with its Hansa served over HTTP."""

    def __init__(self, scenario: Scenario, size: Size, seed: int, db_url: str) -> None:
        self.scenario = scenario
        self.sim = Simulation(scenario, size, seed, "automation", db_url)

    @contextmanager
    def serving(self, host: str, port: int) -> Iterator[str]:
        """The simulation's Hansa on HTTP; yields the base URL."""
        with background.serving(self.sim.hansa, host, port, run_worker=False) as base:
            yield base

    def play(self, days: int, hour_seconds: float, watch: HourWatch | None = None) -> Tally:
        """Simulate `days`, pausing `hour_seconds` of wall time after each simulated hour;
        Hansa stays open (and served) afterwards until `close`."""
        def after_hour(day: int, hour: int) -> None:
            if watch is not None:
                watch(day, hour)
            if hour_seconds > 0:
                time.sleep(hour_seconds)

        self.sim.after_hour = after_hour
        return self.sim.run(days, close=False)

    def close(self) -> None:
        self.sim.hansa.close()
