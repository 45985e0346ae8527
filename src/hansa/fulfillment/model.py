"""Pure fulfilment domain: nodes (locations that ship), sourcing requests, plans and their cost.

A sourcing problem is prepared once (`prepare`) into per-node stock and lanes for the order's
destination; every allocator (the exact optimiser, the MILP, the baselines) reads the same
`Problem` and returns a `Plan`, so they are compared on equal terms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import Position, haversine_km
from hansa.shipping.model import (
    EVERY_DAY,
    Carrier,
    Item,
    Lane,
    LaneResolver,
    PickupCalendar,
    ship_day,
)


class NodeKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    REGIONAL_DC = "regional_dc"
    MICRO_FULFILLMENT = "micro_fulfillment"
    THIRD_PARTY = "3pl"
    DROPSHIP = "dropship"  # a supplier site that ships direct, within its radius
    FACTORY = "factory"


ASSEMBLY = "assembly"  # capability: can build configure-to-order products from components
BULKY = "bulky"  # capability: can pick and hand over bulky items


@dataclass(frozen=True, slots=True)
class Node:
    """A location that ships orders; `id` is the inventory location that holds its stock."""

    id: str
    code: str
    kind: NodeKind
    position: Position
    country: str
    capabilities: frozenset[str] = frozenset()
    priority: int = 100  # lower first, for the greedy-by-priority baseline
    cutoff_minute: int = 16 * 60  # UTC minute of day; orders after it ship the next day
    handling_days: int = 0  # e.g. supplier lead time of a drop-ship site
    handling_cost: int = 0  # per unit, minor units
    supplier_id: str | None = None  # drop-ship: whose site this is
    radius_km: float = 0.0  # drop-ship: ships only within this radius (0: anywhere)
    carriers: frozenset[str] = frozenset()  # carrier accounts; empty: every carrier
    pickup: PickupCalendar = EVERY_DAY  # the days carriers collect here

    def serves(self, destination: Position) -> bool:
        if self.kind is NodeKind.DROPSHIP and self.radius_km > 0:
            return haversine_km(self.position, destination) <= self.radius_km
        return True


@dataclass(frozen=True, slots=True)
class Line:
    """An order line to source. CTO lines carry the components one unit is built from."""

    sku: str
    quantity: int
    item: Item
    components: tuple[tuple[str, int], ...] = ()
    needs: frozenset[str] = frozenset()  # capabilities the shipping node must have

    def requirements(self) -> frozenset[str]:
        extra = {ASSEMBLY} if self.components else set()
        if self.item.bulky:
            extra.add(BULKY)
        return self.needs | extra


@dataclass(frozen=True, slots=True)
class Request:
    order_id: str
    lines: tuple[Line, ...]
    destination: Position
    country: str
    now: datetime


@dataclass(frozen=True, slots=True)
class SplitPolicy:
    """When a multi-shipment plan may beat the best single shipment.

    `max_extra_cost=None`: purely lexicographic (date, then cost, then shipments).
    `max_extra_cost=0` (default): split only when it is faster and costs no more than the best
    single-shipment plan (the carrier contract makes the extra parcel free).
    """

    allow: bool = True
    max_extra_cost: int | None = 0


@dataclass(frozen=True, slots=True)
class NodeOption:
    """A node's stock of each requested SKU (CTO: buildable units) and its lanes."""

    node: Node
    stock: tuple[int, ...]  # per request line
    lanes: tuple[Lane, ...]  # fastest first
    unit_costs: tuple[tuple[int | None, ...], ...]  # [lane][line]: handling + carriage, None: no


@dataclass(frozen=True, slots=True)
class Problem:
    request: Request
    options: tuple[NodeOption, ...]
    demand: tuple[int, ...] = ()  # per line; filled from the request

    def __post_init__(self) -> None:
        if not self.demand:
            object.__setattr__(self, "demand",
                               tuple(line.quantity for line in self.request.lines))


@dataclass(frozen=True, slots=True)
class Shipment:
    node_id: str
    node_code: str
    lane: Lane
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)


@dataclass(frozen=True, slots=True)
class Plan:
    """A sourcing decision: shipments, promised day, cost, and why."""

    shipments: tuple[Shipment, ...]
    day: int
    cost: int
    exact: bool = True
    solver: str = ""
    reasons: tuple[str, ...] = ()
    meta: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int, int]:
        """The lexicographic objective: promised day, landed cost, shipments."""
        return (self.day, self.cost, len(self.shipments))


class Unfulfillable(InvalidData):
    """No plan can deliver the order from the network as it stands."""


