"""The guard on inbound price and cost fields: blank, > 0, change bound, robust z-score,
EWMA drift.

Pure: the caller hands in the series history (accepted values, oldest first), the value in
force and the new value. Prices move multiplicatively (a 20% promotion is the same event on
a 5.00 and on a 500.00 item), so the statistical check works on logarithms: the window's
spread is then relative and one threshold fits every SKU. Promotions only ever lower a
price, so the bound below the median is wider than the one above it. A slow drift (each
value a little under the last) passes every check against recent values; a fast and a slow
EWMA of the same logarithms catch it once the recent level has left the long-run one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hansa.guards import detectors
from hansa.guards.model import Verdict


@dataclass(frozen=True, slots=True)
class PriceThresholds:
    """Named thresholds; the defaults are tuned with bench/guards_false_trips.py."""

    max_drop: float = 0.50  # refuse a fall of more than 50% against the value in force
    max_rise: float = 1.00  # refuse a rise of more than 100% (the rise that undoes -50%)
    z_above: float = 7.0  # robust sigmas of log-price above the window's median
    z_below: float = 12.0  # ... and below it (promotions of 10-30% live down there)
    window: int = 28  # accepted values the robust z-score looks back on
    min_samples: int = 8  # warm-up: no statistical verdict on fewer accepted values
    min_log_scale: float = 0.05  # a flat series is judged as if it moved by ~5%
    # Drift: fast and slow EWMAs of log values over the last `drift_history` accepted values.
    # A gap of 0.28 below is the fast level ~24% under the slow one; 0.40 above, ~49% over.
    drift_fast: float = 0.3
    drift_slow: float = 0.05
    drift_below: float = 0.28
    drift_above: float = 0.40
    drift_history: int = 60
    drift_min_samples: int = 20

    @property
    def history(self) -> int:
        """How many accepted values the checks look back on (the caller reads this many)."""
        return max(self.window, self.drift_history)

    def __post_init__(self) -> None:
        if not 0 < self.max_drop < 1:
            raise ValueError("max_drop is a fraction in (0, 1)")
        if min(self.max_rise, self.z_above, self.z_below, self.min_log_scale) <= 0:
            raise ValueError("max_rise, z_above, z_below and min_log_scale must be > 0")
        if not 1 <= self.min_samples <= self.window:
            raise ValueError("need 1 <= min_samples <= window")
        if not 0 < self.drift_slow < self.drift_fast <= 1:
            raise ValueError("need 0 < drift_slow < drift_fast <= 1")
        if min(self.drift_below, self.drift_above) <= 0:
            raise ValueError("drift_below and drift_above must be > 0")
        if not 1 <= self.drift_min_samples <= self.drift_history:
            raise ValueError("need 1 <= drift_min_samples <= drift_history")


DEFAULT_THRESHOLDS = PriceThresholds()


def _refusal(verdict: Verdict, field: str, value: int, last_good: int | None,
             reason: str) -> Verdict:
    return Verdict(guard=verdict.guard, allowed=False, detector=verdict.detector,
                   reason=f"{field} {value}: {reason}",
                   details=verdict.details | {"field": field, "last_good": last_good})


def _robust_z(value: int, logs: Sequence[float], guard: str,
              thresholds: PriceThresholds) -> Verdict:
    window = logs[-thresholds.window:]
    verdict = detectors.robust_z(math.log(value), window, threshold=thresholds.z_above,
                                 threshold_below=thresholds.z_below,
                                 min_samples=thresholds.min_samples,
                                 min_scale=thresholds.min_log_scale, guard=guard)
    if verdict.allowed:
        return verdict
    typical = math.exp(verdict.details["median"])
    details = verdict.details | {"median_value": round(typical, 2)}
    side = "above" if value > typical else "below"
    return Verdict(guard=guard, allowed=False, detector=verdict.detector, details=details,
                   reason=f"{abs(value / typical - 1):.1%} {side} the median {typical:.0f} of "
                          f"the last {len(window)} accepted values (robust z "
                          f"{verdict.details['z']:+.1f}, bound {verdict.details['threshold']:g})")


def check_price(value: int | None, *, last_good: int | None, history: Sequence[float],
                guard: str, field: str = "price",
                thresholds: PriceThresholds = DEFAULT_THRESHOLDS) -> Verdict:
    """The verdict on one inbound price or cost in minor units; the first refusal wins."""
    if value is None:
        return Verdict(guard=guard, allowed=False, detector="blank",
                       reason=f"{field} is blank; the last good value {last_good} stays in force",
                       details={"value": None, "field": field, "last_good": last_good})
    for verdict in (
        detectors.positive(value, guard=guard),
        detectors.max_change(value, last_good, max_drop=thresholds.max_drop,
                             max_rise=thresholds.max_rise, guard=guard),
    ):
        if not verdict.allowed:
            return _refusal(verdict, field, value, last_good, verdict.reason)
    logs = [math.log(v) for v in history[-thresholds.history:] if v > 0]
    verdict = _robust_z(value, logs, guard, thresholds)
    if not verdict.allowed:
        return _refusal(verdict, field, value, last_good, verdict.reason)
    drift = _drift(value, logs, guard, thresholds)
    if not drift.allowed:
        return _refusal(drift, field, value, last_good, drift.reason)
    return verdict


def _drift(value: int, logs: Sequence[float], guard: str,
           thresholds: PriceThresholds) -> Verdict:
    recent = logs[-thresholds.drift_history:]
    verdict = detectors.ewma_drift([*recent, math.log(value)], fast=thresholds.drift_fast,
                                   slow=thresholds.drift_slow, max_below=thresholds.drift_below,
                                   max_above=thresholds.drift_above,
                                   min_samples=thresholds.drift_min_samples, guard=guard)
    if verdict.allowed:
        return verdict
    fast, slow = math.exp(verdict.details["fast_mean"]), math.exp(verdict.details["slow_mean"])
    return Verdict(guard=guard, allowed=False, detector=verdict.detector,
                   details=verdict.details | {"fast_value": round(fast, 2),
                                              "slow_value": round(slow, 2)},
                   reason=f"a sustained drift: the recent level {fast:.0f} is "
                          f"{abs(fast / slow - 1):.0%} {'below' if fast < slow else 'above'} the "
                          f"long-run level {slow:.0f} (fast/slow EWMA of the accepted values)")
