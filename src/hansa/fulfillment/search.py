"""One day's branch and bound of the sourcing optimiser (see `optimiser` for the whole).

`DaySearch` enumerates subsets of nodes, each with one lane arriving by the day, and prunes
on coverage, on cost (chosen fees + the cheapest carriage of every unit, `lower_bound`) and on
node dominance; `rank` is the lexicographic order of plans every part of the optimiser uses.
"""

from __future__ import annotations

from hansa.fulfillment.model import Plan, Problem, build_plan

_INF = 1 << 60


def rank(plan: Plan) -> tuple[int, int, int, tuple[str, ...]]:
    return (*plan.key, tuple(f"{s.node_code}/{s.lane.service}" for s in plan.shipments))

def lower_bound(problem: Problem, usable: dict[int, list[int]]) -> int:
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


Offer = tuple[int, int]  # (unit cost, units held) of one line on one lane


class DaySearch:
    """One day's branch and bound; `best` holds the incumbent.

    Nodes are decided in a fixed order (use one of its lanes, or not). A state carries the
    chosen (node, lane) pairs, per line the offers of the chosen lanes and the units they hold,
    and the parcel fees of the chosen lanes under the contracts (kept incrementally).
    """

    def __init__(self, problem: Problem, usable: dict[int, list[int]], lb: int,
                 cap: int | None, incumbent: Plan | None, budget: int) -> None:
        self.problem = problem
        self.cap = cap
        self.best = incumbent
        self.budget = budget
        self.visited = 0
        self.lb = lb
        demand = problem.demand
        options = problem.options
        n = len(demand)
        # nodes that can ship the whole order first: they make a good incumbent early
        self.order = sorted(usable, key=lambda oi: (
            -sum(min(s, d) for s, d in zip(options[oi].stock, demand, strict=True)),
            min(options[oi].lanes[li].fee for li in usable[oi]),
            options[oi].node.code))
        self.usable = usable
        self.dominators, self.later_dominators = self._dominators(problem, usable)
        # per usable (node, lane): fee, consolidation group id (-1: none), per line the offer
        # (None: the lane does not take the line or the node holds none) and units it carries
        group_ids: dict[tuple[str, int], int] = {}
        self.lane_info: dict[tuple[int, int], tuple[int, int, tuple[Offer | None, ...],
                                                     tuple[int, ...]]] = {}
        for oi, lanes in usable.items():
            option = options[oi]
            for li in lanes:
                lane = option.lanes[li]
                group = lane.group()
                gid = -1 if group is None else group_ids.setdefault(group, len(group_ids))
                offer = tuple((c, s) if c is not None and s else None
                              for c, s in zip(option.unit_costs[li], option.stock, strict=True))
                self.lane_info[oi, li] = (lane.fee, gid, offer,
                                          tuple(0 if o is None else o[1] for o in offer))
        size = len(self.order)
        # per position and line: units the nodes from there on can carry at most, their
        # cheapest offers (sorted), the cost of filling the line from those alone (None: they
        # cannot), and the cheapest fee of a lane that takes the line, per group id
        self.suffix = [[0] * n for _ in range(size + 1)]
        self.suffix_offers: list[list[list[Offer]]] = [[[] for _ in range(n)]
                                                        for _ in range(size + 1)]
        self.suffix_fill: list[list[int | None]] = [[None if d else 0 for d in demand]
                                                    for _ in range(size + 1)]
        self.suffix_fees: list[list[dict[int, int]]] = [[{} for _ in range(n)]
                                                         for _ in range(size + 1)]
        for pos in range(size - 1, -1, -1):
            oi = self.order[pos]
            infos = [self.lane_info[oi, li] for li in usable[oi]]
            stock = options[oi].stock
            for i in range(n):
                self.suffix[pos][i] = self.suffix[pos + 1][i] + max(f[3][i] for f in infos)
                costs = [o[0] for f in infos if (o := f[2][i]) is not None]
                offers = self.suffix_offers[pos + 1][i]
                if costs:
                    offers = sorted([*offers, (min(costs), stock[i])])
                self.suffix_offers[pos][i] = offers
                self.suffix_fill[pos][i] = _fill(offers, demand[i])
                here = dict(self.suffix_fees[pos + 1][i])
                for fee, gid, offer, _ in infos:
                    if offer[i] is not None and fee < here.get(gid, _INF):
                        here[gid] = fee
                self.suffix_fees[pos][i] = here
        quick = greedy(problem, usable)
        if quick is not None and self._better(quick):
            self.best = quick

    def _dominators(self, problem: Problem, usable: dict[int, list[int]]
                    ) -> tuple[list[list[int]], list[int]]:
        """Node dominance: node A dominates node B when A holds at least B's stock of every line
        (capped at demand) and each usable lane of B is matched by one of A with the same
        consolidation group, no higher fee and no higher unit cost on the lines B holds. In a
        plan that uses B but not A, swapping B for A ships the same units at no higher cost, as
        many shipments and by the same day, so B is only used together with all of its
        dominators (between equal nodes, the earlier one in the search order dominates).
        Per position: the earlier dominators, and a bit mask of the positions of later ones."""
        demand = problem.demand
        n = len(demand)
        inf = _INF
        capped: list[tuple[int, ...]] = []
        lanes: list[list[tuple[object, int, tuple[int, ...]]]] = []
        for oi in self.order:
            option = problem.options[oi]
            capped.append(tuple(min(s, d) for s, d in zip(option.stock, demand, strict=True)))
            lanes.append([(option.lanes[li].group(), option.lanes[li].fee,
                           tuple(inf if c is None else c for c in option.unit_costs[li]))
                          for li in usable[oi]])

        def covers(a: int, b: int) -> bool:
            held = [i for i in range(n) if capped[b][i]]
            return all(any(ga == gb and fa <= fb and all(ca[i] <= cb[i] for i in held)
                           for ga, fa, ca in lanes[a]) for gb, fb, cb in lanes[b])

        size = len(self.order)
        earlier: list[list[int]] = [[] for _ in range(size)]
        later = [0] * size
        for b in range(size):
            stock_b = capped[b]
            for a in range(size):
                if a == b or any(x < y for x, y in zip(capped[a], stock_b, strict=True)):
                    continue
                if not covers(a, b):
                    continue
                if a > b and capped[a] == stock_b and covers(b, a):
                    continue  # equal: the earlier one dominates
                if a < b:
                    earlier[b].append(self.order[a])
                else:
                    later[b] |= 1 << a
        return earlier, later

    def run(self) -> bool:
        """Search; True if it finished (the result is exact)."""
        n = len(self.problem.demand)
        try:
            self._dfs(0, [], tuple([] for _ in range(n)), [0] * n, 0, {}, 0)
        except _OutOfBudget:
            return False
        return True

    def _better(self, plan: Plan) -> bool:
        if self.cap is not None and plan.cost > self.cap and len(plan.shipments) > 1:
            return False
        return self.best is None or rank(plan) < rank(self.best)

    def _pruned(self, pos: int, count: int, mine: tuple[list[Offer], ...], held: list[int],
                fee_total: int, paid: dict[int, int]) -> bool:
        """Whether no completion of the state (`count` chosen lanes, nodes from `pos` on
        undecided) can beat the incumbent. Bound: the fees of the chosen lanes + the cheapest
        carriage of every unit over chosen and undecided nodes (capacities kept) + for each
        line the chosen lanes cannot cover, the least fee a lane that takes it must add."""
        depth = 0
        short: list[int] = []
        for i, wanted in enumerate(self.problem.demand):
            offers = mine[i]
            if held[i] < wanted:
                short.append(i)
            if not offers:
                fill = self.suffix_fill[pos][i]
                if fill is None:
                    return True  # cannot be covered from here
                depth += fill
                continue
            fill = _fill(sorted(self.suffix_offers[pos][i] + offers), wanted)
            if fill is None:
                return True
            depth += fill
        bound = fee_total + depth
        if short:  # another shipment must carry each short line: at least its fee comes
            extra = 0
            for i in short:
                fees_i = self.suffix_fees[pos][i]
                least = min(((fee - paid[gid] if fee > paid[gid] else 0) if gid in paid
                             else fee) for gid, fee in fees_i.items()) if fees_i else _INF
                if least > extra:
                    extra = least
            bound += extra
        if self.cap is not None and count > 1 and bound > self.cap:
            return True
        best = self.best
        if best is None:
            return False
        shipments = count + (1 if short else 0)
        return bound > best.cost or (bound == best.cost and shipments >= len(best.shipments))

    def _dfs(self, pos: int, chosen: list[tuple[int, int]], mine: tuple[list[Offer], ...],
             held: list[int], fee_total: int, paid: dict[int, int], needed: int) -> None:
        """`needed`: bit mask of later positions that must be used (dominators of a chosen
        node)."""
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
        more_needed = (needed | self.later_dominators[pos]) & ~(1 << pos)
        count = len(chosen) + 1
        for li in usable:
            fee, gid, offer, carried = self.lane_info[oi, li]
            if gid < 0:
                more_fees, more_paid = fee_total + fee, paid
            else:
                before = paid.get(gid, 0)
                if fee > before:
                    more_fees, more_paid = fee_total + fee - before, {**paid, gid: fee}
                else:
                    more_fees, more_paid = fee_total, paid
            more_mine = tuple(m if o is None else [*m, o]
                              for m, o in zip(mine, offer, strict=True))
            more_held = [h + c for h, c in zip(held, carried, strict=True)]
            if not self._pruned(pos + 1, count, more_mine, more_held, more_fees, more_paid):
                self._dfs(pos + 1, [*chosen, (oi, li)], more_mine, more_held, more_fees,
                          more_paid, more_needed)
        if needed >> pos & 1:
            return  # a chosen node needs this one (it dominates it)
        if not chosen or not self._pruned(pos + 1, len(chosen), mine, held, fee_total, paid):
            self._dfs(pos + 1, chosen, mine, held, fee_total, paid, needed)


def _fill(offers: list[Offer], wanted: int) -> int | None:
    """Cost of `wanted` units taken cheapest first from sorted offers; None if they fall short."""
    total = 0
    for cost, held in offers:
        if held >= wanted:
            return total + wanted * cost
        total += held * cost
        wanted -= held
    return None if wanted else total


def least_fee(problem: Problem, usable: dict[int, list[int]]) -> int:
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


def greedy(problem: Problem, usable: dict[int, list[int]]) -> Plan | None:
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