def effective_stock(line: Line, atp: dict[str, int]) -> int:
    """Units of the line a node can ship from its ATP (CTO: the scarcest component decides)."""
    if line.components:
        return min((atp.get(sku, 0) // qty for sku, qty in line.components), default=0)
    return atp.get(line.sku, 0)


def prepare(request: Request, nodes: list[Node], carriers: list[Carrier],
            atp: dict[str, dict[str, int]]) -> Problem:
    """The order's sourcing problem: nodes that can ship something, with their lanes.

    `atp` maps node id -> SKU -> available-to-promise.
    """
    options: list[NodeOption] = []
    lines = request.lines
    needs = [line.requirements() for line in lines]
    specs = [(line, need, not line.components) for line, need in zip(lines, needs, strict=True)]
    items = [line.item for line in lines]
    destination, country = request.destination, request.country
    resolver = LaneResolver(carriers, country)
    carriage: dict[tuple[int, int], tuple[int | None, ...]] = {}  # (id(lane), handling)
    for node in sorted(nodes, key=lambda n: n.id):
        stock_here = atp.get(node.id)
        if not stock_here:
            continue
        capabilities = node.capabilities
        stock = tuple([(stock_here.get(line.sku, 0) if plain else effective_stock(line, stock_here))
                       if not need or need <= capabilities else 0
                       for line, need, plain in specs])
        if not any(stock):
            continue
        distance = haversine_km(node.position, destination)
        if node.kind is NodeKind.DROPSHIP and 0 < node.radius_km < distance:
            continue  # Node.serves
        found = resolver.lanes(distance, node.country != country,
                               ship_day(request.now, node.cutoff_minute, node.handling_days,
                                        node.pickup),
                               node.carriers)
        if not found:
            continue
        handling = node.handling_cost
        costs = []
        for lane in found:
            row = carriage.get((id(lane), handling))
            if row is None:
                row = tuple(handling + lane.unit_cost(item) if lane.accepts(item) else None
                            for item in items)
                carriage[id(lane), handling] = row
            costs.append(row)
        options.append(NodeOption(node, stock, tuple(found), tuple(costs)))
    return Problem(request, tuple(options))


def fees(lanes_used: list[Lane]) -> int:
    """Parcel fees under the contracts: one fee (the highest) per consolidation group and day."""
    total = 0
    groups: dict[tuple[str, int], int] = {}
    for lane in lanes_used:
        group = lane.group()
        if group is None:
            total += lane.fee
        else:
            groups[group] = max(groups.get(group, 0), lane.fee)
    return total + sum(groups.values())


def assign(problem: Problem, chosen: list[tuple[int, int]]) -> tuple[int, list[list[int]]] | None:
    """Cheapest split of every line over the chosen (option, lane) pairs: (variable cost,
    units[chosen][line]); None when they cannot cover the demand. Exact: costs are linear
    per unit and separable by line, so filling each line cheapest-first is optimal."""
    units = [[0] * len(problem.request.lines) for _ in chosen]
    variable = 0
    for li, wanted in enumerate(problem.demand):
        ranked = sorted(
            (cost, ci) for ci, (oi, lane_i) in enumerate(chosen)
            if (cost := problem.options[oi].unit_costs[lane_i][li]) is not None
            and problem.options[oi].stock[li] > 0)
        left = wanted
        for cost, ci in ranked:
            take = min(left, problem.options[chosen[ci][0]].stock[li])
            units[ci][li] = take
            variable += take * cost
            left -= take
            if left == 0:
                break
        if left:
            return None
    return variable, units


def build_plan(problem: Problem, chosen: list[tuple[int, int]], solver: str,
               exact: bool = True) -> Plan | None:
    """The plan for the chosen (option, lane) pairs, dropping pairs that ship nothing."""
    done = assign(problem, chosen)
    if done is None:
        return None
    variable, units = done
    shipments = []
    for (oi, lane_i), counts in zip(chosen, units, strict=True):
        if not any(counts):
            continue
        option = problem.options[oi]
        lines = tuple((ln.sku, q) for ln, q in zip(problem.request.lines, counts, strict=True)
                      if q)
        shipments.append(Shipment(option.node.id, option.node.code, option.lanes[lane_i], lines))
    shipments.sort(key=lambda s: (s.node_code, s.lane.carrier, s.lane.service))
    day = max(s.lane.day for s in shipments)
    cost = variable + fees([s.lane for s in shipments])
    return Plan(tuple(shipments), day, cost, exact=exact, solver=solver)


def check_plan(problem: Problem, plan: Plan) -> None:
    """Raise AssertionError if the plan ships more than a node holds or misses a quantity."""
    by_node = {o.node.id: o for o in problem.options}
    shipped = [0] * len(problem.request.lines)
    per_node: dict[str, list[int]] = {}
    for shipment in plan.shipments:
        option = by_node[shipment.node_id]
        counts = per_node.setdefault(shipment.node_id, [0] * len(problem.request.lines))
        for sku, qty in shipment.lines:
            li = next(i for i, ln in enumerate(problem.request.lines) if ln.sku == sku)
            counts[li] += qty
            shipped[li] += qty
        for li, held in enumerate(option.stock):
            assert counts[li] <= held, f"{shipment.node_code} ships more than it holds"
    assert tuple(shipped) == problem.demand, "quantities are not conserved"
