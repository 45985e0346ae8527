"""The same sourcing problem as a mixed-integer programme, solved by HiGHS (scipy.optimize.milp).

Used to validate the branch and bound (property tests compare the two) and to measure the
optimality gap of the budgeted fallback on large orders. Two stages, lexicographic:
1. minimise the promised day z;
2. with every lane arriving by z*, minimise (cost x (candidates + 1) + shipments).

Variables: y[c] (binary) a shipment on candidate c = (node, lane); x[c, ln] (integer) units of
line ln on it; w[g] the one fee paid per consolidation group and ship day; z the promised day.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from hansa.fulfillment.model import Plan, Problem, SplitPolicy, Unfulfillable, build_plan
from hansa.fulfillment.optimiser import best_single
from hansa.shipping.model import Lane


class SolverTimeout(Exception):
    """HiGHS reached its time limit before proving an optimum."""


class _Model:
    """Index bookkeeping and constraint rows for one problem, with lanes arriving by `day`."""

    def __init__(self, problem: Problem, day: int | None,
                 time_limit: float | None = None) -> None:
        self.problem = problem
        self.time_limit = time_limit
        self.cands = [(oi, li) for oi, option in enumerate(problem.options)
                      for li, lane in enumerate(option.lanes) if day is None or lane.day <= day]
        self.xs = [(ci, ln) for ci, (oi, li) in enumerate(self.cands)
                   for ln in range(len(problem.demand))
                   if problem.options[oi].unit_costs[li][ln] is not None
                   and problem.options[oi].stock[ln] > 0]
        groups = sorted({g for oi, li in self.cands
                         if (g := problem.options[oi].lanes[li].group()) is not None})
        self.groups = {g: i for i, g in enumerate(groups)}
        self.ny, self.nx, self.ng = len(self.cands), len(self.xs), len(groups)
        self.n = self.ny + self.nx + self.ng + 1  # the last variable is z
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self._constraints()

    def lane(self, ci: int) -> Lane:
        oi, li = self.cands[ci]
        return self.problem.options[oi].lanes[li]

    def _constraints(self) -> None:
        p, ny = self.problem, self.ny
        for ln, wanted in enumerate(p.demand):  # every unit is shipped
            self.rows.append(({ny + k: 1 for k, (_, ll) in enumerate(self.xs) if ll == ln},
                              wanted, wanted))
        per_node_line: dict[tuple[int, int], dict[int, float]] = {}
        per_cand: dict[int, dict[int, float]] = {}
        for k, (ci, ln) in enumerate(self.xs):
            oi = self.cands[ci][0]
            per_node_line.setdefault((oi, ln), {})[ny + k] = 1
            bound = min(p.options[oi].stock[ln], p.demand[ln])
            self.rows.append(({ny + k: 1, ci: -bound}, -np.inf, 0))  # x <= bound * y
            per_cand.setdefault(ci, {})[ny + k] = -1
        for (oi, ln), coeffs in per_node_line.items():  # never more than the node holds
            self.rows.append((coeffs, -np.inf, p.options[oi].stock[ln]))
        per_node: dict[int, dict[int, float]] = {}
        for ci, (oi, _) in enumerate(self.cands):
            per_node.setdefault(oi, {})[ci] = 1
            self.rows.append(({ci: 1, **per_cand.get(ci, {})}, -np.inf, 0))  # used -> ships
            lane = self.lane(ci)
            group = lane.group()
            if group is not None:  # w[g] >= fee * y
                self.rows.append(({ny + self.nx + self.groups[group]: 1, ci: -lane.fee},
                                  0, np.inf))
            self.rows.append(({self.n - 1: 1, ci: -lane.day}, 0, np.inf))  # z >= day * y
        for coeffs in per_node.values():  # one shipment per node
            self.rows.append((coeffs, -np.inf, 1))

    def cost_vector(self) -> np.ndarray:
        c = np.zeros(self.n)
        for ci in range(self.ny):
            lane = self.lane(ci)
            if lane.group() is None:
                c[ci] = lane.fee
        for k, (ci, ln) in enumerate(self.xs):
            oi, li = self.cands[ci]
            c[self.ny + k] = self.problem.options[oi].unit_costs[li][ln] or 0
        c[self.ny + self.nx:self.ny + self.nx + self.ng] = 1
        return c

    def solve(self, objective: np.ndarray, extra: list[tuple[dict[int, float], float, float]]
              ) -> np.ndarray | None:
        rows = self.rows + extra
        data, ri, cj = [], [], []
        for r, (coeffs, _, _) in enumerate(rows):
            for j, v in coeffs.items():
                ri.append(r)
                cj.append(j)
                data.append(v)
        a = coo_matrix((data, (ri, cj)), shape=(len(rows), self.n)).tocsr()
        lo = np.array([r[1] for r in rows], dtype=float)
        hi = np.array([r[2] for r in rows], dtype=float)
        integrality = np.zeros(self.n)
        integrality[:self.ny + self.nx] = 1
        upper = np.full(self.n, np.inf)
        upper[:self.ny] = 1
        options: dict[str, float] = {"mip_rel_gap": 0.0}
        if self.time_limit is not None:
            options["time_limit"] = self.time_limit
        result = milp(objective, constraints=LinearConstraint(a, lo, hi),
                      integrality=integrality, bounds=Bounds(np.zeros(self.n), upper),
                      options=options)
        if result.status == 1:
            raise SolverTimeout(f"HiGHS stopped at its limit ({self.time_limit} s)")
        return result.x if result.status == 0 and result.x is not None else None

    def plan(self, x: np.ndarray) -> Plan | None:
        chosen = [self.cands[ci] for ci in range(self.ny) if x[ci] > 0.5]
        return build_plan(self.problem, chosen, "milp") if chosen else None


def solve_milp(problem: Problem, policy: SplitPolicy | None = None,
               time_limit: float | None = None) -> Plan:
    """The lexicographic optimum by MILP; Unfulfillable if none exists; SolverTimeout when
    `time_limit` (seconds per stage) runs out first."""
    policy = policy or SplitPolicy()
    single = best_single(problem)
    if not policy.allow or not problem.options:
        if single is None:
            raise Unfulfillable("no location can ship the whole order", code="unfulfillable")
        return single
    cap = (single.cost + policy.max_extra_cost
           if single is not None and policy.max_extra_cost is not None else None)
    full = _Model(problem, None, time_limit)
    cost = full.cost_vector()
    cap_rows = [] if cap is None else [
        ({j: float(v) for j, v in enumerate(cost) if v}, -np.inf, float(cap))]
    first = np.zeros(full.n)
    first[-1] = 1
    x = full.solve(first, cap_rows)
    if x is None:
        if single is None:
            raise Unfulfillable("the network cannot deliver this order", code="unfulfillable")
        return single
    day = round(x[-1])
    if single is not None and cap is not None and day >= single.day:
        return single
    stage = _Model(problem, day, time_limit)
    cost = stage.cost_vector()
    weight = stage.ny + 1
    objective = cost * weight
    objective[:stage.ny] += 1  # fewer shipments break cost ties
    cap_rows = [] if cap is None else [
        ({j: float(v) for j, v in enumerate(cost) if v}, -np.inf, float(cap))]
    x = stage.solve(objective, cap_rows)
    plan = stage.plan(x) if x is not None else None
    if plan is None:
        raise Unfulfillable("MILP found no plan at its own optimal day", code="unfulfillable")
    return plan
