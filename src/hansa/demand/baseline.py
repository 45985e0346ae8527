"""Baselines per item x zone from hourly velocity history, fitted in batches with statsforecast.

Method per series (the choice is recorded with the baseline):
- `none`: under 24 hours of history; the detector stays silent for that key.
- `mean`: under 72 hours: a flat hourly rate (the documented simple fallback).
- `croston`: intermittent series (more than half of the hours without an event):
  statsforecast CrostonOptimized's rate, spread over the day by the hour-of-day shape of all
  intermittent series pooled (a flat rate under-expects the evening and over-expects the
  night: measured in bench/demand.py, it raised false alarms and the total level's WRMSSE).
- `seasonal-week` / `seasonal-day`: dense series: statsforecast SeasonalWindowAverage over the
  same hour of the week (eight weeks or more of history) or of the day (three days or more).
The forecast for the next 168 hours is stored by hour of the week, so one fit serves every
window until the next fit. The forecast error (`sigma`, per hour) is the standard deviation of
history minus the fitted profile. Holidays are not modelled (a holiday looks like a spike).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from hansa.demand.model import HOURS_PER_WEEK, hour_of_week

MIN_HOURS = 24
MIN_MODEL_HOURS = 72
INTERMITTENT_ZERO_SHARE = 0.5
# The same hour of the week needs many weeks before its average is steadier than the same hour
# of the day over all days: with 4 weeks, each weekly slot averages 4 values (measured in
# bench/demand.py: 3x the false alarms of the daily profile), so weekly needs 8 weeks.
WEEKLY_MIN_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Baseline:
    method: str
    rates: list[float]  # expected events per hour, by hour of week (0 = Monday 00 UTC)
    sigma: float
    history_hours: int

    def expected(self, at: datetime) -> float:
        return self.rates[hour_of_week(at)]

    @property
    def mean_per_hour(self) -> float:
        return sum(self.rates) / len(self.rates)


def method_for(y: np.ndarray) -> str:
    n = len(y)
    if n < MIN_HOURS:
        return "none"
    if n < MIN_MODEL_HOURS:
        return "mean"
    if float(np.mean(y == 0)) > INTERMITTENT_ZERO_SHARE:
        return "croston"
    return "seasonal-week" if n >= WEEKLY_MIN_WEEKS * HOURS_PER_WEEK else "seasonal-day"


def _by_hour_of_week(values: np.ndarray, first: datetime) -> list[float]:
    """Map a 168-hour forecast starting at `first` onto hour-of-week slots."""
    rates = [0.0] * HOURS_PER_WEEK
    for h, v in enumerate(values[:HOURS_PER_WEEK]):
        rates[hour_of_week(first + timedelta(hours=h))] = max(0.0, float(v))
    return rates


def _sigma(y: np.ndarray, start: datetime, rates: list[float]) -> float:
    fitted = np.array([rates[hour_of_week(start + timedelta(hours=h))] for h in range(len(y))])
    return float(np.std(y - fitted, ddof=1)) if len(y) > 1 else 0.0


def fit(series: Mapping[str, np.ndarray], end: datetime) -> dict[str, Baseline]:
    """Baselines for hourly series that all end at the hour bucket before `end` (exclusive).

    Series are grouped by method and each group is fitted in one statsforecast call.
    """
    groups: dict[str, list[str]] = {}
    for key, y in series.items():
        groups.setdefault(method_for(y), []).append(key)
    out: dict[str, Baseline] = {}
    for key in groups.get("none", []):
        out[key] = Baseline("none", [0.0] * HOURS_PER_WEEK, 0.0, len(series[key]))
    for key in groups.get("mean", []):
        y = series[key]
        rate = float(np.mean(y))
        out[key] = Baseline("mean", [rate] * HOURS_PER_WEEK,
                            float(np.std(y, ddof=1)) if len(y) > 1 else 0.0, len(y))
    for method in ("croston", "seasonal-day", "seasonal-week"):
        keys = groups.get(method, [])
        if keys:
            out.update(_fit_group(method, {k: series[k] for k in keys}, end))
    return out


def _pooled_daily_shape(series: Mapping[str, np.ndarray], end: datetime) -> list[float]:
    """The hour-of-day shape (mean 1) of a group's pooled events, by hour of week index % 24
    (hour-of-week slots start Monday 00:00 UTC, so slot % 24 is the UTC hour). One intermittent
    series has too few events for a shape of its own; together they show the day's rhythm."""
    totals = np.zeros(24)
    for y in series.values():
        first_hour = (end - timedelta(hours=len(y))).hour
        hours = (np.arange(len(y)) + first_hour) % 24
        totals += np.bincount(hours, weights=y, minlength=24)
    if totals.sum() <= 0:
        return [1.0] * 24
    return list(totals / totals.mean())


def _fit_group(method: str, series: Mapping[str, np.ndarray],
               end: datetime) -> dict[str, Baseline]:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import CrostonOptimized, SeasonalWindowAverage

    frames = []
    naive_end = end.replace(tzinfo=None)
    for key, y in series.items():
        ds = pd.date_range(end=naive_end - timedelta(hours=1), periods=len(y), freq="h")
        frames.append(pd.DataFrame({"unique_id": key, "ds": ds, "y": y.astype(float)}))
    df = pd.concat(frames, ignore_index=True)
    model: CrostonOptimized | SeasonalWindowAverage
    if method == "croston":
        model = CrostonOptimized()
    else:
        season = HOURS_PER_WEEK if method == "seasonal-week" else 24
        shortest = min(len(y) for y in series.values())
        model = SeasonalWindowAverage(season_length=season, window_size=shortest // season)
    sf = StatsForecast(models=[model], freq="h", n_jobs=1)
    forecast = sf.forecast(df=df, h=HOURS_PER_WEEK)
    column = next(c for c in forecast.columns if c not in ("unique_id", "ds"))
    shape = _pooled_daily_shape(series, end) if method == "croston" else None
    out = {}
    for key, values in forecast.groupby("unique_id", sort=False)[column]:
        y = series[str(key)]
        rates = _by_hour_of_week(values.to_numpy(), end)
        if shape is not None:  # Croston's flat rate, spread over the day like its peers
            rates = [r * shape[h % 24] for h, r in enumerate(rates)]
        start = end - timedelta(hours=len(y))
        sigma = _sigma(y, start, rates)
        out[str(key)] = Baseline(method, rates, sigma if math.isfinite(sigma) else 0.0, len(y))
    return out
