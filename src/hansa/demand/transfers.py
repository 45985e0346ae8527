"""Which locations send how many units to the location nearest a spike: a small, exact MILP
(scipy / HiGHS) over transfer cost and expected lost sales.

    minimise   sum_i (c_i + eps v_i) x_i + p u
    subject to sum_i x_i + u = need            (units short at the target over the horizon)
               sum_i x_i <= max_units          (transfer size bound)
               0 <= x_i <= surplus_i, integer  (a source keeps what its own demand needs)
               u >= 0                          (expected lost sales)

c_i is the cost of moving one unit from source i, p the margin lost on a unit not sold, v_i the
source's own velocity (units per day) and eps a tie-break small enough never to outweigh a
minor unit of cost: between equally cheap sources, the slowest-moving one gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass(frozen=True, slots=True)
class Source:
    location_id: str
    code: str
    available: int  # ATP now
    own_demand: float  # units its own customers are expected to take over the horizon
    unit_cost: int  # minor units to move one unit to the target
    velocity_per_day: float

    @property
    def surplus(self) -> int:
        return max(0, self.available - math.ceil(self.own_demand))


@dataclass(frozen=True, slots=True)
class TransferPlan:
    moves: list[tuple[str, str, int]]  # (location id, code, units)
    lost_units: int
    cost: int  # transfer cost + lost margin, minor units
    reasons: list[str] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(q for _, _, q in self.moves)


def plan_transfer(need: int, sources: list[Source], *, lost_sale_penalty: int,
                  min_units: int = 1, max_units: int = 10_000) -> TransferPlan:
    """The optimal moves for `need` units; see the module docstring."""
    usable = [s for s in sources if s.surplus > 0]
    if need <= 0:
        return TransferPlan([], 0, 0, ["nothing short at the target"])
    if not usable:
        return TransferPlan([], need, need * lost_sale_penalty,
                            ["no location has stock beyond its own expected demand"])
    n = len(usable)
    top_velocity = max(s.velocity_per_day for s in usable) or 1.0
    eps = 0.5 / (top_velocity * (need + 1))  # total tie-break < half a minor unit
    cost = np.array([s.unit_cost + eps * s.velocity_per_day for s in usable]
                    + [float(lost_sale_penalty)])
    a = np.vstack([np.ones(n + 1), np.r_[np.ones(n), 0.0]])
    constraints = LinearConstraint(a, [need, 0], [need, max_units])
    bounds = Bounds(np.zeros(n + 1), np.r_[[s.surplus for s in usable], need])
    result = milp(cost, constraints=constraints, bounds=bounds,
                  integrality=np.r_[np.ones(n), 0])
    if not result.success:  # pragma: no cover - the model is always feasible (u takes the rest)
        raise RuntimeError(f"transfer MILP failed: {result.message}")
    units = [round(v) for v in result.x[:n]]
    moves = [(s.location_id, s.code, q) for s, q in zip(usable, units, strict=True) if q > 0]
    moved = sum(units)
    reasons = [f"{need} units short at the target; penalty {lost_sale_penalty} per lost unit"]
    if 0 < moved < min_units:
        reasons.append(f"{moved} units is below the minimum transfer of {min_units}: not sent")
        moves, moved = [], 0
    lost = need - moved
    total = sum(s.unit_cost * q for s, q in zip(usable, units, strict=True) if moves)
    reasons += [f"{q} from {code}" for _, code, q in moves]
    if lost:
        reasons.append(f"{lost} units expected lost (no surplus or cheaper to lose)")
    return TransferPlan(moves, lost, total + lost * lost_sale_penalty, reasons)
