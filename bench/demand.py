"""Demand-sensing bench: the path's policy against the weekly min/max planner on generated demand
with injected spikes (same seed), detection delay and false alarms on the labelled spikes, the
real system's signal ingest rate and detection latency (signal -> PO change recorded), and the
statsforecast fit time for 10,000 SKU x zone series with MASE on a held-out week.

Writes bench/results/demand.json and bench/results/demand.md.
Run: `.venv/bin/python bench/demand.py` (`--quick` for a small run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.demand_network import kpis, simulate_network
from bench.demand_report import markdown

from hansa.automation.replenishment import Tuning
from hansa.demand.baseline import Baseline, fit
from hansa.demand.detector import SpikeRule, evaluate, transition
from hansa.demand.replenishment import (
    Forecast,
    Supply,
    economic_order_quantity,
    levels,
    min_max_from_history,
    order_quantity,
    round_order,
)

RESULTS = Path(__file__).parent / "results"
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
CART_TO_ORDER = 0.35
HOLDING_RATE_PER_HOUR = 0.25 / 8760
EXPEDITE_PREMIUM = 0.20  # a pulled-in order costs 20% more per unit
MARGIN = 15.0  # a unit sells at 25.00 and costs 10.00: a lost sale loses 15.00
ORDER_COST = 50.0  # placing one purchase order (the same figure the min/max EOQ uses)
RULE = SpikeRule()  # the default
PREVIOUS_RULE = SpikeRule(test="poisson", alpha=0.01, window_hours=3)  # before the NB test
SWEEP = [SpikeRule(test=t, alpha=a, window_hours=w) for t in ("poisson", "nb")
         for a in (0.01, 0.005, 0.001) for w in (3, 6)]


# generated world ----------------------------------------------------------------------------
@dataclass
class Series:
    sku: int
    zone: int
    base: float  # sales per hour at the daily mean
    spikes: list[tuple[int, int, float]] = field(default_factory=list)  # (start h, hours, x)


def profile(hour: int) -> float:
    """Daily seasonality: quiet nights, busy evenings (mean 1)."""
    return 1 + 0.6 * math.sin((hour % 24 - 9) / 24 * 2 * math.pi)


def generate(skus: int, zones: int, hours: int, history: int, seed: int
             ) -> tuple[list[Series], np.ndarray, np.ndarray]:
    """Hourly sales and add-to-cart counts [series, hour], history first; spikes only after."""
    rng = np.random.default_rng(seed)
    series = []
    for s in range(skus):
        for z in range(zones):
            base = float(rng.gamma(2.0, 0.15))
            item = Series(s, z, base)
            for _ in range(int(rng.poisson(1.5))):
                item.spikes.append((int(rng.integers(history + 48, history + hours - 72)),
                                    int(rng.integers(24, 73)), float(rng.uniform(1.5, 3.0))))
            series.append(item)
    total = history + hours
    rates = np.zeros((len(series), total))
    for i, item in enumerate(series):
        rates[i] = [item.base * profile(h) for h in range(total)]
        for start, length, x in item.spikes:
            rates[i, start:start + length] *= x
    carts = rng.poisson(rates / CART_TO_ORDER)
    sales = rng.binomial(carts, CART_TO_ORDER)
    return series, sales, carts


# policies -----------------------------------------------------------------------------------
@dataclass
class Tally:
    lost: int = 0
    sold: int = 0
    stockout_hours: int = 0
    holding: float = 0.0
    expedite: float = 0.0
    orders: int = 0
    expedited_orders: int = 0


def simulate(policy: str, series: list[Series], sales: np.ndarray, carts: np.ndarray,
             history: int, skus: int, supply: Supply, unit_cost: float,
             spike_fires: dict[int, list[tuple[int, float]]]) -> Tally:
    """One stock pool per SKU (the network), supplier lead time in hours, lost sales when empty.
    `demand-sensing`: hourly (s, S) on the history's rate; a confirmed spike lifts the forecast
    for 72 h and, when the lifted rate would empty the stock before a normal order lands, pulls
    an order in (half the lead time, at a premium). `hourly-s-S`: the same without the spikes
    (what the sensing itself adds). `weekly-min-max`: the planner's review every Monday 00:00,
    min/max tuned on the same 28 days of history."""
    hours = sales.shape[1] - history
    by_sku = [[i for i, s in enumerate(series) if s.sku == k] for k in range(skus)]
    daily = sales[:, :history].reshape(len(series), -1, 24).sum(axis=2)
    tally = Tally()
    for rows in by_sku:
        mu = float(sales[rows, :history].sum(axis=0).mean())
        sigma = float(sales[rows, :history].sum(axis=0).std(ddof=1))
        rule = min_max_from_history(list(daily[rows].sum(axis=0).astype(float)), supply,
                                    unit_cost=unit_cost)
        lot = economic_order_quantity(mu, ORDER_COST, unit_cost)
        base = levels(Forecast(mu, sigma), supply, 24, 0.95, lot)
        stock = rule.high if policy == "weekly-min-max" else base.order_up_to
        pipeline: list[tuple[int, int]] = []  # (arrival hour, units)
        uplift_until, uplift = -1, 1.0
        fires = {h: x for i in rows for h, x in spike_fires.get(i, [])}
        for h in range(hours):
            stock += sum(q for t, q in pipeline if t == h)
            pipeline = [(t, q) for t, q in pipeline if t > h]
            demand = int(sales[rows, history + h].sum())
            sold = min(stock, demand)
            stock -= sold
            tally.sold += sold
            tally.lost += demand - sold
            tally.stockout_hours += stock == 0
            tally.holding += stock * unit_cost * HOLDING_RATE_PER_HOUR
            position = stock + sum(q for _, q in pipeline)
            if policy == "weekly-min-max":
                if (history + h) % 168 == 0 and position <= rule.low:
                    q = round_order(rule.high - position, supply)
                    pipeline.append((h + supply.lead_time_hours, q))
                    tally.orders += 1
                continue
            if policy == "demand-sensing" and h in fires:  # a confirmed spike for this SKU
                uplift, uplift_until = max(uplift, fires[h]), h + 72
            if h > uplift_until:
                uplift = 1.0
            mu_now = mu * (1 + (uplift - 1) / len(rows))
            lv = base if uplift == 1.0 else levels(Forecast(mu_now, sigma), supply, 24, 0.95,
                                                   lot)
            if h in fires and policy == "demand-sensing" and \
                    position < mu_now * supply.lead_time_hours:
                # at the lifted rate the stock runs out before a normal order lands: pull in
                # only the shortfall (the lead time's lifted demand and its safety stock), at
                # a premium; the normal (s, S) order below follows as usual
                short = lv.reorder_point - position
                q = round_order(short, supply)
                if q:
                    pipeline.append((h + supply.lead_time_hours // 2, q))
                    tally.expedite += q * unit_cost * EXPEDITE_PREMIUM
                    tally.expedited_orders += 1
                    position += q
            q = order_quantity(position, lv, supply)
            if q:
                pipeline.append((h + supply.lead_time_hours, q))
                tally.orders += 1
    return tally


def detect(series: list[Series], carts: np.ndarray, history: int, rule: SpikeRule = RULE,
           fitted: dict[str, Baseline] | None = None
           ) -> tuple[dict[int, list[tuple[int, float]]], dict[str, Any], float]:
    """Baselines from history (statsforecast, unless given), then the streaming detector hour
    by hour."""
    end = START + timedelta(hours=history)
    t0 = time.perf_counter()
    if fitted is None:
        fitted = fit({str(i): carts[i, :history].astype(float) for i in range(len(series))},
                     end)
    fit_seconds = time.perf_counter() - t0
    fires: dict[int, list[tuple[int, float]]] = {}
    delays, false_alarms, detected = [], 0, 0
    labelled = sum(len(s.spikes) for s in series)
    w = rule.window_hours
    for i, item in enumerate(series):
        b = fitted[str(i)]
        expected = [b.expected(START + timedelta(hours=h)) for h in range(carts.shape[1])]
        is_open, hit = False, set()
        for h in range(history + w, carts.shape[1]):
            verdict = evaluate(int(carts[i, h - w + 1:h + 1].sum()),
                               sum(expected[h - w + 1:h + 1]), rule, exposure=b.exposure,
                               dispersion=b.dispersion)
            step = transition(is_open, verdict, rule)
            if step == "close":
                is_open = False
            if step != "fire":
                continue
            is_open = True
            fires.setdefault(i, []).append((h - history, max(verdict.ratio, 1.0)))
            inside = [n for n, (s0, length, _) in enumerate(item.spikes)
                      if s0 <= h < s0 + length]
            if not inside:
                false_alarms += 1
            elif inside[0] not in hit:
                hit.add(inside[0])
                detected += 1
                delays.append(h - item.spikes[inside[0]][0])
    stats = {"labelled_spikes": labelled, "detected": detected,
             "missed": labelled - detected, "false_alarms": false_alarms,
             "series_hours_watched": len(series) * (carts.shape[1] - history),
             "detection_delay_hours_p50": statistics.median(delays) if delays else None,
             "detection_delay_hours_mean": round(statistics.mean(delays), 2) if delays else None}
    return fires, stats, fit_seconds


def _kpis(t: Tally) -> dict[str, Any]:
    lost_margin = t.lost * MARGIN
    return {
        "lost_sales_units": t.lost, "units_sold": t.sold,
        "fill_rate": round(t.sold / max(t.sold + t.lost, 1), 4),
        "stockout_sku_hours": t.stockout_hours, "holding_cost": round(t.holding, 2),
        "expedite_cost": round(t.expedite, 2), "lost_margin": round(lost_margin, 2),
        "ordering_cost": (t.orders + t.expedited_orders) * ORDER_COST,
        "total_cost": round(t.holding + t.expedite + lost_margin
                            + (t.orders + t.expedited_orders) * ORDER_COST, 2),
        "orders": t.orders, "expedited_orders": t.expedited_orders}


def _rule_name(rule: SpikeRule) -> str:
    return f"{rule.test} alpha={rule.alpha} window={rule.window_hours}h"


def compare(skus: int, zones: int, days: int, seed: int, sweep: bool = True) -> dict[str, Any]:
    """The path (with the detector's default rule and with the previous one), hourly (s, S)
    without sensing and the weekly planner on one generated world; with `sweep`, detection and
    the path's cost for every rule of SWEEP."""
    history = 28 * 24
    series, sales, carts = generate(skus, zones, days * 24, history, seed)
    end = START + timedelta(hours=history)
    fitted = fit({str(i): carts[i, :history].astype(float) for i in range(len(series))}, end)
    fires, detection, _ = detect(series, carts, history, RULE, fitted)
    old_fires, old_detection, _ = detect(series, carts, history, PREVIOUS_RULE, fitted)
    supply, unit_cost = Supply(lead_time_hours=96, moq=12, case_pack=6), 10.0
    out: dict[str, Any] = {"skus": skus, "zones": zones, "days": days, "seed": seed,
                           "lead_time_hours": 96, "rule": _rule_name(RULE),
                           "previous_rule": _rule_name(PREVIOUS_RULE),
                           "detection": detection, "detection_previous_rule": old_detection,
                           "policies": {}}
    runs = [("demand-sensing", "demand-sensing", fires),
            ("demand-sensing (previous rule)", "demand-sensing", old_fires),
            ("hourly-s-S", "hourly-s-S", fires), ("weekly-min-max", "weekly-min-max", fires)]
    for name, policy, firings in runs:
        out["policies"][name] = _kpis(simulate(policy, series, sales, carts, history, skus,
                                               supply, unit_cost, firings))
    rows = [[i for i, item in enumerate(series) if item.sku == k] for k in range(skus)]
    out["network"] = {
        name: kpis(simulate_network(with_path, rows, sales, history, supply, unit_cost,
                                    HOLDING_RATE_PER_HOUR, fires, START, tuning),
                   MARGIN, ORDER_COST)
        for name, with_path, tuning in (
            ("planner", False, Tuning()), ("planner+path", True, Tuning()),
            ("planner+path (centres give)", True, Tuning(centres_give=True)))}
    if not sweep:
        return out
    out["rule_sweep"] = []
    for rule in SWEEP:
        rule_fires, stats, _ = detect(series, carts, history, rule, fitted)
        k = _kpis(simulate("demand-sensing", series, sales, carts, history, skus, supply,
                           unit_cost, rule_fires))
        n = kpis(simulate_network(True, rows, sales, history, supply, unit_cost,
                                  HOLDING_RATE_PER_HOUR, rule_fires, START), MARGIN, ORDER_COST)
        out["rule_sweep"].append({"rule": _rule_name(rule), **stats,
                                  "path_lost_sales_units": k["lost_sales_units"],
                                  "path_total_cost": k["total_cost"],
                                  "network_same_day_share": n["same_day_share"],
                                  "network_total_cost": n["total_cost"]})
    return out


# forecast fit time and accuracy ---------------------------------------------------------------
def fit_time(n: int, seed: int) -> dict[str, Any]:
    """Fit n SKU x zone hourly series (28 days; a third intermittent) and score the last week."""
    rng = np.random.default_rng(seed)
    hours = 28 * 24
    rates = np.array([rng.gamma(2.0, 1.0 if i % 3 else 0.15) * np.array(
        [profile(h) for h in range(hours)]) for i in range(n)])
    y = rng.poisson(rates).astype(float)
    end = START + timedelta(hours=hours)
    t0 = time.perf_counter()
    fit({str(i): y[i] for i in range(n)}, end)  # includes the first-call JIT compile
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    fitted = fit({str(i): y[i] for i in range(n)}, end)
    warm = time.perf_counter() - t0
    train_end = end - timedelta(hours=168)
    held = fit({str(i): y[i, :-168] for i in range(n)}, train_end)
    mase: dict[str, list[float]] = {}
    forecasts = np.zeros((n, 168))
    for i in range(n):
        b = held[str(i)]
        forecast = np.array([b.expected(train_end + timedelta(hours=h)) for h in range(168)])
        forecasts[i] = forecast
        train = y[i, :-168]
        scale = float(np.mean(np.abs(train[24:] - train[:-24])))  # seasonal naive (a day)
        if scale > 0:
            mase.setdefault(b.method, []).append(float(np.mean(np.abs(y[i, -168:] - forecast)))
                                                 / scale)
    methods: dict[str, int] = {}
    for b in fitted.values():
        methods[b.method] = methods.get(b.method, 0) + 1
    return {"series": n, "hours_each": hours, "seconds_first_call": round(first, 2),
            "seconds_warm": round(warm, 2), "methods": methods,
            "mase_held_out_week": {m: round(statistics.median(v), 3) for m, v in mase.items()},
            "wrmsse_held_out_week": wrmsse(y, forecasts, zones_per_sku=5)}


def wrmsse(y: np.ndarray, forecasts: np.ndarray, zones_per_sku: int) -> dict[str, float]:
    """M5-style WRMSSE of the last week per level (SKU x zone, SKU = sum of its zones, total):
    RMSSE scaled by the in-sample one-day seasonal naive, weighted by each series' units in
    training. Series i belongs to SKU i // zones_per_sku."""
    def level(actual: np.ndarray, fc: np.ndarray) -> float:
        train, test = actual[:, :-168], actual[:, -168:]
        scale = np.mean((train[:, 24:] - train[:, :-24]) ** 2, axis=1)
        keep = scale > 0
        rmsse = np.sqrt(np.mean((test - fc) ** 2, axis=1)[keep] / scale[keep])
        weights = train.sum(axis=1)[keep]
        return round(float(np.sum(rmsse * weights) / np.sum(weights)), 3)

    skus = y.shape[0] // zones_per_sku
    cut = skus * zones_per_sku
    by_sku = y[:cut].reshape(skus, zones_per_sku, -1).sum(axis=1)
    fc_sku = forecasts[:cut].reshape(skus, zones_per_sku, -1).sum(axis=1)
    return {"sku_x_zone": level(y, forecasts), "sku": level(by_sku, fc_sku),
            "total": level(y.sum(axis=0, keepdims=True), forecasts.sum(axis=0, keepdims=True))}


# the real system --------------------------------------------------------------------------------
def real_system(signals: int, repeats: int, db_url: str | None) -> dict[str, Any]:
    """Signals/s through IngestSignals (batches of 1,000, SQLite file or PostgreSQL), and the
    latency from the batch that crosses the threshold to the PO change recorded."""
    from tests.integration.demand_helpers import PO, QUIET_ZIP, STORM_ZIP, build, carts, history
    from tests.integration.demand_helpers import START as T0

    from hansa.bootstrap import bootstrap
    from hansa.config import Settings
    from hansa.demand.messages import IngestSignals
    from hansa.kernel.clock import VirtualClock
    from hansa.suppliers.purchase_orders import purchase_order

    zips = ["10001", "11201", "38118", "60601", "94103", "30301", "98101", "02108"]
    latencies, rates = [], []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            url = db_url or f"sqlite:///{tmp}/bench.db"
            if db_url:
                _reset_pg(db_url)
            clock = VirtualClock()
            app = bootstrap(Settings(db=url, bus="memory", listing_stock_lag_ms=0,
                                     smtp_port=1), clock=clock, migrate=True)
            try:
                world = build(app, clock)
                history(world, {STORM_ZIP: 4, QUIET_ZIP: 4})
                spike_at = T0 + timedelta(days=14, hours=15)
                if r == 0:  # ingest rate: SKUs x ZIPs, spread over the past hour
                    clock.set(spike_at)
                    batch = [carts(zips[n % len(zips)], spike_at - timedelta(minutes=n % 60), 1,
                                   sku=f"BENCH-{n % 500}") for n in range(1000)]
                    t0 = time.perf_counter()
                    for _ in range(signals // 1000):
                        app.bus.execute(IngestSignals(signals=tuple(batch), source="bench"))
                    rates.append(signals / (time.perf_counter() - t0))
                clock.set(spike_at + timedelta(minutes=30))
                burst = tuple(carts(STORM_ZIP, spike_at - timedelta(hours=2 - i), n)
                              for i, n in enumerate([9, 9, 5]))
                t0 = time.perf_counter()
                app.bus.execute(IngestSignals(signals=burst, source="pixel"))
                app.worker.run_until_idle()
                with app.db.read() as conn:
                    assert purchase_order(conn, PO)["revision"] == 1
                latencies.append((time.perf_counter() - t0) * 1000)
            finally:
                app.close()
    return {"database": "postgresql" if db_url else "sqlite",
            "signals_per_second": round(statistics.median(rates), 1),
            "signals_ingested": signals, "batch": 1000,
            "detection_to_po_change_ms_p50": round(statistics.median(latencies), 1),
            "detection_to_po_change_ms_max": round(max(latencies), 1), "repeats": repeats}


def _reset_pg(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg", default=None, help="also measure on this PostgreSQL URL")
    args = parser.parse_args()
    quick = args.quick
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "command": " ".join(["python bench/demand.py", *sys.argv[1:]]),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "comparison": compare(8 if quick else 40, 4 if quick else 6, 28 if quick else 56,
                              args.seed),
        "other_seeds": {str(seed): compare(8 if quick else 40, 4 if quick else 6,
                                           28 if quick else 56, seed, sweep=False)
                        for seed in range(args.seed + 1, args.seed + 5)},
        "fit": fit_time(500 if quick else 10_000, args.seed),
        "system": [real_system(2_000 if quick else 20_000, 2 if quick else 5, None)]}
    if args.pg:
        result["system"].append(real_system(2_000 if quick else 20_000, 2 if quick else 3,
                                            args.pg))
    RESULTS.mkdir(exist_ok=True)
    name = "demand-quick" if quick else "demand"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
