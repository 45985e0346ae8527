"""Baselines per item x zone from hourly velocity history, fitted in batches with statsforecast.

Method per series (the choice is recorded with the baseline):
- `none`: under 24 hours of history; the detector stays silent for that key.
- `mean`: under 72 hours: a flat hourly rate (the documented simple fallback); also an
  intermittent series with fewer than `MIN_CROSTON_EVENTS` hours with an event: Croston has
  no interval to smooth then and forecasts the one demand size per hour (a SKU that sold one
  unit in four weeks expected one unit every hour; found in the simulator's thin series).
- `croston`: intermittent series (more than half of the hours without an event):
  statsforecast CrostonOptimized's rate, spread over the day by the hour-of-day shape of all
  intermittent series pooled (a flat rate under-expects the evening and over-expects the
  night: measured in bench/demand.py, it raised false alarms and the total level's WRMSSE).
- `seasonal-week` / `seasonal-day`: dense series: statsforecast SeasonalWindowAverage over the
  same hour of the week (eight weeks or more of history) or of the day (three days or more).
The forecast for the next 168 hours is stored by hour of the week, so one fit serves every
window until the next fit. The forecast error (`sigma`, per hour) is the standard deviation of
history minus the fitted profile.

Holidays (the market's `HolidayCalendar`): holiday hours are kept out of the profile (a seasonal
series sees them replaced by the same hour's mean over ordinary days, a Croston or mean series
drops them) and out of the error; each series then gets a holiday multiplier, the ratio of what
it sold on past holidays to what its profile expected then, shrunk toward the pooled ratio of
all series fitted together (a Gamma-Poisson posterior mean: the pooled ratio counts as
`HOLIDAY_PRIOR_EVENTS` expected events of evidence), so a thin series borrows the pooled
holiday effect and a series with many holiday sales earns its own. No holiday in the history:
the pooled ratio, or 1 when no series saw one.

`exposure`: how many past periods each hour's expected rate averages (days for the daily
profile, weeks for the weekly one, the history in days for a flat or Croston rate); the
detector's negative binomial test uses it for the estimate's own error.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from hansa.demand.calendar import NO_HOLIDAYS, HolidayCalendar
from hansa.demand.model import HOURS_PER_WEEK, hour_of_week

MIN_HOURS = 24
MIN_MODEL_HOURS = 72
INTERMITTENT_ZERO_SHARE = 0.5
MIN_CROSTON_EVENTS = 3  # hours with an event a Croston fit needs (two intervals at least)
# The same hour of the week needs many weeks before its average is steadier than the same hour
# of the day over all days: with 4 weeks, each weekly slot averages 4 values (measured in
# bench/demand.py: 3x the false alarms of the daily profile), so weekly needs 8 weeks.
WEEKLY_MIN_WEEKS = 8
HOLIDAY_PRIOR_EVENTS = 20.0
FIT_CHUNK = 5_000  # series per statsforecast call (bounds the frame's memory)


@dataclass(frozen=True, slots=True)
class Baseline:
    method: str
    rates: list[float]  # expected events per hour, by hour of week (0 = Monday 00 UTC)
    sigma: float
    history_hours: int
    holiday_factor: float = 1.0  # expected events on a holiday hour = rate x this
    exposure: float = 1.0  # past periods each hour's rate averages (see the module docstring)

    def expected(self, at: datetime, holiday: bool = False) -> float:
        rate = self.rates[hour_of_week(at)]
        return rate * self.holiday_factor if holiday else rate

    @property
    def mean_per_hour(self) -> float:
        return sum(self.rates) / len(self.rates)

    @property
    def dispersion(self) -> float:
        """The hourly error's variance over the mean hourly rate (1 for Poisson scatter)."""
        mean = self.mean_per_hour
        return self.sigma ** 2 / mean if mean > 0 else 1.0


def method_for(y: np.ndarray) -> str:
    n = len(y)
    if n < MIN_HOURS:
        return "none"
    if n < MIN_MODEL_HOURS:
        return "mean"
    if float(np.mean(y == 0)) > INTERMITTENT_ZERO_SHARE:
        return "croston" if int(np.count_nonzero(y)) >= MIN_CROSTON_EVENTS else "mean"
    return "seasonal-week" if n >= WEEKLY_MIN_WEEKS * HOURS_PER_WEEK else "seasonal-day"


