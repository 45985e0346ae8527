"""Pure logistics rules: scan order, learned gaps, policy bands, reship choice, return values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hansa.kernel.errors import NotAllowed
from hansa.kernel.geo import Position
from hansa.kernel.money import Money
from hansa.logistics.model import (
    MAX_GAP,
    MIN_GAP,
    Candidate,
    GapStats,
    Scan,
    TrackingStatus,
    choose_reship_location,
    current,
    default_policy,
    expected_gap,
    lane_of,
)
from hansa.logistics.returns_model import ReturnRules, check_request, line_values

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
scans = st.lists(st.builds(
    Scan, status=st.sampled_from(list(TrackingStatus)),
    occurred_at=st.integers(0, 500).map(lambda h: T0 + timedelta(hours=h)),
    city=st.sampled_from(["", "Chicago", "Toledo"])), min_size=1, max_size=12)


@given(scans, st.randoms())
def test_the_current_scan_does_not_depend_on_arrival_order(found: list[Scan], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(found)
    rnd.shuffle(shuffled)
    assert current(shuffled) == current(found)
    assert current(found).occurred_at == max(s.occurred_at for s in found)  # type: ignore[union-attr]


def test_on_a_tie_the_later_stage_of_the_journey_wins() -> None:
    out = Scan(TrackingStatus.OUT_FOR_DELIVERY, T0)
    delivered = Scan(TrackingStatus.DELIVERED, T0)
    assert current([delivered, out]) == current([out, delivered]) == delivered


@given(st.lists(st.floats(0.1, 400), max_size=60), st.sampled_from(list(TrackingStatus)))
def test_the_expected_gap_stays_within_its_bounds(gaps: list[float],
                                                  status: TrackingStatus) -> None:
    stats = GapStats()
    for hours in gaps:
        stats = stats.add(hours)
    assert MIN_GAP <= expected_gap(status, stats) <= MAX_GAP


def test_history_pulls_the_expected_gap_from_the_prior_towards_what_carriers_do() -> None:
    prior = expected_gap(TrackingStatus.IN_TRANSIT, None)
    stats = GapStats()
    for hours in [18.0, 20.0, 22.0] * 100:
        stats = stats.add(hours)
    learned = expected_gap(TrackingStatus.IN_TRANSIT, stats)
    assert prior == timedelta(hours=54)
    assert timedelta(hours=20) < learned < timedelta(hours=26)


def test_policy_bands_credit_bounds_and_extra_parcel_outcome() -> None:
    policy = default_policy()
    assert [policy.release_after(v) for v in (100, 5_000, 5_001, 20_001)] == [
        timedelta(hours=24), timedelta(hours=24), timedelta(hours=48), timedelta(hours=72)]
    assert [policy.credit_for(v) for v in (1_000, 12_000, 900_000)] == [500, 1_200, 5_000]
    assert (policy.extra_parcel_outcome(2_499), policy.extra_parcel_outcome(2_500)) == (
        "write_off", "return")


def test_the_reship_comes_from_the_nearest_location_that_holds_it_and_meets_the_promise() -> None:
    philadelphia, new_york = Position(39.95, -75.17), Position(40.75, -73.99)
    near_but_empty = Candidate("trenton", Position(40.22, -74.76), {"MUG": 0})
    newark = Candidate("newark", Position(40.73, -74.17), {"MUG": 3})
    los_angeles = Candidate("la", Position(34.05, -118.24), {"MUG": 9})
    soon = choose_reship_location([los_angeles, near_but_empty, newark], [("MUG", 2)],
                                  philadelphia, new_york, date(2026, 1, 6), T0)
    late = choose_reship_location([los_angeles], [("MUG", 2)], philadelphia, new_york,
                                  date(2026, 1, 6), T0)
    assert soon is not None and (soon.location_id, soon.meets_promise) == ("newark", True)
    assert late is not None and (late.location_id, late.meets_promise) == ("la", False)
    assert choose_reship_location([newark], [("MUG", 4)], None, None, date(2026, 1, 6),
                                  T0) is None


def test_lanes_use_the_destination_country_and_postal_prefix() -> None:
    assert lane_of("loc1", "us", "10001-1234") == "loc1>US-100"


@given(st.integers(0, 10**7), st.lists(st.integers(1, 5), min_size=1, max_size=5),
       st.data())
def test_returned_units_are_worth_their_exact_share(total: int, quantities: list[int],
                                                    data) -> None:  # type: ignore[no-untyped-def]
    shipped = [(f"S{i}", q) for i, q in enumerate(quantities)]
    back = {sku: data.draw(st.integers(0, q)) for sku, q in shipped}
    value = line_values(Money(total, "USD"), shipped, back)
    assert 0 <= value.amount <= total
    assert line_values(Money(total, "USD"), shipped, dict(shipped)).amount == total


def test_the_return_window_counts_from_delivery() -> None:
    rules = ReturnRules()
    ok = check_request(rules, delivered_at=T0, now=T0 + timedelta(days=30), condition="opened",
                       channel="web", wanted={"A": 1}, returnable={"A": 1})
    assert ok.value == "opened"
    with pytest.raises(NotAllowed):
        check_request(rules, delivered_at=T0, now=T0 + timedelta(days=31), condition="opened",
                      channel="web", wanted={"A": 1}, returnable={"A": 1})
