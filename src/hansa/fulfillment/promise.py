"""Delivery promise per SKU and destination: the fastest and the cheapest way to get one unit
there from current stock, carrier transit times and cut-offs (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hansa.fulfillment.model import Line, Node, Request, prepare
from hansa.kernel.geo import Position
from hansa.shipping.model import Carrier


@dataclass(frozen=True, slots=True)
class Option:
    day: int  # days from today
    date: date
    cost: int  # landed cost of one unit, minor units
    carrier: str
    service: str
    level: str
    node: str
    inbound: bool = False  # from stock still in transit to the node (its ETA counted in)

    def as_dict(self) -> dict[str, object]:
        return {"days": self.day, "date": self.date.isoformat(), "cost": self.cost,
                "carrier": self.carrier, "service": self.service, "level": self.level,
                "from": self.node, "inbound": self.inbound}


@dataclass(frozen=True, slots=True)
class Promise:
    sku: str
    fastest: Option | None
    cheapest: Option | None

    def as_dict(self) -> dict[str, object]:
        return {"sku": self.sku, "available": self.fastest is not None,
                "fastest": self.fastest.as_dict() if self.fastest else None,
                "cheapest": self.cheapest.as_dict() if self.cheapest else None}


def promise(line: Line, destination: Position, country: str, nodes: list[Node],
            carriers: list[Carrier], atp: dict[str, dict[str, int]], now: datetime) -> Promise:
    """The fastest (then cheapest) and cheapest (then fastest) option for one unit of `line`."""
    problem = prepare(Request("promise", (line,), destination, country, now), nodes, carriers,
                      atp)
    options = []
    for option in problem.options:
        for lane, costs in zip(option.lanes, option.unit_costs, strict=True):
            if costs[0] is None:
                continue
            options.append(Option(lane.day, now.date() + timedelta(days=lane.day),
                                  lane.fee + costs[0], lane.carrier, lane.service,
                                  lane.level.value, option.node.code))
    if not options:
        return Promise(line.sku, None, None)
    fastest = min(options, key=lambda o: (o.day, o.cost, o.node, o.service))
    cheapest = min(options, key=lambda o: (o.cost, o.day, o.node, o.service))
    return Promise(line.sku, fastest, cheapest)


def with_inbound(found: Promise, line: Line, destination: Position, country: str,
                 nodes: list[Node], carriers: list[Carrier],
                 inbound: list[tuple[str, int, datetime]], now: datetime) -> Promise:
    """Add options from stock in transit: a unit arriving at node N at ETA t ships from N as if
    ordered at t (its cut-offs and lanes then), dated from today. The honest date while a
    transfer is on the road; nothing changes once stock on hand is as fast."""
    options = [o for o in (found.fastest, found.cheapest) if o is not None]
    for node_id, units, eta in inbound:
        if units <= 0:
            continue
        at = max(eta, now)
        later = promise(line, destination, country, nodes, carriers,
                        {node_id: {line.sku: units}}, at)
        shift = (at.date() - now.date()).days
        options += [Option(o.day + shift, o.date, o.cost, o.carrier, o.service, o.level, o.node,
                           inbound=True)
                    for o in (later.fastest, later.cheapest) if o is not None]
    if not options:
        return found
    fastest = min(options, key=lambda o: (o.day, o.inbound, o.cost, o.node, o.service))
    cheapest = min(options, key=lambda o: (o.cost, o.inbound, o.day, o.node, o.service))
    return Promise(line.sku, fastest, cheapest)


def valid_until(now: datetime, nodes: list[Node]) -> datetime:
    """When a promise computed at `now` may change without any stock moving: the next cut-off
    of any node, or midnight (UTC), whichever comes first."""
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=now.tzinfo)
    minute = now.hour * 60 + now.minute
    cutoffs = [n.cutoff_minute for n in nodes if n.cutoff_minute > minute]
    if not cutoffs:
        return midnight
    start = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    return min(midnight, start + timedelta(minutes=min(cutoffs)))
