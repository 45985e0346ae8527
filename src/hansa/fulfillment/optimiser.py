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
    fees,
)
from hansa.shipping.model import Lane

DEFAULT_BUDGET = 400  # search nodes before the MILP takes over
MILP_SECONDS = 2.0
_INF = 1 << 60


def best_single(problem: Problem) -> Plan | None:
    """The best plan with one shipment (lexicographic), or None if no node holds it all."""
    best: Plan | None = None
    for oi, option in enumerate(problem.options):
        if any(s < d for s, d in zip(option.stock, problem.demand, strict=True)):
            continue
        for li in range(len(option.lanes)):
            plan = build_plan(problem, [(oi, li)], "single")
            if plan is not None and (best is None or _rank(plan) < _rank(best)):
                best = plan
    return best


def _rank(plan: Plan) -> tuple[int, int, int, tuple[str, ...]]:
    return (*plan.key, tuple(f"{s.node_code}/{s.lane.service}" for s in plan.shipments))


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


def _lower_bound_variable(problem: Problem, usable: dict[int, list[int]]) -> int:
    """Cheapest possible carriage of every unit over all usable lanes (capacities kept)."""
    total = 0
    for li, wanted in enumerate(problem.demand):
        ranked = sorted((c, problem.options[oi].stock[li]) for oi, lanes in usable.items()
                        if problem.options[oi].stock[li]
                        and (c := min((x for lj in lanes
                                       if (x := problem.options[oi].unit_costs[lj][li])
                                       is not None), default=None)) is not None)
        left = wanted
        for cost, held in ranked:
            take = min(left, held)
            total += take * cost
            left -= take
            if not left:
                break
    return total


class _Search:
    """One day's branch and bound; `best` holds the incumbent."""

    def __init__(self, problem: Problem, usable: dict[int, list[int]], lb: int,
                 cap: int | None, incumbent: Plan | None, budget: int) -> None:
        self.problem = problem
        self.cap = cap
        self.best = incumbent
        self.budget = budget
        self.visited = 0
        self.lb = lb
        demand = problem.demand
        # nodes that can ship the whole order first: they make a good incumbent early
        self.order = sorted(usable, key=lambda oi: (
            -sum(min(s, d) for s, d in zip(problem.options[oi].stock, demand, strict=True)),
            min(problem.options[oi].lanes[li].fee for li in usable[oi]),
            problem.options[oi].node.code))
        self.usable = usable
        n = len(demand)
        self.dominators = self._dominators(problem, usable)
        self.carries = {(oi, li): [s if c is not None else 0 for s, c in zip(
            problem.options[oi].stock, problem.options[oi].unit_costs[li], strict=True)]
            for oi, lanes in usable.items() for li in lanes}
        self.suffix = [[0] * n for _ in range(len(self.order) + 1)]
        for pos in range(len(self.order) - 1, -1, -1):
            oi = self.order[pos]
            most = [max(self.carries[oi, li][i] for li in usable[oi]) for i in range(n)]
            self.suffix[pos] = [self.suffix[pos + 1][i] + most[i] for i in range(n)]
        inf = 1 << 60
        self.cheapest = {key: [inf if c is None else c for c in
                               problem.options[key[0]].unit_costs[key[1]]]
                         for key in self.carries}
        self.sufmin = [[inf] * n for _ in range(len(self.order) + 1)]
        for pos in range(len(self.order) - 1, -1, -1):
            oi = self.order[pos]
            self.sufmin[pos] = [min(self.sufmin[pos + 1][i],
                                    *(self.cheapest[oi, li][i] for li in usable[oi]))
                                for i in range(n)]
        self.suffix_offers: list[list[list[tuple[int, int]]]] = [[[] for _ in range(n)]]
        for pos in range(len(self.order) - 1, -1, -1):
            oi = self.order[pos]
            stock = problem.options[oi].stock
            offers = [sorted([*self.suffix_offers[0][i], (best, stock[i])])
                      if stock[i] and (best := min(self.cheapest[oi, li][i]
                                                   for li in usable[oi])) < inf
                      else self.suffix_offers[0][i] for i in range(n)]
            self.suffix_offers.insert(0, offers)
        # per line, the cheapest parcel fee still to come on a lane that takes the line,
        # per consolidation group (None: no group)
        Fees = dict[tuple[str, int] | None, int]
        self.suffix_fees: list[list[Fees]] = [[{} for _ in range(n)]]
        for pos in range(len(self.order) - 1, -1, -1):
            oi = self.order[pos]
            option = problem.options[oi]
            here = [dict(f) for f in self.suffix_fees[0]]
            for li in usable[oi]:
                lane = option.lanes[li]
                group = lane.group()
                for i in range(n):
                    if option.stock[i] and option.unit_costs[li][i] is not None:
                        here[i][group] = min(here[i].get(group, _INF), lane.fee)
            self.suffix_fees.insert(0, here)
        greedy = _greedy(problem, usable)
        if greedy is not None and self._better(greedy):
            self.best = greedy

    def _dominators(self, problem: Problem, usable: dict[int, list[int]]) -> list[list[int]]:
        """Per position, the earlier nodes with the same lanes and unit costs and at least its
        stock (capped at demand). Using a node while one of those is unused is never needed:
        swapping them keeps the cost and the feasibility (symmetry breaking)."""
        groups: dict[tuple[object, ...], list[tuple[int, tuple[int, ...]]]] = {}
        found: list[list[int]] = []
        for oi in self.order:
            option = problem.options[oi]
            signature = tuple((option.lanes[li].carrier, option.lanes[li].service,
                               option.lanes[li].day, option.lanes[li].fee,
                               option.lanes[li].group(), option.unit_costs[li])
                              for li in usable[oi])
            capped = tuple(min(s, d) for s, d in zip(option.stock, problem.demand, strict=True))
            peers = groups.setdefault(signature, [])
            found.append([oj for oj, other in peers
                          if all(a >= b for a, b in zip(other, capped, strict=True))])
            peers.append((oi, capped))
        return found

    def run(self) -> bool:
        """Search; True if it finished (the result is exact)."""
        try:
            self._dfs(0, [], [0] * len(self.problem.demand), [1 << 60] * len(self.problem.demand))
        except _OutOfBudget:
            return False
        return True

    def _better(self, plan: Plan) -> bool:
        if self.cap is not None and plan.cost > self.cap and len(plan.shipments) > 1:
            return False
        return self.best is None or _rank(plan) < _rank(self.best)

    def _pruned(self, chosen: list[tuple[int, int]], pos: int, mins: list[int]) -> bool:
        depth = 0
        options = self.problem.options
        short: list[int] = []
        for i, wanted in enumerate(self.problem.demand):
            offers = self.suffix_offers[pos][i]
            mine = [(c, options[oi].stock[i]) for oi, li in chosen
                    if (c := self.cheapest[oi, li][i]) < _INF and options[oi].stock[i]]
            if sum(held for _, held in mine) < wanted:
                short.append(i)
            if mine:
                offers = sorted([*offers, *mine])
            left = wanted
            for cost, held in offers:
                take = held if held < left else left
                depth += take * cost
                left -= take
                if not left:
                    break
            if left:
                return True  # cannot be covered from here
        lanes = [options[oi].lanes[li] for oi, li in chosen]
        bound = fees(lanes) + depth
        if short:  # another shipment must carry each short line: at least its fee comes
            paid: dict[tuple[str, int], int] = {}
            for lane in lanes:
                group = lane.group()
                if group is not None:
                    paid[group] = max(paid.get(group, 0), lane.fee)
            bound += max(min((max(0, fee - paid[group]) if group is not None and group in paid
                              else fee) for group, fee in self.suffix_fees[pos][i].items())
                         if self.suffix_fees[pos][i] else _INF for i in short)
        if self.cap is not None and len(chosen) > 1 and bound > self.cap:
            return True
        if self.best is None:
            return False
        shipments = len(chosen) + (1 if short else 0)
        return bound > self.best.cost or (bound == self.best.cost
                                          and shipments >= len(self.best.shipments))

    def _dfs(self, pos: int, chosen: list[tuple[int, int]], held: list[int],
             mins: list[int]) -> None:
        self.visited += 1
        if self.visited > self.budget:
            raise _OutOfBudget
        demand = self.problem.demand
        if chosen and all(h >= d for h, d in zip(held, demand, strict=True)):
            plan = build_plan(self.problem, chosen, "exact")
            if plan is not None and self._better(plan):  # unused nodes are dropped
                self.best = plan
        if pos == len(self.order):
            return
        rest = self.suffix[pos]
        if any(h + r < d for h, r, d in zip(held, rest, demand, strict=True)):
            return
        oi = self.order[pos]
        dominators = self.dominators[pos]
        usable = self.usable[oi] if not dominators or all(
            any(c == d for c, _ in chosen) for d in dominators) else []
        for li in usable:
            nxt = [*chosen, (oi, li)]
            more = [min(m, c) for m, c in zip(mins, self.cheapest[oi, li], strict=True)]
            if not self._pruned(nxt, pos + 1, more):
                carried = self.carries[oi, li]
                self._dfs(pos + 1, nxt, [h + c for h, c in zip(held, carried, strict=True)],
                          more)
        if not chosen or not self._pruned(chosen, pos + 1, mins):
            self._dfs(pos + 1, chosen, held, mins)


