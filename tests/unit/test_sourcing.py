"""Sourcing optimiser: invariants (Hypothesis), agreement with the MILP, and worked examples."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hansa.fulfillment import generate
from hansa.fulfillment.baselines import first_location, greedy_priority
from hansa.fulfillment.milp import solve_milp
from hansa.fulfillment.model import (
    ASSEMBLY,
    BULKY,
    Line,
    Node,
    NodeKind,
    Plan,
    Problem,
    Request,
    SplitPolicy,
    Unfulfillable,
    check_plan,
    prepare,
)
from hansa.fulfillment.optimiser import best_single, source
from hansa.kernel.geo import Position
from hansa.shipping.model import Item

MORNING = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
EVENING = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
CARRIERS = generate.carriers()
NYC = Position(40.71, -74.01)
SITES = [Position(40.75, -73.9), Position(39.95, -75.16), Position(41.88, -87.63),
         Position(33.75, -84.39), Position(34.05, -118.24), Position(47.61, -122.33)]
ITEMS = [Item("A", 800), Item("B", 2500), Item("C", 12_000), Item("SOFA", 60_000, bulky=True)]


def node(i: int, position: Position, **extra: object) -> Node:
    values: dict[str, object] = {"id": f"n{i}", "code": f"N{i}", "kind": NodeKind.WAREHOUSE,
                                 "position": position, "country": "US",
                                 "capabilities": frozenset({BULKY}), "priority": i}
    values.update(extra)
    return Node(**values)  # type: ignore[arg-type]


def problem(nodes: list[Node], atp: dict[str, dict[str, int]], lines: list[Line],
            now: datetime = MORNING, destination: Position = NYC) -> Problem:
    return prepare(Request("o1", tuple(lines), destination, "US", now), nodes, CARRIERS, atp)


@st.composite
def instances(draw: st.DrawFn) -> Problem:
    count = draw(st.integers(2, 6))
    nodes = [node(i, SITES[draw(st.integers(0, len(SITES) - 1))],
                  cutoff_minute=draw(st.sampled_from([9 * 60, 12 * 60, 23 * 60])),
                  handling_cost=draw(st.sampled_from([0, 50, 120])))
             for i in range(count)]
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3, unique=True))
    lines = [Line(it.sku, draw(st.integers(1, 4)), it) for it in items]
    atp = {n.id: {it.sku: draw(st.integers(0, 5)) for it in items} for n in nodes}
    now = draw(st.sampled_from([MORNING, EVENING]))
    return problem(nodes, atp, lines, now)


def solve_or_none(allocator, p: Problem, policy: SplitPolicy) -> Plan | None:  # type: ignore[no-untyped-def]
    try:
        plan: Plan = allocator(p, policy)
    except Unfulfillable:
        return None
    return plan


POLICIES = st.sampled_from([SplitPolicy(), SplitPolicy(max_extra_cost=None)])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(instances(), POLICIES)
def test_no_allocator_exceeds_atp_and_every_one_conserves_quantities(p: Problem,
                                                                     policy: SplitPolicy) -> None:
    for allocator in (source, first_location, greedy_priority):
        plan = solve_or_none(allocator, p, policy)
        if plan is not None:
            check_plan(p, plan)


@FAST
@given(instances(), POLICIES)
def test_the_optimiser_matches_the_milp_on_every_objective(p: Problem,
                                                           policy: SplitPolicy) -> None:
    exact = solve_or_none(source, p, policy)
    milp = solve_or_none(solve_milp, p, policy)
    assert (exact is None) == (milp is None)
    if exact is not None and milp is not None and exact.exact:
        assert exact.key == milp.key


@FAST
@given(instances(), POLICIES)
def test_a_split_is_never_chosen_when_one_shipment_is_as_fast_and_as_cheap(
        p: Problem, policy: SplitPolicy) -> None:
    plan = solve_or_none(source, p, policy)
    if plan is None or len(plan.shipments) == 1:
        return
    single = best_single(p)
    if single is not None:
        assert (single.day, single.cost) > (plan.day, plan.cost)
        assert single.day > plan.day or single.cost > plan.cost
        if policy.max_extra_cost == 0:
            assert plan.day < single.day and plan.cost <= single.cost


@FAST
@given(instances())
def test_the_optimiser_is_never_slower_or_dearer_than_the_baselines(p: Problem) -> None:
    plan = solve_or_none(source, p, SplitPolicy(max_extra_cost=None))
    for baseline in (first_location, greedy_priority):
        other = solve_or_none(baseline, p, SplitPolicy())
        if other is not None and plan is not None and plan.exact:
            assert plan.key[:2] <= other.key[:2]


def test_a_split_that_is_faster_and_free_under_the_contract_is_chosen_and_explained() -> None:
    near_a = node(1, Position(40.75, -73.9))  # holds A only: same-day reach of NYC
    near_b = node(2, Position(40.6, -74.2))  # holds B only
    far_all = node(3, Position(34.05, -118.24), carriers=frozenset({"GLOBEX"}))  # both, day 4
    p = problem([near_a, near_b, far_all],
                {"n1": {"A": 5}, "n2": {"B": 5}, "n3": {"A": 5, "B": 5}},
                [Line("A", 1, ITEMS[0]), Line("B", 1, ITEMS[1])])

    plan = source(p)
    single = best_single(p)

    assert [s.node_code for s in plan.shipments] == ["N1", "N2"]
    assert single is not None and plan.day == 0 < single.day and plan.cost <= single.cost
    assert any("contract PC-2026" in r and "saved 1500" in r for r in plan.reasons)
    assert any(r == "split because it is 4 day(s) faster" for r in plan.reasons)


def test_a_faster_split_that_costs_more_is_refused_unless_the_policy_allows_it() -> None:
    near_a = node(1, Position(40.75, -73.9))  # A only, same day
    near_b = node(2, Position(40.6, -74.2))  # B only, same day
    philly = node(3, Position(39.95, -75.16))  # both, next day and cheaper
    p = problem([near_a, near_b, philly],
                {"n1": {"A": 5}, "n2": {"B": 5}, "n3": {"A": 5, "B": 5}},
                [Line("A", 1, ITEMS[0]), Line("B", 1, ITEMS[1])])

    default = source(p)
    anything_faster = source(p, SplitPolicy(max_extra_cost=None))

    assert [s.node_code for s in default.shipments] == ["N3"]
    assert default.day == 1
    assert [s.node_code for s in anything_faster.shipments] == ["N1", "N2"]
    assert anything_faster.day == 0 and anything_faster.cost > default.cost
    assert any("more (allowed by the split policy)" in r for r in anything_faster.reasons)


def test_after_the_cut_off_the_same_day_service_is_gone_and_the_promise_moves() -> None:
    near = node(1, Position(40.75, -73.9), cutoff_minute=14 * 60)
    p_morning = problem([near], {"n1": {"A": 2}}, [Line("A", 1, ITEMS[0])], MORNING)
    p_evening = problem([near], {"n1": {"A": 2}}, [Line("A", 1, ITEMS[0])], EVENING)

    assert source(p_morning).day == 0
    assert source(p_morning).shipments[0].lane.service == "PC-SAME"
    assert source(p_evening).day == 2  # handed over tomorrow, next-day service


def test_bulky_items_ship_by_threshold_freight_only_from_nodes_that_handle_bulk() -> None:
    small = node(1, Position(40.75, -73.9), capabilities=frozenset())
    depot = node(2, Position(39.95, -75.16))
    p = problem([small, depot], {"n1": {"SOFA": 3}, "n2": {"SOFA": 1}},
                [Line("SOFA", 1, ITEMS[3])])

    plan = source(p)

    assert [(s.node_code, s.lane.service) for s in plan.shipments] == [("N2", "HH-THRESHOLD")]


def test_a_dropship_site_serves_only_within_its_radius() -> None:
    site = node(1, Position(40.0, -75.0), kind=NodeKind.DROPSHIP, supplier_id="sup-1",
                radius_km=200.0, handling_days=1)
    atp = {"n1": {"SOFA": 4}}
    inside = problem([site], atp, [Line("SOFA", 1, ITEMS[3])], destination=NYC)
    outside = problem([site], atp, [Line("SOFA", 1, ITEMS[3])],
                      destination=Position(41.88, -87.63))

    assert source(inside).shipments[0].node_id == "n1"
    with pytest.raises(Unfulfillable):
        source(outside)


def test_cto_lines_need_assembly_and_the_scarcest_component_decides() -> None:
    kit = Line("KIT", 2, Item("KIT", 3000), components=(("P1", 1), ("P2", 2)))
    plain = node(1, Position(40.75, -73.9))
    assembly = node(2, Position(39.95, -75.16), capabilities=frozenset({ASSEMBLY, BULKY}))
    p = problem([plain, assembly], {"n1": {"P1": 9, "P2": 9}, "n2": {"P1": 5, "P2": 4}}, [kit])

    plan = source(p)

    assert plan.shipments[0].node_id == "n2"
    assert p.options[0].stock == (2,)  # 4 // 2 = 2 kits at the assembly node
    with pytest.raises(Unfulfillable):
        source(problem([plain, assembly], {"n2": {"P1": 5, "P2": 3}}, [kit]))


def test_generated_networks_agree_with_the_milp_on_three_line_orders() -> None:
    net = generate.network(20, seed=3)
    rng = random.Random(5)
    compared = 0
    for _ in range(40):
        request = generate.order(net, 3, rng, MORNING)
        p = prepare(request, net.nodes, net.carriers, net.atp)
        exact, milp = solve_or_none(source, p, SplitPolicy()), solve_or_none(
            solve_milp, p, SplitPolicy())
        assert (exact is None) == (milp is None)
        if exact is not None and milp is not None and exact.exact:
            assert exact.key == milp.key
            compared += 1
    assert compared >= 30


@FAST
@given(instances(), POLICIES)
def test_the_branch_and_bound_alone_reaches_the_milp_objective(p: Problem,
                                                               policy: SplitPolicy) -> None:
    """No MILP take-over and no budget cut: the search itself (bounds, lane and node dominance)
    must prove the same (day, cost, shipments) as HiGHS."""
    searched = solve_or_none(lambda q, pol: source(q, pol, budget=1_000_000, milp_seconds=None),
                             p, policy)
    milp = solve_or_none(solve_milp, p, policy)
    assert (searched is None) == (milp is None)
    if searched is not None and milp is not None:
        assert searched.exact
        assert searched.solver != "milp"
        assert searched.key == milp.key
        check_plan(p, searched)


def test_the_search_alone_agrees_with_the_milp_on_generated_networks() -> None:
    net = generate.network(20, seed=9)
    rng = random.Random(13)
    for _ in range(40):
        p = prepare(generate.order(net, 3, rng, MORNING), net.nodes, net.carriers, net.atp)
        for policy in (SplitPolicy(), SplitPolicy(max_extra_cost=None)):
            searched = solve_or_none(
                lambda q, pol: source(q, pol, budget=1_000_000, milp_seconds=None), p, policy)
            milp = solve_or_none(solve_milp, p, policy)
            assert (searched is None) == (milp is None)
            if searched is not None and milp is not None:
                assert searched.exact and searched.key == milp.key
