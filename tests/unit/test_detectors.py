"""Properties of the pure detectors: bounds, robust z-score, EWMA band, rate windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import median

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hansa.guards import detectors as d

G = "feed:ACME:price"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
values = st.integers(min_value=-10**6, max_value=10**6)
windows = st.lists(st.integers(min_value=-10**4, max_value=10**4), min_size=1, max_size=60)


# hard bounds -------------------------------------------------------------------------------
@given(values)
def test_positive_allows_exactly_the_values_above_zero(value: int) -> None:
    verdict = d.positive(value, guard=G)

    assert verdict.allowed is (value > 0)
    assert (verdict.guard, verdict.detector) == (G, "positive")
    assert (verdict.reason == "") is verdict.allowed


@given(st.integers(1, 10**7), st.integers(1, 10**7))
def test_max_change_allows_exactly_the_changes_inside_both_bounds(value: int, last: int) -> None:
    change = value / last - 1
    assume(abs(change + 0.5) > 1e-9 and abs(change - 1.0) > 1e-9)

    verdict = d.max_change(value, last, max_drop=0.5, max_rise=1.0, guard=G)

    assert verdict.allowed is (-0.5 <= change <= 1.0)
    assert verdict.details["change"] == round(change, 6)


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(2, 1000))
def test_max_change_does_not_depend_on_the_unit(value: int, last: int, factor: int) -> None:
    assume(abs(value / last - 0.5) > 1e-9 and abs(value / last - 2.0) > 1e-9)

    small = d.max_change(value, last, max_drop=0.5, max_rise=1.0, guard=G)
    large = d.max_change(value * factor, last * factor, max_drop=0.5, max_rise=1.0, guard=G)

    assert small.allowed is large.allowed


@given(st.integers(-10**6, 10**6))
def test_max_change_without_a_last_good_value_allows_anything(value: int) -> None:
    assert d.max_change(value, None, max_drop=0.5, max_rise=1.0, guard=G).allowed


def test_the_drop_reason_names_the_drop_the_last_good_value_and_the_bound() -> None:
    verdict = d.max_change(125, 2500, max_drop=0.5, max_rise=1.0, guard=G)

    assert verdict.reason == ("drop of 95.0% against the last good value 2500 exceeds the 50% "
                              "bound")


def test_the_quantity_reason_is_written_for_people() -> None:
    verdict = d.quantity_range(5_000_000, low=0, high=1_000_000, guard=G)

    assert verdict.reason == "quantity 5,000,000 is outside 0..1,000,000"


@given(values, values, values)
def test_quantity_range_allows_exactly_the_closed_interval(value: int, a: int, b: int) -> None:
    low, high = sorted((a, b))

    assert d.quantity_range(value, low=low, high=high, guard=G).allowed is (low <= value <= high)


# robust z-score ----------------------------------------------------------------------------
def _z(value: float, window: list[int], **kw: float) -> d.Verdict:
    options = {"threshold": 3.5, "min_samples": 1, "min_scale": 1.0} | kw
    return d.robust_z(value, window, threshold=options["threshold"],
                      min_samples=int(options["min_samples"]), min_scale=options["min_scale"],
                      guard=G, threshold_below=kw.get("threshold_below"))


@given(windows, values)
def test_before_the_warm_up_the_z_score_says_nothing(window: list[int], value: int) -> None:
    verdict = _z(value, window, min_samples=len(window) + 1)

    assert verdict.allowed
    assert verdict.details["warming_up"] is True


@given(windows)
def test_the_median_of_the_window_is_always_allowed(window: list[int]) -> None:
    assert _z(median(window), window).allowed


@given(windows, values, st.integers(-10**4, 10**4))
def test_shifting_window_and_value_together_changes_nothing(window: list[int], value: int,
                                                            shift: int) -> None:
    plain = _z(value, window)
    shifted = _z(value + shift, [x + shift for x in window])

    assert plain.allowed is shifted.allowed
    assert plain.details["z"] == shifted.details["z"]


@given(windows, values, st.integers(2, 50))
def test_scaling_window_value_and_floor_together_changes_nothing(window: list[int], value: int,
                                                                 factor: int) -> None:
    plain = _z(value, window, min_scale=1.0)
    scaled = _z(value * factor, [x * factor for x in window], min_scale=float(factor))

    assert plain.allowed is scaled.allowed
    assert plain.details["z"] == pytest.approx(scaled.details["z"])


@given(windows, values, st.integers(1, 10**5))
def test_moving_further_out_never_turns_a_refusal_into_an_allowance(window: list[int],
                                                                    value: int,
                                                                    further: int) -> None:
    centre = median(window)
    outward = value + further if value >= centre else value - further

    if not _z(value, window).allowed:
        assert not _z(outward, window).allowed


@given(windows, values, st.floats(0.01, 100))
def test_the_scale_is_never_below_the_floor_and_z_is_always_finite(window: list[int],
                                                                   value: int,
                                                                   floor: float) -> None:
    verdict = _z(value, window, min_scale=floor)

    assert verdict.details["scale"] >= floor
    assert verdict.details["z"] == round((value - median(window)) / verdict.details["scale"], 4)


@given(st.integers(-1000, 1000), st.integers(1, 60), st.integers(-10, 10))
def test_a_flat_window_judges_changes_against_the_floor(level: int, size: int,
                                                        step: int) -> None:
    verdict = _z(level + step, [level] * size, threshold=3.0, min_scale=2.0)

    assert verdict.details["scale_method"] == "floor"
    assert verdict.allowed is (abs(step) / 2.0 <= 3.0)


def test_when_mad_is_zero_the_floor_sets_the_scale_not_the_outliers() -> None:
    window = [100] * 6 + [90, 110, 10**6, -(10**6), 100]  # over half on the median: MAD 0

    spread = d.robust_spread(window, min_scale=2.5)

    assert (spread.centre, spread.scale, spread.method) == (100, 2.5, "floor")


@given(st.lists(st.integers(90, 110), min_size=9, max_size=40),
       st.lists(st.integers(10**6, 10**7), min_size=0, max_size=4))
def test_a_few_wild_values_in_the_window_do_not_blind_it(clean: list[int],
                                                         wild: list[int]) -> None:
    assume(len(wild) * 2 < len(clean))

    assert not _z(10**6, clean + wild, threshold=5.0, min_scale=1.0).allowed


@given(windows, values)
def test_a_wider_bound_below_only_allows_more_values_below(window: list[int],
                                                           value: int) -> None:
    symmetric = _z(value, window, threshold=3.0)
    wider = _z(value, window, threshold=3.0, threshold_below=6.0)

    if value >= median(window):
        assert wider.allowed is symmetric.allowed
    elif symmetric.allowed:
        assert wider.allowed


def test_a_refusal_says_which_side_how_far_and_on_how_much() -> None:
    verdict = _z(200, [100, 102, 98, 101, 99, 103, 97, 100], threshold=3.5, min_scale=1.0)

    assert not verdict.allowed
    assert verdict.reason == ("robust z-score +45.0 is beyond the 3.5 bound above the median 100 "
                              "(scale 2.22, 8 samples)")
    assert verdict.details["scale_method"] == "mad"


# EWMA band ---------------------------------------------------------------------------------
series = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=80)
alphas = st.floats(0.01, 1.0)


@given(series, alphas)
def test_the_ewma_mean_stays_inside_the_range_and_the_variance_is_not_negative(
        values_: list[float], alpha: float) -> None:
    state = d.Ewma.of(values_, alpha)

    assert min(values_) - 1e-6 <= state.mean <= max(values_) + 1e-6
    assert state.variance >= 0
    assert state.count == len(values_)


@given(series, alphas)
def test_folding_at_once_equals_updating_one_by_one(values_: list[float], alpha: float) -> None:
    state = d.Ewma(alpha)
    for value in values_:
        state = state.update(value)

    assert state == d.Ewma.of(values_, alpha)


@given(st.floats(-1e4, 1e4), st.integers(1, 50), st.floats(0.01, 1.0))
def test_a_constant_series_has_its_value_as_mean_and_no_variance(level: float, n: int,
                                                                 alpha: float) -> None:
    state = d.Ewma.of([level] * n, alpha)

    assert state.mean == pytest.approx(level)
    assert state.variance == pytest.approx(0.0, abs=1e-9)
    verdict = d.ewma_band(level, state, k=3, min_samples=1, min_sigma=1.0, guard=G)
    assert verdict.allowed


@given(st.integers(1, 20), st.floats(3.01, 100))
def test_the_band_is_k_sigma_wide_with_sigma_never_below_its_floor(n: int,
                                                                   distance: float) -> None:
    state = d.Ewma.of([50.0] * n, 0.2)

    inside = d.ewma_band(50 + 2.99, state, k=3, min_samples=1, min_sigma=1.0, guard=G)
    outside = d.ewma_band(50 + distance, state, k=3, min_samples=1, min_sigma=1.0, guard=G)

    assert (inside.allowed, outside.allowed) == (True, False)
    assert outside.detector == "ewma_band"


@given(series, st.floats(-1e4, 1e4))
def test_before_the_warm_up_the_band_says_nothing(values_: list[float], value: float) -> None:
    state = d.Ewma.of(values_, 0.3)

    assert d.ewma_band(value, state, k=0.1, min_samples=len(values_) + 1, min_sigma=1e-9,
                       guard=G).allowed


# rate windows ------------------------------------------------------------------------------
moments = st.lists(st.tuples(st.integers(0, 600), st.sampled_from("ABCDEFGH")), max_size=60)


@given(moments, st.integers(1, 20), st.floats(0.0, 1.0))
def test_change_rate_counts_distinct_keys_inside_the_window(changes: list[tuple[int, str]],
                                                            population: int,
                                                            max_share: float) -> None:
    dated = [(NOW - timedelta(seconds=s), key) for s, key in changes]
    inside = {key for s, key in changes if s < 60}

    verdict = d.change_rate(dated, population=population, now=NOW, window=timedelta(minutes=1),
                            max_share=max_share, guard=G)

    assert verdict.details["changed"] == len(inside)
    assert verdict.allowed is (len(inside) / population <= max_share)


@given(st.lists(st.tuples(st.integers(0, 600), st.booleans()), max_size=80),
       st.integers(1, 10), st.floats(0.0, 1.0))
def test_error_rate_is_the_failed_share_inside_the_window(outcomes: list[tuple[int, bool]],
                                                          min_events: int,
                                                          max_rate: float) -> None:
    dated = [(NOW - timedelta(seconds=s), ok) for s, ok in outcomes]
    inside = [ok for s, ok in outcomes if s < 300]

    verdict = d.error_rate(dated, now=NOW, window=timedelta(minutes=5), max_rate=max_rate,
                           min_events=min_events, guard=G)

    if len(inside) < min_events:
        assert verdict.allowed and verdict.details["warming_up"] is True
    else:
        assert verdict.allowed is (inside.count(False) / len(inside) <= max_rate)


def test_a_change_exactly_one_window_old_is_out_of_it() -> None:
    verdict = d.change_rate([(NOW - timedelta(minutes=1), "A"), (NOW, "B")], population=2,
                            now=NOW, window=timedelta(minutes=1), max_share=0.4, guard=G)

    assert (verdict.allowed, verdict.details["changed"]) == (False, 1)
    assert verdict.reason == "1 of 2 keys (50.0%) changed within 0:01:00, above 40%"
