"""The price guard on one inbound price or cost: blank, <= 0, change bound, robust z-score."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hansa.guards.price_guard import DEFAULT_THRESHOLDS, PriceThresholds, check_price

G = "feed:ACME:price"
NOISY = [2500, 2450, 2560, 2520, 2480, 2530, 2470, 2510, 2540, 2490, 2500, 2460]  # +-2.5%


def _check(value: int | None, history: list[int] | None = None, last_good: int | None = 2500,
           field: str = "price") -> tuple[bool, str, str]:
    verdict = check_price(value, last_good=last_good, history=history or [], guard=G,
                          field=field)
    return verdict.allowed, verdict.detector, verdict.reason


def test_the_three_canonical_failures_are_refused_with_precise_reasons() -> None:
    assert _check(0) == (False, "positive", "price 0: value 0 is not > 0")
    assert _check(125) == (False, "max_change", "price 125: drop of 95.0% against the last good "
                                                "value 2500 exceeds the 50% bound")
    assert _check(None) == (False, "blank", "price is blank; the last good value 2500 stays "
                                            "in force")


def test_a_spike_beyond_the_rise_bound_is_refused() -> None:
    assert _check(7500) == (False, "max_change", "price 7500: rise of 200.0% against the last "
                                                 "good value 2500 exceeds the 100% bound")


def test_the_bounds_themselves_are_allowed() -> None:
    assert _check(1250)[0] is True  # exactly -50%
    assert _check(5000)[0] is True  # exactly +100%
    assert _check(1249)[1] == "max_change"
    assert _check(5001)[1] == "max_change"


def test_the_first_value_of_a_new_series_needs_only_to_be_positive() -> None:
    assert _check(99_999, last_good=None) == (True, "robust_z", "")
    assert _check(-5, last_good=None)[1] == "positive"


def test_a_cost_refusal_names_the_cost_field() -> None:
    assert _check(0, field="cost")[2] == "cost 0: value 0 is not > 0"


def test_a_30_percent_promotion_in_a_noisy_history_passes() -> None:
    assert _check(1750, NOISY)[0] is True


def test_a_47_percent_drop_inside_the_bound_is_caught_by_the_z_score() -> None:
    allowed, detector, reason = _check(1325, NOISY)

    assert (allowed, detector) == (False, "robust_z")
    assert reason == ("price 1325: 47.0% below the median 2500 of the last 12 accepted values "
                      "(robust z -12.7, bound 12)")


def test_a_40_percent_drop_looks_like_a_deep_promotion_and_passes() -> None:
    assert _check(1500, NOISY)[0] is True


def test_a_60_percent_rise_on_a_steady_series_is_caught_by_the_z_score() -> None:
    allowed, detector, reason = _check(4000, [2500] * 10)

    assert (allowed, detector) == (False, "robust_z")
    assert reason == ("price 4000: 60.0% above the median 2500 of the last 10 accepted values "
                      "(robust z +9.4, bound 7)")


def test_before_the_warm_up_only_the_hard_bounds_apply() -> None:
    assert _check(4000, [2500] * (DEFAULT_THRESHOLDS.min_samples - 1))[0] is True
    assert _check(4000, [2500] * DEFAULT_THRESHOLDS.min_samples)[0] is False


def test_only_the_newest_window_counts() -> None:
    old_level = [1000] * 40
    new_level = [2500] * DEFAULT_THRESHOLDS.window

    assert _check(2500, old_level + new_level)[0] is True
    assert _check(1000, old_level + new_level, last_good=2500)[0] is False


def test_thresholds_are_named_and_checked() -> None:
    looser = PriceThresholds(max_drop=0.96)

    assert check_price(125, last_good=2500, history=[], guard=G, thresholds=looser).allowed
    with pytest.raises(ValueError, match="max_drop"):
        PriceThresholds(max_drop=1.5)
    with pytest.raises(ValueError, match="min_samples"):
        PriceThresholds(window=5, min_samples=6)


@given(st.integers(-10**6, 0), st.lists(st.integers(1, 10**6), max_size=40))
def test_a_value_at_or_below_zero_is_always_refused(value: int, history: list[int]) -> None:
    verdict = check_price(value, last_good=history[-1] if history else None, history=history,
                          guard=G)

    assert (verdict.allowed, verdict.detector) == (False, "positive")


@given(st.integers(1, 10**7), st.integers(0, 40))
def test_repeating_the_value_in_force_is_always_allowed(value: int, n: int) -> None:
    assert check_price(value, last_good=value, history=[value] * n, guard=G).allowed


@given(st.lists(st.integers(1, 10**6), max_size=40), st.integers(1, 10**6))
def test_every_refusal_carries_the_field_and_the_last_good_value(history: list[int],
                                                                 value: int) -> None:
    last = history[-1] if history else None
    verdict = check_price(value, last_good=last, history=history, guard=G, field="cost")

    if not verdict.allowed:
        assert verdict.reason.startswith(f"cost {value}: ")
        assert (verdict.details["field"], verdict.details["last_good"]) == ("cost", last)


def _replay(values: list[int], thresholds: PriceThresholds = DEFAULT_THRESHOLDS,
            ) -> tuple[int | None, str]:
    """Offer each value as the feed handler does (only accepted ones enter the history); the
    index of the first refusal and its detector, or (None, "")."""
    history: list[int] = []
    for i, value in enumerate(values):
        verdict = check_price(value, last_good=history[-1] if history else None,
                              history=history[-thresholds.history:], guard=G,
                              thresholds=thresholds)
        if not verdict.allowed:
            return i, verdict.detector
        history.append(value)
    return None, ""


def _steady(days: int, level: int = 2500) -> list[int]:
    return [round(level * (1 + 0.03 * ((i * 7) % 5 - 2) / 2)) for i in range(days)]  # +-3%


def test_a_slow_drift_that_each_day_passes_the_window_is_caught_by_the_ewma_drift() -> None:
    history = _steady(40)
    drift = [round(history[-1] * 0.98 ** (t + 1)) for t in range(60)]
    no_drift = PriceThresholds(drift_below=10.0, drift_above=10.0)

    assert _replay(history + drift, no_drift) == (None, "")  # the window follows it down
    index, detector = _replay(history + drift)
    assert detector == "ewma_drift"
    assert index is not None and 40 < index < 100


def test_promotions_and_a_repricing_are_not_drift() -> None:
    weeks = []
    for week in range(12):
        level = 2500 if week < 6 else 2150  # a 14% repricing half-way
        days = _steady(7, level)
        if week % 2:  # every other week, three days at 30% off
            days[2:5] = [round(v * 0.7) for v in days[2:5]]
        weeks += days

    assert _replay(weeks) == (None, "")


def test_the_drift_refusal_says_how_far_the_level_moved() -> None:
    history = _steady(40)
    values = history + [round(history[-1] * 0.98 ** (t + 1)) for t in range(60)]
    index, _ = _replay(values)
    assert index is not None
    verdict = check_price(values[index], last_good=values[index - 1], guard=G,
                          history=values[:index][-DEFAULT_THRESHOLDS.history:])

    assert verdict.reason.startswith(f"price {values[index]}: a sustained drift: the recent "
                                     f"level ")
    assert "below the long-run level" in verdict.reason
    assert verdict.details["gap"] < -DEFAULT_THRESHOLDS.drift_below


def test_drift_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="drift_slow < drift_fast"):
        PriceThresholds(drift_fast=0.05, drift_slow=0.3)
    with pytest.raises(ValueError, match="drift_min_samples"):
        PriceThresholds(drift_min_samples=100)
