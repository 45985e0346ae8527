"""The guard on inbound price and cost fields: blank, > 0, change bound, robust z-score.

Pure: the caller hands in the series history (accepted values, oldest first), the value in
force and the new value. Prices move multiplicatively (a 20% promotion is the same event on
a 5.00 and on a 500.00 item), so the statistical check works on logarithms: the window's
spread is then relative and one threshold fits every SKU. Promotions only ever lower a
price, so the bound below the median is wider than the one above it.
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

    def __post_init__(self) -> None:
        if not 0 < self.max_drop < 1:
            raise ValueError("max_drop is a fraction in (0, 1)")
        if min(self.max_rise, self.z_above, self.z_below, self.min_log_scale) <= 0:
            raise ValueError("max_rise, z_above, z_below and min_log_scale must be > 0")
        if not 1 <= self.min_samples <= self.window:
            raise ValueError("need 1 <= min_samples <= window")


DEFAULT_THRESHOLDS = PriceThresholds()


def _refusal(verdict: Verdict, field: str, value: int, last_good: int | None,
             reason: str) -> Verdict:
    return Verdict(guard=verdict.guard, allowed=False, detector=verdict.detector,
                   reason=f"{field} {value}: {reason}",
                   details=verdict.details | {"field": field, "last_good": last_good})


def _robust_z(value: int, history: Sequence[float], guard: str,
              thresholds: PriceThresholds) -> Verdict:
    window = [math.log(v) for v in history[-thresholds.window:] if v > 0]
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
    verdict = _robust_z(value, history, guard, thresholds)
    if not verdict.allowed:
        return _refusal(verdict, field, value, last_good, verdict.reason)
    return verdict
