"""Pure detectors: hard bounds, robust z-score, EWMA band and rate windows, each a Verdict.

Every detector is a function of its inputs only (no clock, no I/O), names itself in
`Verdict.detector`, explains a refusal in `reason` and puts its numbers in `details`, so a
trip can be audited and replayed. Statistical detectors say nothing before their warm-up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from hansa.guards.model import Verdict

MAD_TO_SIGMA = 1.4826  # MAD * this estimates the standard deviation of normal data


def _allowed(guard: str, detector: str, **details: object) -> Verdict:
    return Verdict(guard=guard, allowed=True, detector=detector, details=dict(details))


def _refused(guard: str, detector: str, reason: str, **details: object) -> Verdict:
    return Verdict(guard=guard, allowed=False, detector=detector, reason=reason,
                   details=dict(details))


# hard bounds -------------------------------------------------------------------------------
def positive(value: float, *, guard: str) -> Verdict:
    """Refuses zero and negative values (a price or cost of 0.00 is never real)."""
    if value > 0:
        return _allowed(guard, "positive", value=value)
    return _refused(guard, "positive", f"value {value:g} is not > 0", value=value)


def max_change(value: float, last_good: float | None, *, max_drop: float, max_rise: float,
               guard: str) -> Verdict:
    """Refuses a change against the last good value beyond the bounds (fractions: 0.5 = 50%).

    A drop and the rise that undoes it are different fractions (halving is -50%, doubling
    back is +100%), so each direction has its own bound.
    """
    if last_good is None or last_good <= 0:
        return _allowed(guard, "max_change", value=value, last_good=last_good)
    change = value / last_good - 1
    details = {"value": value, "last_good": last_good, "change": round(change, 6),
               "max_drop": max_drop, "max_rise": max_rise}
    if change < -max_drop:
        return _refused(guard, "max_change", f"drop of {-change:.1%} against the last good value "
                        f"{last_good:g} exceeds the {max_drop:.0%} bound", **details)
    if change > max_rise:
        return _refused(guard, "max_change", f"rise of {change:.1%} against the last good value "
                        f"{last_good:g} exceeds the {max_rise:.0%} bound", **details)
    return _allowed(guard, "max_change", **details)


def _number(value: float) -> str:
    """1000000 -> 1,000,000; 2.5 -> 2.5 (reasons are read by people)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def quantity_range(value: float, *, low: float, high: float, guard: str) -> Verdict:
    """Refuses a quantity outside [low, high]."""
    if low <= value <= high:
        return _allowed(guard, "quantity_range", value=value, low=low, high=high)
    return _refused(guard, "quantity_range", f"quantity {_number(value)} is outside "
                    f"{_number(low)}..{_number(high)}", value=value, low=low, high=high)


# robust z-score ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RobustSpread:
    """The centre and the sigma-scaled spread of a window, and how the spread was found."""

    centre: float
    scale: float
    method: str  # "mad", or "floor" when MAD * 1.4826 is below the floor (MAD 0 included)


def robust_spread(window: Sequence[float], *, min_scale: float) -> RobustSpread:
    """Median and MAD * 1.4826, never below `min_scale`.

    MAD is 0 when over half the window sits on one value (a price that rarely moves). The
    floor then sets the scale. Not the mean absolute deviation, the usual fallback: one wild
    value in the window would inflate it and blind the detector.
    """
    centre = median(window)
    scale = MAD_TO_SIGMA * median(abs(x - centre) for x in window)
    if scale < min_scale:
        return RobustSpread(centre, min_scale, "floor")
    return RobustSpread(centre, scale, "mad")


def robust_z(value: float, window: Sequence[float], *, threshold: float, min_samples: int,
             min_scale: float, guard: str, threshold_below: float | None = None) -> Verdict:
    """Refuses a value more than `threshold` robust sigmas from the window's median.

    `threshold_below` (default: `threshold`) bounds values under the median separately, for
    series whose normal moves are one-sided (promotions only ever lower a price).
    `min_scale` (> 0) keeps a window of identical values from calling every change infinite.
    Fewer than `min_samples` values: warming up, allowed.
    """
    if len(window) < max(min_samples, 1):
        return _allowed(guard, "robust_z", warming_up=True, samples=len(window),
                        min_samples=min_samples)
    spread = robust_spread(window, min_scale=min_scale)
    z = (value - spread.centre) / spread.scale
    bound = threshold if z >= 0 or threshold_below is None else threshold_below
    details = {"value": value, "median": spread.centre, "scale": spread.scale,
               "scale_method": spread.method, "z": round(z, 4), "threshold": bound,
               "samples": len(window)}
    if abs(z) > bound:
        side = "above" if z > 0 else "below"
        return _refused(guard, "robust_z", f"robust z-score {z:+.1f} is beyond the {bound:g} "
                        f"bound {side} the median {spread.centre:.4g} (scale {spread.scale:.3g}, "
                        f"{len(window)} samples)", **details)
    return _allowed(guard, "robust_z", **details)