def _week_slots(first: datetime) -> np.ndarray:
    """The hour-of-week slot of each of the 168 hours starting at `first`."""
    return (np.arange(HOURS_PER_WEEK) + hour_of_week(first)) % HOURS_PER_WEEK


def _by_hour_of_week(values: np.ndarray, slots: np.ndarray) -> list[float]:
    """Map a 168-hour forecast onto hour-of-week slots (`_week_slots` of its first hour);
    negative forecasts count as none."""
    rates = np.zeros(HOURS_PER_WEEK)
    head = values[:HOURS_PER_WEEK]
    rates[slots[:len(head)]] = np.maximum(head, 0.0)
    return [float(r) for r in rates]


def _fitted(n: int, start: datetime, rates: list[float]) -> np.ndarray:
    first = hour_of_week(start)
    return np.array(rates)[(np.arange(n) + first) % HOURS_PER_WEEK]


def _sigma(y: np.ndarray, fitted: np.ndarray, keep: np.ndarray) -> float:
    residual = (y - fitted)[keep]
    return float(np.std(residual, ddof=1)) if len(residual) > 1 else 0.0


def _without_holidays(y: np.ndarray, mask: np.ndarray, method: str, end: datetime
                      ) -> np.ndarray:
    """The series the profile is fitted on: holiday hours dropped (a flat or Croston rate has
    no position to keep) or, for a seasonal profile, replaced by the same hour of the day's
    mean over the ordinary days."""
    if not mask.any() or mask.all():
        return y
    if method in ("mean", "croston"):
        return y[~mask]
    hours = (np.arange(len(y)) + (end - timedelta(hours=len(y))).hour) % 24
    sums = np.bincount(hours[~mask], weights=y[~mask], minlength=24)
    counts = np.bincount(hours[~mask], minlength=24)
    means = np.divide(sums, counts, out=np.zeros(24), where=counts > 0)
    out = y.astype(float).copy()
    out[mask] = means[hours[mask]]
    return out


def fit(series: Mapping[str, np.ndarray], end: datetime,
        calendar: HolidayCalendar = NO_HOLIDAYS) -> dict[str, Baseline]:
    """Baselines for hourly series that all end at the hour bucket before `end` (exclusive).

    Series are grouped by method and each group is fitted in one statsforecast call; then the
    holiday multipliers are learned (see the module docstring).
    """
    longest = max((len(y) for y in series.values()), default=0)
    full_mask = calendar.mask(end - timedelta(hours=longest), longest)
    masks = {k: full_mask[longest - len(y):] for k, y in series.items()}
    groups: dict[str, list[str]] = {}
    for key, y in series.items():
        groups.setdefault(method_for(y), []).append(key)
    out: dict[str, Baseline] = {}
    for key in groups.get("none", []):
        out[key] = Baseline("none", [0.0] * HOURS_PER_WEEK, 0.0, len(series[key]))
    for key in groups.get("mean", []):
        y = _without_holidays(series[key], masks[key], "mean", end)
        out[key] = Baseline("mean", [float(np.mean(y))] * HOURS_PER_WEEK, 0.0,
                            len(series[key]), exposure=len(series[key]) / 24)
    for method in ("croston", "seasonal-day", "seasonal-week"):
        keys = groups.get(method, [])
        if keys:
            out.update(_fit_group(method, keys, series, masks, end))
    return _with_errors_and_holidays(out, series, masks, end)