def _least_fee(problem: Problem, usable: dict[int, list[int]]) -> int:
    """Every line needs a lane that takes it: the largest of those lines' cheapest fees."""
    least = 0
    for li in range(len(problem.demand)):
        fee = min((problem.options[oi].lanes[lj].fee for oi, lanes in usable.items()
                   for lj in lanes if problem.options[oi].stock[li]
                   and problem.options[oi].unit_costs[lj][li] is not None), default=_INF)
        least = max(least, fee)
    return least


class _OutOfBudget(Exception):
    pass


def _greedy(problem: Problem, usable: dict[int, list[int]]) -> Plan | None:
    """A quick incumbent: repeatedly take the (node, lane) with the lowest cost per unit."""
    left = list(problem.demand)
    chosen: list[tuple[int, int]] = []
    used: set[int] = set()
    while any(left):
        best: tuple[float, int, int] | None = None
        for oi, lanes in usable.items():
            if oi in used:
                continue
            option = problem.options[oi]
            for li in lanes:
                costs = option.unit_costs[li]
                units = price = 0
                for k, want in enumerate(left):
                    if want and costs[k] is not None and option.stock[k]:
                        take = min(want, option.stock[k])
                        units += take
                        price += take * (costs[k] or 0)
                if units and (best is None or (option.lanes[li].fee + price) / units < best[0]):
                    best = ((option.lanes[li].fee + price) / units, oi, li)
        if best is None:
            return None
        _, oi, li = best
        used.add(oi)
        chosen.append((oi, li))
        option = problem.options[oi]
        for k, want in enumerate(left):
            if want and option.unit_costs[li][k] is not None:
                left[k] = max(0, want - option.stock[k])
    return build_plan(problem, chosen, "greedy", exact=False)


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
    return _greedy(problem, usable)


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
        lb = _lower_bound_variable(problem, usable)
        if cap is not None and incumbent is None and lb + _least_fee(problem, usable) > cap:
            continue  # no split by this day can cost no more than the single shipment
        search = _Search(problem, usable, lb, cap, incumbent, budget - visited)
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
