"""The exact sourcing optimiser: branch and bound over (node, lane) choices.

Objective, lexicographic: promised day, then landed cost (handling + carriage + parcel fees
under the contracts), then number of shipments; then a stable tie-break on node codes.
Days are tried in ascending order; at the first day some plan meets, the search enumerates
subsets of nodes (each with one lane that arrives by that day), pruning with

- coverage: the undecided nodes cannot make up the missing units;
- cost: fees of the chosen lanes + the cheapest possible carriage of every unit >= the best;
- dominance: a lane that costs at least as much as another of the same node and group.

Every plan found becomes the incumbent (nodes that ship nothing are dropped from it), and a
subtree that still lacks a line pays at least the cheapest fee of a lane that takes that line.
Normal orders finish within `budget` search nodes and are exact. Past the budget, the MILP
(HiGHS) takes over and stays exact; only if it, too, runs out of time is the best plan found
returned with `exact=False` (bench/o2c.py measures the gap of that fallback).
"""

from __future__ import annotations

from dataclasses import replace

from hansa.fulfillment.explain import explain
from hansa.fulfillment.model import (
    Plan,
    Problem,
    SplitPolicy,
    Unfulfillable,
    build_plan,
)
from hansa.fulfillment.search import DaySearch, greedy, least_fee, lower_bound, rank
from hansa.shipping.model import Lane

DEFAULT_BUDGET = 400  # search nodes before the MILP takes over
MILP_SECONDS = 2.0


def best_single(problem: Problem) -> Plan | None:
    """The best plan with one shipment (lexicographic), or None if no node holds it all."""
    best: Plan | None = None
    for oi, option in enumerate(problem.options):
        if any(s < d for s, d in zip(option.stock, problem.demand, strict=True)):
            continue
        for li in range(len(option.lanes)):
            plan = build_plan(problem, [(oi, li)], "single")
            if plan is not None and (best is None or rank(plan) < rank(best)):
                best = plan
    return best



def _coverable(problem: Problem, day: int) -> bool:
    for li, wanted in enumerate(problem.demand):
        have = 0
        for option in problem.options:
            if option.stock[li] and any(lane.day <= day and costs[li] is not None
                                        for lane, costs in zip(option.lanes, option.unit_costs,
                                                               strict=True)):
                have += option.stock[li]
        if have < wanted:
            return False
    return True


def _usable(problem: Problem, oi: int, day: int) -> list[int]:
    """Lanes of option `oi` arriving by `day`, without lanes another one dominates."""
    option = problem.options[oi]
    ids = [li for li, lane in enumerate(option.lanes) if lane.day <= day]
    kept: list[int] = []
    for li in ids:
        if not any(_dominates(option.lanes[o], option.unit_costs[o], option.lanes[li],
                              option.unit_costs[li], o < li) for o in ids if o != li):
            kept.append(li)
    return kept


def _dominates(a: Lane, a_costs: tuple[int | None, ...], b: Lane,
               b_costs: tuple[int | None, ...], a_first: bool) -> bool:
    if a.group() != b.group() or a.fee > b.fee:
        return False
    for ca, cb in zip(a_costs, b_costs, strict=True):
        if ca is None and cb is not None:
            return False
        if ca is not None and cb is not None and ca > cb:
            return False
    equal = a.fee == b.fee and a_costs == b_costs
    return a_first or not equal


def source(problem: Problem, policy: SplitPolicy | None = None,
           budget: int = DEFAULT_BUDGET, milp_seconds: float | None = MILP_SECONDS) -> Plan:
    """The best plan for the order (see the module docstring); Unfulfillable if none exists.

    Branch and bound first; if it runs out of `budget` search nodes, the MILP (HiGHS) solves
    the order exactly within `milp_seconds`; only if that also runs out is the best plan found
    returned, marked `exact=False` (pass `milp_seconds=None` to skip the MILP).
    """
    policy = policy or SplitPolicy()
    try:
        return _branch_and_bound(problem, policy, budget)
    except _Undecided as undecided:
        if milp_seconds is not None:
            from hansa.fulfillment.milp import SolverTimeout, solve_milp

            try:
                plan = solve_milp(problem, policy, time_limit=milp_seconds)
                return explain(problem, replace(plan, meta=undecided.meta), undecided.single,
                               policy)
            except SolverTimeout:
                pass
        best = undecided.best or _last_resort(problem)
        if best is None:
            raise Unfulfillable("no plan found within the search and solver budgets",
                                code="sourcing_budget_exhausted") from None
        return explain(problem, replace(best, exact=False, solver="budget",
                                        meta=undecided.meta), undecided.single, policy)


def _last_resort(problem: Problem) -> Plan | None:
    """The greedy plan with every lane allowed (the latest day), when nothing else was found."""
    last = max((lane.day for option in problem.options for lane in option.lanes), default=None)
    if last is None:
        return None
    usable = {oi: lanes for oi in range(len(problem.options))
              if (lanes := _usable(problem, oi, last))}
    return greedy(problem, usable)


class _Undecided(Exception):
    """The branch and bound ran out of budget: the best plan so far, if any."""

    def __init__(self, best: Plan | None, single: Plan | None, meta: dict[str, int]) -> None:
        super().__init__("search budget exhausted")
        self.best, self.single, self.meta = best, single, meta


def _branch_and_bound(problem: Problem, policy: SplitPolicy, budget: int) -> Plan:
    single = best_single(problem)
    if not policy.allow:
        if single is None:
            raise Unfulfillable("no location can ship the whole order and splits are off",
                                code="unfulfillable")
        return explain(problem, single, single, policy)
    cap = (single.cost + policy.max_extra_cost
           if single is not None and policy.max_extra_cost is not None else None)
    days = sorted({lane.day for option in problem.options for lane in option.lanes})
    visited = 0
    for day in days:
        if single is not None and day >= single.day and cap is not None:
            break  # the policy splits only when that is faster
        if single is not None and day > single.day:
            break
        if not _coverable(problem, day):
            continue
        incumbent = single if single is not None and single.day == day else None
        usable = {oi: lanes for oi in range(len(problem.options))
                  if (lanes := _usable(problem, oi, day))}
        lb = lower_bound(problem, usable)
        if cap is not None and incumbent is None and lb + least_fee(problem, usable) > cap:
            continue  # no split by this day can cost no more than the single shipment
        search = DaySearch(problem, usable, lb, cap, incumbent, budget - visited)
        finished = search.run()
        visited += search.visited
        meta = {"search_nodes": visited, "day_tried": day}
        if not finished:
            best = search.best or single
            raise _Undecided(None if best is None else replace(
                best, exact=False, solver="budget", meta=meta), single, meta)
        if search.best is not None:
            return explain(problem, replace(search.best, solver="exact", exact=True, meta=meta),
                           single, policy)
    if single is not None:
        return explain(problem, replace(single, meta={"search_nodes": visited}), single, policy)
    raise Unfulfillable("the network cannot deliver this order: not enough stock at locations "
                        "that serve the destination", code="unfulfillable")