def _with_errors_and_holidays(out: dict[str, Baseline], series: Mapping[str, np.ndarray],
                              masks: Mapping[str, np.ndarray], end: datetime
                              ) -> dict[str, Baseline]:
    """The error on ordinary hours, and each series' holiday multiplier shrunk to the pool."""
    seen: dict[str, tuple[float, float]] = {}  # key -> (holiday events, profile's expectation)
    for key, b in out.items():
        y = series[key]
        if b.method == "none":
            continue
        fitted = _fitted(len(y), end - timedelta(hours=len(y)), b.rates)
        mask = masks[key]
        sigma = _sigma(y, fitted, ~mask)
        out[key] = dataclasses.replace(b, sigma=sigma if math.isfinite(sigma) else 0.0)
        if mask.any():
            seen[key] = (float(y[mask].sum()), float(fitted[mask].sum()))
    expected_total = sum(e for _, e in seen.values())
    pooled = sum(o for o, _ in seen.values()) / expected_total if expected_total > 0 else 1.0
    for key, b in out.items():
        if b.method == "none":
            continue
        observed, expected = seen.get(key, (0.0, 0.0))
        factor = (observed + HOLIDAY_PRIOR_EVENTS * pooled) / (expected + HOLIDAY_PRIOR_EVENTS)
        out[key] = dataclasses.replace(b, holiday_factor=round(factor, 4))
    return out


def _pooled_daily_shape(series: Mapping[str, np.ndarray], masks: Mapping[str, np.ndarray],
                        end: datetime) -> list[float]:
    """The hour-of-day shape (mean 1) of a group's pooled events on ordinary days, by hour of
    week index % 24 (hour-of-week slots start Monday 00:00 UTC, so slot % 24 is the UTC hour).
    One intermittent series has too few events for a shape of its own; together they show the
    day's rhythm."""
    totals = np.zeros(24)
    for key, y in series.items():
        first_hour = (end - timedelta(hours=len(y))).hour
        hours = (np.arange(len(y)) + first_hour) % 24
        totals += np.bincount(hours, weights=y * ~masks[key], minlength=24)
    if totals.sum() <= 0:
        return [1.0] * 24
    return list(totals / totals.mean())


def _fit_group(method: str, keys: list[str], original: Mapping[str, np.ndarray],
               masks: Mapping[str, np.ndarray], end: datetime) -> dict[str, Baseline]:
    """A group's statsforecast fit (each series without its holidays), `FIT_CHUNK` series a
    call. The window and the Croston day shape are the whole group's, and statsforecast
    forecasts each series on its own, so the chunks give what one call would, with a frame
    (three columns per observed hour) of one chunk in memory at a time. The error and the
    holiday multiplier are set afterwards."""
    from statsforecast import StatsForecast
    from statsforecast.models import CrostonOptimized, SeasonalWindowAverage

    model: CrostonOptimized | SeasonalWindowAverage
    window = 0
    if method == "croston":
        model = CrostonOptimized()
    else:
        season = HOURS_PER_WEEK if method == "seasonal-week" else 24
        window = min(len(original[k]) for k in keys) // season
        model = SeasonalWindowAverage(season_length=season, window_size=window)
    shape = (_pooled_daily_shape({k: original[k] for k in keys}, masks, end)
             if method == "croston" else None)
    slots = _week_slots(end)
    out = {}
    for start in range(0, len(keys), FIT_CHUNK):
        chunk = keys[start:start + FIT_CHUNK]
        cleaned = [_without_holidays(original[k], masks[k], method, end) for k in chunk]
        forecast = StatsForecast(models=[model], freq="h", n_jobs=1).forecast(
            df=_frame(chunk, cleaned, end), h=HOURS_PER_WEEK)
        column = next(c for c in forecast.columns if c not in ("unique_id", "ds"))
        for key, values in forecast.groupby("unique_id", sort=False)[column]:
            observed = len(original[str(key)])
            rates = _by_hour_of_week(values.to_numpy(), slots)
            if shape is not None:  # Croston's flat rate, spread over the day like its peers
                rates = [r * shape[h % 24] for h, r in enumerate(rates)]
            out[str(key)] = Baseline(method, rates, 0.0, observed,
                                     exposure=float(window) if window else observed / 24)
    return out


def _frame(keys: list[str], series: list[np.ndarray], end: datetime) -> Any:
    """statsforecast's long frame: each series' hours are the last len(y) before `end`."""
    import pandas as pd

    lengths = [len(y) for y in series]
    hours = pd.date_range(end=end.replace(tzinfo=None) - timedelta(hours=1),
                          periods=max(lengths), freq="h").to_numpy()
    return pd.DataFrame({
        "unique_id": np.repeat(np.array(keys, dtype=object), lengths),
        "ds": np.concatenate([hours[len(hours) - n:] for n in lengths]),
        "y": np.concatenate([y.astype(float) for y in series])})
