"""Two baseline allocators behind the optimiser's interface, for comparison.

- `first_location`: each line from the first location (in a fixed order) that holds it all,
  else filled location by location in that order; what many engines do at reservation time.
- `greedy_priority`: the highest-priority location that can ship the whole order, else each
  line from the highest-priority location that holds it, then partial fills by priority.

Both pick locations only; each shipment then takes its fastest lane (cheapest on a tie), so
the comparison measures the location choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hansa.fulfillment.model import (
    Plan,
    Problem,
    Shipment,
    SplitPolicy,
    Unfulfillable,
    build_plan,
    fees,
)

Allocator = Callable[[Problem, SplitPolicy | None], Plan]


def _ships(problem: Problem, oi: int, li: int) -> bool:
    option = problem.options[oi]
    return option.stock[li] > 0 and any(costs[li] is not None for costs in option.unit_costs)


def _fill(problem: Problem, order: list[int]) -> dict[int, dict[int, int]]:
    """option -> line -> units: whole lines from the first holder, else partial fills."""
    taken: dict[int, dict[int, int]] = {}
    for li, wanted in enumerate(problem.demand):
        left = {oi: problem.options[oi].stock[li] - taken.get(oi, {}).get(li, 0) for oi in order}
        whole = next((oi for oi in order if _ships(problem, oi, li) and left[oi] >= wanted), None)
        if whole is not None:
            taken.setdefault(whole, {})[li] = wanted
            continue
        need = wanted
        for oi in order:
            if need and _ships(problem, oi, li) and left[oi] > 0:
                take = min(need, left[oi])
                taken.setdefault(oi, {})[li] = take
                need -= take
        if need:
            raise Unfulfillable(f"{problem.request.lines[li].sku}: not enough stock",
                                code="unfulfillable")
    return taken


def _plan(problem: Problem, taken: dict[int, dict[int, int]], solver: str) -> Plan:
    chosen: list[tuple[int, int]] = []
    for oi in sorted(taken):
        option = problem.options[oi]
        lines = taken[oi]
        fitting = [li for li, costs in enumerate(option.unit_costs)
                   if all(costs[line] is not None for line in lines)]
        if not fitting:
            raise Unfulfillable(f"no single lane from {option.node.code} takes its lines",
                                code="unfulfillable")
        chosen.append((oi, min(fitting, key=lambda li: (option.lanes[li].day,
                                                        option.lanes[li].fee, li))))
    plan = build_plan(problem, chosen, solver, exact=False)
    if plan is None:
        raise Unfulfillable("baseline plan does not cover the order", code="unfulfillable")
    # `build_plan` re-splits cheapest-first; keep the baseline's own quantities instead
    return _with_quantities(problem, plan, taken, chosen)


def _with_quantities(problem: Problem, plan: Plan, taken: dict[int, dict[int, int]],
                     chosen: list[tuple[int, int]]) -> Plan:
    shipments = []
    variable = 0
    for oi, lane_i in chosen:
        option = problem.options[oi]
        lines = tuple((problem.request.lines[li].sku, q) for li, q in sorted(taken[oi].items()))
        variable += sum(q * (option.unit_costs[lane_i][li] or 0) for li, q in taken[oi].items())
        shipments.append(Shipment(option.node.id, option.node.code, option.lanes[lane_i], lines))
    shipments.sort(key=lambda s: (s.node_code, s.lane.carrier, s.lane.service))
    lanes = [s.lane for s in shipments]
    return replace(plan, shipments=tuple(shipments), day=max(ln.day for ln in lanes),
                   cost=variable + fees(lanes))


def first_location(problem: Problem, policy: SplitPolicy | None = None) -> Plan:
    """Each line from the first location (by code) that has it."""
    order = sorted(range(len(problem.options)), key=lambda oi: problem.options[oi].node.code)
    return _plan(problem, _fill(problem, order), "first_location")


def greedy_priority(problem: Problem, policy: SplitPolicy | None = None) -> Plan:
    """The highest-priority location that ships it all, else line by line by priority."""
    order = sorted(range(len(problem.options)),
                   key=lambda oi: (problem.options[oi].node.priority,
                                   problem.options[oi].node.code))
    for oi in order:
        option = problem.options[oi]
        if all(_ships(problem, oi, li) and option.stock[li] >= d
               for li, d in enumerate(problem.demand)):
            try:
                return _plan(problem, {oi: dict(enumerate(problem.demand))}, "greedy_priority")
            except Unfulfillable:
                continue
    return _plan(problem, _fill(problem, order), "greedy_priority")
