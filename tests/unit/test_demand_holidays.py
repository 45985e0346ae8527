"""Holidays in the baseline: kept out of the profile, learned as a (shrunk) multiplier, and used
by the detector's expectation on holiday hours."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from hansa.demand.baseline import HOLIDAY_PRIOR_EVENTS, fit
from hansa.demand.calendar import NO_HOLIDAYS, HolidayCalendar, calendar_from_settings
from hansa.demand.detector import SpikeRule, evaluate
from hansa.kernel.errors import InvalidData

US = HolidayCalendar(country="US", timezone="America/New_York")
START = datetime(2026, 8, 31, 4, tzinfo=UTC)  # Monday 00:00 in New York (EDT)
END = datetime(2026, 11, 23, 5, tzinfo=UTC)  # Monday 00:00 in New York (EST): 12 weeks
UPLIFT = 2.5
RULE = SpikeRule()


def _profile(at: datetime) -> float:
    return 1 + 0.5 * math.sin((at.hour - 9) / 24 * 2 * math.pi)


def _history(rate: float, seed: int, uplift: float = UPLIFT) -> np.ndarray:
    """Hourly add-to-cart counts with a daily rhythm, `uplift` times more on US holidays
    (Labor Day, Columbus Day, Veterans Day fall in these 12 weeks)."""
    rng = np.random.default_rng(seed)
    hours = int((END - START) / timedelta(hours=1))
    at = [START + timedelta(hours=h) for h in range(hours)]
    lam = np.array([rate * _profile(t) * (uplift if US.is_holiday(t) else 1.0) for t in at])
    return rng.poisson(lam).astype(float)


def _window(b: object, at: datetime, calendar: HolidayCalendar) -> float:
    hours = [at - timedelta(hours=h) for h in range(RULE.window_hours)]
    return sum(b.expected(t, calendar.is_holiday(t)) for t in hours)  # type: ignore[attr-defined]


def test_the_calendar_knows_us_holidays_in_local_time() -> None:
    thanksgiving = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert US.is_holiday(thanksgiving) and "Thanksgiving" in US.name(thanksgiving)
    assert not US.is_holiday(datetime(2026, 11, 24, 12, tzinfo=UTC))
    # 03:00 UTC on Friday is still Thursday evening in New York
    assert US.is_holiday(datetime(2026, 11, 27, 3, tzinfo=UTC))
    assert not US.is_holiday(datetime(2026, 11, 27, 6, tzinfo=UTC))
    assert not NO_HOLIDAYS.is_holiday(thanksgiving)
    black_friday = calendar_from_settings("US", "", "America/New_York", ["2026-11-27"])
    assert black_friday.is_holiday(datetime(2026, 11, 27, 18, tzinfo=UTC))


def test_a_bad_calendar_is_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidData, match="time zone"):
        HolidayCalendar(country="US", timezone="Mars/Olympus")
    with pytest.raises(InvalidData, match="no holiday calendar"):
        HolidayCalendar(country="XX")
    with pytest.raises(InvalidData, match="extra holiday dates"):
        calendar_from_settings("US", "", "UTC", ["26-11-2026"])


def test_holidays_stay_out_of_the_profile_and_become_a_multiplier() -> None:
    y = _history(8.0, seed=1)
    with_holidays = fit({"s": y}, END, US)["s"]
    blind = fit({"s": y}, END)["s"]
    mean_rate = 8.0  # the profile averages 1 over the day
    assert abs(with_holidays.mean_per_hour - mean_rate) < abs(blind.mean_per_hour - mean_rate)
    assert blind.holiday_factor == 1.0  # no calendar: nothing learned
    # three holidays x 24 h x 8/h = 576 expected events: the series' own ratio dominates
    assert 2.2 < with_holidays.holiday_factor < 2.8
    assert with_holidays.sigma < blind.sigma  # the holiday surges no longer count as error


def test_a_thin_series_borrows_the_pooled_holiday_effect() -> None:
    series = {f"dense-{i}": _history(6.0, seed=10 + i) for i in range(5)}
    series["thin"] = _history(0.05, seed=99)
    series["flat"] = _history(6.0, seed=42, uplift=1.0)
    fitted = fit(series, END, US)
    pooled = [fitted[f"dense-{i}"].holiday_factor for i in range(5)]
    assert all(2.0 < f < 3.0 for f in pooled)
    # a handful of holiday events against a prior of 20 expected: close to the pool
    assert 1.8 < fitted["thin"].holiday_factor < 3.0
    # a dense series with no holiday effect of its own earns its own (near 1)
    assert 0.85 < fitted["flat"].holiday_factor < 1.3
    assert HOLIDAY_PRIOR_EVENTS > 0


def test_a_holiday_uplift_does_not_confirm_a_spike_but_the_same_on_an_ordinary_day_does(
) -> None:
    b = fit({"s": _history(8.0, seed=3)}, END, US)["s"]
    thanksgiving = datetime(2026, 11, 26, 23, tzinfo=UTC)  # Thursday 18:00 in New York
    ordinary = datetime(2026, 11, 24, 23, tzinfo=UTC)  # Tuesday 18:00
    assert US.is_holiday(thanksgiving) and not US.is_holiday(ordinary)
    usual = _window(b, ordinary, US)
    observed = round(usual * UPLIFT)  # the holiday's usual surge
    on_holiday = evaluate(observed, _window(b, thanksgiving, US), RULE)
    on_ordinary_day = evaluate(observed, usual, RULE)
    assert not on_holiday.spiking, on_holiday.reason
    assert on_ordinary_day.spiking, on_ordinary_day.reason
    # without the calendar the holiday surge looks like a spike: the calendar is what stops it
    blind = fit({"s": _history(8.0, seed=3)}, END)["s"]
    assert evaluate(observed, _window(blind, thanksgiving, NO_HOLIDAYS), RULE).spiking


def test_extra_dates_count_as_holidays_in_the_fit() -> None:
    extra = HolidayCalendar(timezone="America/New_York", extra=frozenset({date(2026, 9, 1)}))
    assert extra.mask(START, 48).sum() == 24
