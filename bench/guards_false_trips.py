"""False trips and detection delay of the price guard on a synthetic, seeded price history.

    .venv/bin/python bench/guards_false_trips.py [--seed 7] [--z 10] [--window 28] ...

A supplier feed sends one price per SKU per day (500 SKUs x 180 days by default):
- each SKU has a regular price (log-uniform 2.00 .. 500.00) that is repriced now and then
  (about every 60 days, by 3-15% up or down);
- every day's value is the regular price with +-5% uniform noise; a fifth of the SKUs are
  "sticky" and redraw their noise only once a week (long runs of identical values);
- each week, half of the SKUs run a promotion: 10-30% off for 1-4 days, then it ends.
The replay goes through `hansa.guards.price_guard.check_price` exactly as the supplier feed
handler uses it: only accepted values enter the window and become the last good value.

Reported: the false-trip rate (refused clean updates; target < 1%), what the trips were
(promotion start or end, repricing, noise), the feed-level effect (the feed's breaker opens
on the first trip of a daily batch and quarantines the rest of it), and for injected
anomalies (0.00, a 95% drop, a 3x spike, a slow drift) the delay in updates until refused.
Writes bench/results/guards_false_trips.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from statistics import median
from typing import Any

from rich.console import Console
from rich.table import Table

from hansa.guards.price_guard import PriceThresholds, check_price

RESULTS = Path(__file__).parent / "results" / "guards_false_trips.json"
GUARD = "feed:BENCH:price"


@dataclass(frozen=True)
class HistoryConfig:
    """The shape of the synthetic history."""

    seed: int = 7
    skus: int = 500
    days: int = 180
    noise: float = 0.05  # +- uniform, around the regular price
    sticky_share: float = 0.2  # SKUs whose noise changes once a week
    promo_weekly_probability: float = 0.5
    promo_depth: tuple[float, float] = (0.10, 0.30)
    promo_days: tuple[int, int] = (1, 4)
    repricing_daily_probability: float = 1 / 60
    repricing: tuple[float, float] = (0.03, 0.15)


@dataclass
class Day:
    """One clean feed value and what kind of day produced it."""

    value: int
    regular: float
    kind: str  # noise, promo_start, promo, promo_end, repricing


def sku_history(rng: random.Random, cfg: HistoryConfig) -> list[Day]:
    regular = math.exp(rng.uniform(math.log(200), math.log(50_000)))
    sticky = rng.random() < cfg.sticky_share
    promo_until = -1
    depth = 0.0
    noise = rng.uniform(-cfg.noise, cfg.noise)
    days: list[Day] = []
    for day in range(cfg.days):
        kind = "noise"
        if rng.random() < cfg.repricing_daily_probability:
            step = rng.uniform(*cfg.repricing) * rng.choice((-1, 1))
            regular *= 1 + step
            kind = "repricing"
        if day % 7 == 0 and rng.random() < cfg.promo_weekly_probability:
            start = day + rng.randrange(7)
            length = rng.randint(*cfg.promo_days)
            promo_from, promo_until = start, start + length - 1
            depth = rng.uniform(*cfg.promo_depth)
        if not sticky or day % 7 == 0:
            noise = rng.uniform(-cfg.noise, cfg.noise)
        in_promo = promo_until >= day and day >= promo_from if promo_until >= 0 else False
        price = regular * (1 - depth if in_promo else 1) * (1 + noise)
        if in_promo:
            kind = "promo_start" if day == promo_from else "promo"
        elif days and days[-1].kind in ("promo_start", "promo"):
            kind = "promo_end"
        days.append(Day(max(1, round(price)), regular, kind))
    return days


@dataclass
class SeriesState:
    """What the feed handler keeps per series: accepted values and the value in force."""

    thresholds: PriceThresholds
    history: list[float] = field(default_factory=list)
    last_good: int | None = None
    timings_ns: list[int] | None = None

    def offer(self, value: int | None) -> tuple[bool, str]:
        started = time.perf_counter_ns()
        verdict = check_price(value, last_good=self.last_good, guard=GUARD,
                              history=self.history[-self.thresholds.history:],
                              thresholds=self.thresholds)
        if self.timings_ns is not None:
            self.timings_ns.append(time.perf_counter_ns() - started)
        if verdict.allowed and value is not None:
            self.history.append(value)
            self.last_good = value
        return verdict.allowed, verdict.detector


def false_trips(histories: list[list[Day]], thresholds: PriceThresholds) -> dict[str, Any]:
    """Replay the clean history day by day, as daily feed batches."""
    timings: list[int] = []
    states = [SeriesState(thresholds, timings_ns=timings) for _ in histories]
    frozen_states = [SeriesState(thresholds) for _ in histories]
    trips: Counter[str] = Counter()
    by_detector: Counter[str] = Counter()
    days_tripped = frozen = 0
    for day in range(len(histories[0])):
        breaker_open = False
        for sku, history in enumerate(histories):
            entry = history[day]
            allowed, detector = states[sku].offer(entry.value)
            if not allowed:
                trips[entry.kind] += 1
                by_detector[detector] += 1
            if breaker_open:  # the feed-level replay: the rest of the batch is quarantined
                frozen += 1
                continue
            if not frozen_states[sku].offer(entry.value)[0]:
                breaker_open = True
                days_tripped += 1
    updates = sum(len(h) for h in histories)
    kinds = Counter(entry.kind for history in histories for entry in history)
    timings.sort()
    return {
        "updates": updates, "false_trips": sum(trips.values()),
        "false_trip_rate": sum(trips.values()) / updates,
        "trips_by_kind": dict(trips), "updates_by_kind": dict(kinds),
        "trips_by_detector": dict(by_detector),
        "feed_days_with_a_trip": days_tripped, "feed_days": len(histories[0]),
        "feed_updates_frozen": frozen, "feed_frozen_rate": frozen / updates,
        "check_us_p50": timings[len(timings) // 2] / 1000,
        "check_us_p99": timings[int(len(timings) * 0.99)] / 1000,
    }


Anomaly = Callable[[Day, int], int]  # (clean day, days since the anomaly began) -> value


def anomalies(drift_per_day: float) -> dict[str, Anomaly]:
    return {
        "zero (0.00)": lambda _day, _t: 0,
        "95% drop": lambda day, _t: max(1, round(day.regular * 0.05)),
        "3x spike": lambda day, _t: round(day.regular * 3),
        "1.8x jump (inside the +100% bound)": lambda day, _t: round(day.regular * 1.8),
        "45% drop (inside the -50% bound)": lambda day, _t: max(1, round(day.regular * 0.55)),
        f"slow drift ({drift_per_day:.0%}/day down)":
            lambda day, t: max(1, round(day.value * (1 - drift_per_day) ** (t + 1))),
    }


def detection_delay(histories: list[list[Day]], thresholds: PriceThresholds, *,
                    trials: int, horizon: int, warm_days: int, drift_per_day: float,
                    rng: random.Random) -> dict[str, Any]:
    """For each anomaly: updates from its start until the guard first refuses it."""
    days = len(histories[0])
    report: dict[str, Any] = {}
    for name, make in anomalies(drift_per_day).items():
        delays: list[int] = []
        missed = 0
        detectors: Counter[str] = Counter()
        for _ in range(trials):
            history = rng.choice(histories)
            start = rng.randrange(warm_days, days - horizon)
            state = SeriesState(thresholds)
            for entry in history[:start]:
                state.offer(entry.value)
            for t in range(horizon):
                allowed, detector = state.offer(make(history[start + t], t))
                if not allowed:
                    delays.append(t)
                    detectors[detector] += 1
                    break
            else:
                missed += 1
        delays.sort()
        report[name] = {
            "trials": trials, "detected": len(delays), "missed_within_horizon": missed,
            "delay_median": median(delays) if delays else None,
            "delay_p90": delays[int(len(delays) * 0.9)] if delays else None,
            "delay_max": delays[-1] if delays else None,
            "caught_by": dict(detectors),
        }
    return report


SWEEP = [(5.0, 12.0), (6.0, 12.0), (7.0, 9.0), (7.0, 10.0), (7.0, 11.0), (8.0, 13.0)]


def sweep(histories: list[list[Day]], defaults: PriceThresholds) -> list[dict[str, Any]]:
    """False trips of neighbouring z thresholds: how much margin the defaults keep."""
    rows = []
    for z_above, z_below in SWEEP:
        found = false_trips(histories, replace(defaults, z_above=z_above, z_below=z_below))
        rows.append({"z_above": z_above, "z_below": z_below,
                     **{k: found[k] for k in ("false_trips", "false_trip_rate",
                                              "feed_days_with_a_trip", "feed_frozen_rate")}})
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = PriceThresholds()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=HistoryConfig.seed)
    parser.add_argument("--skus", type=int, default=HistoryConfig.skus)
    parser.add_argument("--days", type=int, default=HistoryConfig.days)
    parser.add_argument("--z-above", type=float, default=defaults.z_above)
    parser.add_argument("--z-below", type=float, default=defaults.z_below)
    parser.add_argument("--window", type=int, default=defaults.window)
    parser.add_argument("--min-samples", type=int, default=defaults.min_samples)
    parser.add_argument("--min-log-scale", type=float, default=defaults.min_log_scale)
    parser.add_argument("--max-drop", type=float, default=defaults.max_drop)
    parser.add_argument("--max-rise", type=float, default=defaults.max_rise)
    parser.add_argument("--drift", type=float, default=0.02, help="slow drift per day [0.02]")
    parser.add_argument("--trials", type=int, default=300, help="trials per anomaly [300]")
    parser.add_argument("--horizon", type=int, default=45, help="days an anomaly lasts [45]")
    parser.add_argument("--no-sweep", action="store_true", help="skip the threshold sweep")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def print_report(console: Console, result: dict[str, Any]) -> None:
    trips = result["false_trips"]
    table = Table("false trips", "value", title="Price guard on clean history")
    table.add_row("updates replayed", f"{trips['updates']:,}")
    table.add_row("false trips", f"{trips['false_trips']:,} ({trips['false_trip_rate']:.3%})"
                  + ("  [green]< 1% target met[/]" if trips["false_trip_rate"] < 0.01
                     else "  [red]target 1% missed[/]"))
    table.add_row("trips by day kind", json.dumps(trips["trips_by_kind"]))
    table.add_row("trips by detector", json.dumps(trips["trips_by_detector"]))
    table.add_row("feed: daily batches with a trip",
                  f"{trips['feed_days_with_a_trip']} of {trips['feed_days']}")
    table.add_row("feed: updates frozen by an open breaker",
                  f"{trips['feed_updates_frozen']:,} ({trips['feed_frozen_rate']:.3%})")
    table.add_row("pure check time p50 / p99",
                  f"{trips['check_us_p50']:.1f} / {trips['check_us_p99']:.1f} us")
    console.print(table)
    delays = Table("anomaly", "detected", "missed", "delay median / p90 / max (updates)",
                   "caught by", title="Detection delay of injected anomalies")
    for name, row in result["detection"].items():
        delay = ("-" if row["delay_median"] is None else
                 f"{row['delay_median']:g} / {row['delay_p90']} / {row['delay_max']}")
        delays.add_row(name, f"{row['detected']}/{row['trials']}",
                       str(row["missed_within_horizon"]), delay, json.dumps(row["caught_by"]))
    console.print(delays)
    if not result["sweep"]:
        return
    margin = Table("z above", "z below", "false trips", "feed batches with a trip",
                   "feed updates frozen", title="Neighbouring thresholds (defaults: "
                   f"{result['thresholds']['z_above']:g} / {result['thresholds']['z_below']:g})")
    for row in result["sweep"]:
        margin.add_row(f"{row['z_above']:g}", f"{row['z_below']:g}",
                       f"{row['false_trips']} ({row['false_trip_rate']:.3%})",
                       str(row["feed_days_with_a_trip"]), f"{row['feed_frozen_rate']:.2%}")
    console.print(margin)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    cfg = HistoryConfig(seed=args.seed, skus=args.skus, days=args.days)
    thresholds = PriceThresholds(
        max_drop=args.max_drop, max_rise=args.max_rise, z_above=args.z_above,
        z_below=args.z_below, window=args.window, min_samples=args.min_samples,
        min_log_scale=args.min_log_scale)
    rng = random.Random(cfg.seed)
    started = time.perf_counter()
    histories = [sku_history(rng, cfg) for _ in range(cfg.skus)]
    result = {
        "history": asdict(cfg), "thresholds": asdict(thresholds),
        "false_trips": false_trips(histories, thresholds),
        "detection": detection_delay(histories, thresholds, trials=args.trials,
                                     horizon=args.horizon, warm_days=35,
                                     drift_per_day=args.drift, rng=rng),
        "sweep": [] if args.no_sweep else sweep(histories, thresholds),
    }
    result["seconds"] = round(time.perf_counter() - started, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print_report(console, result)
    console.print(f"wrote {args.out} in {result['seconds']} s")
    return 0 if result["false_trips"]["false_trip_rate"] < 0.01 else 1


if __name__ == "__main__":
    raise SystemExit(main())