# EWMA band ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ewma:
    """Exponentially weighted mean and variance of a series (alpha: weight of the newest)."""

    alpha: float
    mean: float = 0.0
    variance: float = 0.0
    count: int = 0

    def update(self, value: float) -> Ewma:
        if self.count == 0:
            return Ewma(self.alpha, value, 0.0, 1)
        diff = value - self.mean
        increment = self.alpha * diff
        variance = (1 - self.alpha) * (self.variance + diff * increment)
        return Ewma(self.alpha, self.mean + increment, variance, self.count + 1)

    @classmethod
    def of(cls, values: Iterable[float], alpha: float) -> Ewma:
        state = cls(alpha)
        for value in values:
            state = state.update(value)
        return state


def ewma_band(value: float, state: Ewma, *, k: float, min_samples: int, min_sigma: float,
              guard: str) -> Verdict:
    """Refuses a value outside mean +- k sigma of the EWMA state (sigma never < min_sigma)."""
    if state.count < max(min_samples, 1):
        return _allowed(guard, "ewma_band", warming_up=True, samples=state.count,
                        min_samples=min_samples)
    sigma = max(math.sqrt(max(state.variance, 0.0)), min_sigma)
    distance = (value - state.mean) / sigma
    details = {"value": value, "mean": state.mean, "sigma": sigma, "k": k,
               "distance": round(distance, 4), "alpha": state.alpha, "samples": state.count}
    if abs(distance) > k:
        return _refused(guard, "ewma_band", f"value {value:g} is {distance:+.1f} sigma from the "
                        f"EWMA mean {state.mean:g} (band +-{k:g} sigma)", **details)
    return _allowed(guard, "ewma_band", **details)


def ewma_mean(values: Sequence[float], alpha: float) -> float:
    """The exponentially weighted mean of `values` (newest last), started at the first one:
    the `Ewma` mean without its variance, in a plain loop (it runs on every guarded update)."""
    mean = values[0]
    for value in values[1:]:
        mean += alpha * (value - mean)
    return mean


def ewma_drift(values: Sequence[float], *, fast: float, slow: float, max_below: float,
               max_above: float, min_samples: int, guard: str) -> Verdict:
    """Refuses when a fast EWMA of `values` (newest last) has left the slow one by more than
    `max_below` under it or `max_above` over it: a sustained move, not a blip.

    A slow drift (a feed losing 2% a day) passes every check against recent values, because
    each day looks like the last; the slow EWMA remembers where the series was. Short moves
    (a few days of promotion) pull the fast average only part of the way.
    """
    if len(values) < max(min_samples, 1):
        return _allowed(guard, "ewma_drift", warming_up=True, samples=len(values),
                        min_samples=min_samples)
    quick, steady = ewma_mean(values, fast), ewma_mean(values, slow)
    gap = quick - steady
    details = {"fast_mean": round(quick, 6), "slow_mean": round(steady, 6),
               "gap": round(gap, 6), "max_below": max_below, "max_above": max_above,
               "fast_alpha": fast, "slow_alpha": slow, "samples": len(values)}
    if -max_below <= gap <= max_above:
        return _allowed(guard, "ewma_drift", **details)
    side = "below" if gap < 0 else "above"
    return _refused(guard, "ewma_drift", f"the fast EWMA ({fast:g}) is {abs(gap):.3g} {side} "
                    f"the slow EWMA ({slow:g}), beyond {max_below if gap < 0 else max_above:g}: "
                    f"a sustained drift", **details)


# rate windows ------------------------------------------------------------------------------
def _in_window(at: datetime, now: datetime, window: timedelta) -> bool:
    return now - window < at <= now


def change_rate(changes: Iterable[tuple[datetime, str]], *, population: int, now: datetime,
                window: timedelta, max_share: float, guard: str) -> Verdict:
    """Refuses when the distinct keys changed within `window` exceed `max_share` of all keys.

    E.g. a feed that touches 40% of the SKUs within a minute is more likely broken than busy.
    """
    changed = {key for at, key in changes if _in_window(at, now, window)}
    share = len(changed) / population if population > 0 else 0.0
    details = {"changed": len(changed), "population": population, "share": round(share, 6),
               "max_share": max_share, "window_seconds": window.total_seconds()}
    if share > max_share:
        return _refused(guard, "change_rate", f"{len(changed)} of {population} keys ({share:.1%}) "
                        f"changed within {window}, above {max_share:.0%}", **details)
    return _allowed(guard, "change_rate", **details)


def error_rate(outcomes: Iterable[tuple[datetime, bool]], *, now: datetime, window: timedelta,
               max_rate: float, min_events: int, guard: str) -> Verdict:
    """Refuses when the share of failures (False) within `window` exceeds `max_rate`.

    Fewer than `min_events` outcomes in the window say nothing (one failure is not a rate).
    """
    recent = [ok for at, ok in outcomes if _in_window(at, now, window)]
    failures = recent.count(False)
    if len(recent) < max(min_events, 1):
        return _allowed(guard, "error_rate", warming_up=True, events=len(recent),
                        min_events=min_events)
    rate = failures / len(recent)
    details = {"failures": failures, "events": len(recent), "rate": round(rate, 6),
               "max_rate": max_rate, "window_seconds": window.total_seconds()}
    if rate > max_rate:
        return _refused(guard, "error_rate", f"{failures} of {len(recent)} calls failed "
                        f"({rate:.1%}) within {window}, above {max_rate:.0%}", **details)
    return _allowed(guard, "error_rate", **details)
