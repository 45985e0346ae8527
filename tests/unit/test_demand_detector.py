"""The spike detector: the exact Poisson tail, the two-part rule, and edge triggering."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import poisson

from hansa.demand.detector import (
    SpikeRule,
    evaluate,
    nb_upper_tail,
    null_size,
    poisson_upper_tail,
    transition,
)

RULE = SpikeRule()


@given(st.integers(0, 400), st.floats(0.01, 300))
def test_the_poisson_tail_matches_scipy(k: int, mu: float) -> None:
    assert math.isclose(poisson_upper_tail(k, mu), poisson.sf(k - 1, mu), rel_tol=1e-6,
                        abs_tol=1e-12)


def test_a_big_significant_rise_is_a_spike() -> None:
    verdict = evaluate(25, 10.0, RULE)
    assert verdict.spiking and verdict.ratio == 2.5 and verdict.p_value < 0.01


def test_significance_is_of_the_margin_not_of_any_rise() -> None:
    verdict = evaluate(20, 10.0, RULE)  # p = 0.0035 against 10, 0.011 against 11.5
    assert verdict.ratio == 2.0 and not verdict.spiking
    assert poisson_upper_tail(20, 10.0) < 0.01 < verdict.p_value


def test_the_same_ratio_on_few_counts_is_not_significant() -> None:
    verdict = evaluate(5, 2.5, RULE)
    assert not verdict.spiking and verdict.ratio == 2.0 and verdict.p_value > 0.05


def test_a_significant_rise_below_the_margin_is_not_a_spike() -> None:
    verdict = evaluate(1100, 1000.0, RULE)  # +10%: significant against the baseline itself,
    assert poisson_upper_tail(1100, 1000.0) < 0.01  # but not above the 15% margin
    assert not verdict.spiking


def test_a_thin_baseline_is_not_judged() -> None:
    assert not evaluate(9, 0.1, RULE).spiking


@given(st.integers(0, 200), st.floats(1, 100))
def test_a_spike_is_always_above_the_margin_and_significant(observed: int, expected: float
                                                           ) -> None:
    verdict = evaluate(observed, expected, RULE)
    if verdict.spiking:
        assert observed >= expected * 1.15 and verdict.p_value < 0.01


@given(st.lists(st.tuples(st.integers(0, 60), st.floats(5, 20)), min_size=1, max_size=40))
def test_edges_alternate_fire_close_fire(windows: list[tuple[int, float]]) -> None:
    is_open, steps = False, []
    for observed, expected in windows:
        step = transition(is_open, evaluate(observed, expected, RULE), RULE)
        if step == "fire":
            is_open = True
        elif step == "close":
            is_open = False
        if step:
            steps.append(step)
    assert all(a != b for a, b in itertools.pairwise(steps))
    assert not steps or steps[0] == "fire"


def test_a_key_fires_once_while_it_stays_high_and_rearms_after() -> None:
    high, calm = evaluate(25, 10.0, RULE), evaluate(10, 10.0, RULE)
    assert transition(False, high, RULE) == "fire"
    assert transition(True, high, RULE) is None
    assert transition(True, calm, RULE) == "close"
    assert transition(False, high, RULE) == "fire"


@given(st.integers(0, 300), st.floats(0.05, 200), st.floats(0.2, 5000))
def test_the_negative_binomial_tail_matches_scipy(k: int, mean: float, size: float) -> None:
    from scipy.stats import nbinom

    expected = nbinom.sf(k - 1, size, size / (size + mean))
    assert math.isclose(nb_upper_tail(k, mean, size), expected, rel_tol=1e-6, abs_tol=1e-12)


def test_the_negative_binomial_asks_more_of_an_uncertain_or_scattered_baseline() -> None:
    poisson_rule = SpikeRule(test="poisson")
    sure = evaluate(23, 10.0, RULE, exposure=1e9)
    assert math.isclose(sure.p_value, evaluate(23, 10.0, poisson_rule).p_value, rel_tol=1e-3)
    short_history = evaluate(23, 10.0, RULE, exposure=3)
    scattered = evaluate(23, 10.0, RULE, exposure=28, dispersion=2.5)
    assert sure.p_value < short_history.p_value and sure.p_value < scattered.p_value
    assert sure.spiking and not scattered.spiking
    # a big enough rise is a spike under either test
    assert evaluate(60, 10.0, RULE, exposure=3, dispersion=2.5).spiking


def test_the_negative_binomial_size_follows_the_variance() -> None:
    # mean 11.5, D = 2: variance 23 + 11.5^2 / (10 x 10) = 24.3225 -> r = 11.5^2 / 12.8225
    assert math.isclose(null_size(10.0, 10, 2.0, 0.15), 11.5 ** 2 / (11.5 + 1.3225),
                        rel_tol=1e-9)
    assert null_size(10.0, math.inf, 1.0, 0.15) == math.inf


def test_an_unknown_test_is_refused() -> None:
    with pytest.raises(ValueError, match="test is one of"):
        SpikeRule(test="t-test")
