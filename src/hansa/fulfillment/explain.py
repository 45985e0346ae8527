"""Why a sourcing plan was chosen, in words a merchant can check."""

from __future__ import annotations

from dataclasses import replace

from hansa.fulfillment.model import Plan, Problem, SplitPolicy, fees


def _describe(plan: Plan) -> str:
    parts = [f"{s.node_code} by {s.lane.carrier} {s.lane.service} "
             f"({', '.join(f'{q} x {sku}' for sku, q in s.lines)})" for s in plan.shipments]
    return "; ".join(parts)


def explain(problem: Problem, plan: Plan, single: Plan | None, policy: SplitPolicy) -> Plan:
    """The plan with its reasons: the promise, the alternatives it beat, the contract's part."""
    reasons = [f"{len(problem.options)} location(s) can ship part of the order to "
               f"{problem.request.country}"]
    count = len(plan.shipments)
    head = f"day {plan.day}, landed cost {plan.cost}"
    if count == 1:
        reasons.append(f"one shipment: {_describe(plan)}; arrives {head}")
        if single is not None and plan.day == single.day:
            reasons.append("no split arrives sooner"
                           + ("" if policy.max_extra_cost is None
                              else f" within {policy.max_extra_cost} of the single-shipment cost")
                           + "; a split that is only as fast and as cheap is never chosen")
    else:
        reasons.append(f"split into {count} shipments: {_describe(plan)}; arrives {head}")
        if single is None:
            reasons.append("no single location holds every line")
        else:
            reasons.append(f"the best single shipment ({_describe(single)}) arrives day "
                           f"{single.day} at cost {single.cost}")
            if plan.day < single.day:
                reasons.append(f"split because it is {single.day - plan.day} day(s) faster")
            extra = plan.cost - single.cost
            reasons.append("the split costs no more than one shipment" if extra <= 0
                           else f"the split costs {extra} more (allowed by the split policy)")
        lanes = [s.lane for s in plan.shipments]
        waived = sum(lane.fee for lane in lanes) - fees(lanes)
        if waived:
            groups = sorted({g[0] for lane in lanes if (g := lane.group()) is not None})
            reasons.append(f"contract {', '.join(groups)}: further parcels to the same address "
                           f"the same day cost nothing extra (saved {waived})")
    if not plan.exact:
        reasons.append("search budget reached: best plan found, not proven optimal")
    return replace(plan, reasons=tuple(reasons))
