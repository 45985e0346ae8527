"""Policies side by side: Hansa's automation paths vs a manual baseline.

A policy is the set of hooks the simulator calls when the world asks for a decision. Each
hook acts on the real system through its commands. A path that is not built yet is simply
off in both policies: both then use the baseline's hook (see PATHS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from hansa.bootstrap import Hansa
from hansa.bus.unit_of_work import UnitOfWork
from hansa.fulfillment.messages import AllocateOrder
from hansa.guards import queries as guard_queries
from hansa.guards.messages import ApproveQuarantined, RejectQuarantined
from hansa.inventory.messages import ReleaseReservation, ReserveStock
from hansa.kernel.errors import HansaError
from hansa.kernel.money import Money
from hansa.logistics.messages import RecordScans, TrackShipment
from hansa.logistics.model import Scan
from hansa.pricing.messages import NewTier, SetCost, SetPrices
from hansa.sim.planner import Levels
from hansa.sim.scans import Shipment
from hansa.suppliers.messages import ApplySupplierPrice

if TYPE_CHECKING:
    from hansa.sim.demand import Intent
    from hansa.sim.runner import Simulation
    from hansa.sim.sensing import Sensing

GATE_DETECTORS = ("open_breaker", "kill_switch")
ALLOCATORS = ("nearest", "first_location")  # the two baseline allocators

# path -> built on main? Paths not built run the baseline's hook in both policies.
PATHS = {
    "guarded_price_feed": True,  # suppliers.price_feed with the price guard and breakers
    # automation: signals -> Hansa's detector and demand path (sim/sensing.py) on top of the
    # weekly min/max planner; baseline: the planner alone
    "demand_sensing_replenishment": True,
    # automation: Hansa's sourcing step (AllocateOrder) in the checkout's unit of work; the
    # world ships per its plan. Baseline: the checkout's nearest-location allocation (ADR 24)
    "order_to_cash_sourcing": True,
    "exceptions_and_reships": True,  # logistics tracking + the exceptions path (sim.tracking)
    "ad_budget_valve": False,  # no marketing context yet: no ad spend in either
}


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One row a supplier's feed sends; `honest` is the world's truth, unseen by Hansa."""

    supplier_code: str
    sku: str
    price: int
    cost: int
    honest: bool


@dataclass(slots=True)
class FeedOutcome:
    applied: int = 0
    quarantined: int = 0
    trips: int = 0
    false_trips: int = 0
    trip_rows: list[str] = field(default_factory=list)


class Policy(Protocol):
    """The hooks the simulator calls; every action goes through Hansa's commands."""

    name: str

    def price_feed(self, hansa: Hansa, uow: UnitOfWork, price_list_id: str,
                   rows: list[FeedRow]) -> FeedOutcome: ...

    def replenish(self, positions: Mapping[tuple[str, str], int],
                  levels: Mapping[tuple[str, str], Levels]) -> dict[tuple[str, str], int]: ...

    def allocate(self, hansa: Hansa, uow: UnitOfWork, order_id: str,
                 held: list[dict[str, Any]]) -> int | None: ...

    def on_tracking(self, hansa: Hansa, uow: UnitOfWork, shipment: Shipment,
                    scans: list[Scan], *, handed_over: bool) -> None: ...

    def daily_review(self, hansa: Hansa, uow: UnitOfWork,
                     honest_values: Mapping[tuple[str, int], bool]) -> None: ...

    def prepare(self, sim: Simulation) -> None: ...

    def hour_start(self, sim: Simulation, uow: UnitOfWork, day: int, hour: int) -> None: ...

    def hour_end(self, sim: Simulation, day: int, hour: int, intents: list[Intent]) -> None: ...


class ManualPolicy:
    """The competent manual merchant: weekly min/max planning, greedy (nearest-site, the
    checkout's own) or first-location allocation, supplier price files imported as they come,
    nobody watching scans."""

    name = "baseline"

    def __init__(self, allocator: str = "nearest",
                 first_site: tuple[float, float] | None = None) -> None:
        if allocator not in ALLOCATORS:
            raise ValueError(f"unknown allocator {allocator!r}; one of {', '.join(ALLOCATORS)}")
        self.allocator = allocator
        self.first_site = first_site

    def price_feed(self, hansa: Hansa, uow: UnitOfWork, price_list_id: str,
                   rows: list[FeedRow]) -> FeedOutcome:
        """A plain import: every row becomes the price and cost in force."""
        if not rows:
            return FeedOutcome()
        latest = {r.sku: r for r in rows}
        hansa.bus.execute(SetPrices(price_list_id=price_list_id, prices={
            sku: [NewTier(1, r.price)] for sku, r in sorted(latest.items())}), uow)
        for sku, r in sorted(latest.items()):
            hansa.bus.execute(SetCost(sku=sku, amount=r.cost, currency="USD"), uow)
        return FeedOutcome(applied=len(rows))

    def replenish(self, positions: Mapping[tuple[str, str], int],
                  levels: Mapping[tuple[str, str], Levels]) -> dict[tuple[str, str], int]:
        """Weekly review: where the position is at or below min, order up to max."""
        orders = {}
        for key, level in sorted(levels.items()):
            position = positions.get(key, 0)
            if position <= level.low:
                orders[key] = level.high - position
        return orders

    def allocate(self, hansa: Hansa, uow: UnitOfWork, order_id: str,
                 held: list[dict[str, Any]]) -> int | None:
        """Greedy keeps the checkout's allocation (the nearest site that can fill a line,
        else a split). First-location holds the stock again, as close as possible to the
        first site in the merchant's list, through ReleaseReservation + ReserveStock.
        Returns None: no sourcing plan, so no promise of Hansa's."""
        if self.allocator != "first_location" or not held or self.first_site is None:
            return None
        lines: dict[str, int] = {}
        for allocation in held:
            lines[allocation["sku"]] = lines.get(allocation["sku"], 0) + allocation["quantity"]
        ttl = timedelta(minutes=hansa.settings.reservation_ttl_minutes)
        hansa.bus.execute(ReleaseReservation(reference=order_id,
                                             reason="baseline: first-location allocation"), uow)
        hansa.bus.execute(ReserveStock(reference=order_id, lines=sorted(lines.items()),
                                       expires_at=uow.now() + ttl,
                                       destination=self.first_site), uow)
        return None

    def on_tracking(self, hansa: Hansa, uow: UnitOfWork, shipment: Shipment,
                    scans: list[Scan], *, handed_over: bool) -> None:
        """Nobody watches the carrier's scans: late parcels are dealt with when a customer
        complains (sim.tracking), the same in both policies."""

    def daily_review(self, hansa: Hansa, uow: UnitOfWork,
                     honest_values: Mapping[tuple[str, int], bool]) -> None:
        """Nothing is quarantined without guards: nothing to review."""

    def prepare(self, sim: Simulation) -> None:
        """Nothing to set up before day 0."""

    def hour_start(self, sim: Simulation, uow: UnitOfWork, day: int, hour: int) -> None:
        """No signals collected, no demand path: the weekly planner alone."""

    def hour_end(self, sim: Simulation, day: int, hour: int, intents: list[Intent]) -> None:
        """Nothing collected."""


class AutomationPolicy(ManualPolicy):
    """Hansa's built paths on; the paths not built yet fall back to the manual hooks."""

    name = "automation"
    sensing: Sensing | None = None

    def prepare(self, sim: Simulation) -> None:
        """Demand sensing (sim/sensing.py): the history Hansa's baselines are fitted on."""
        if PATHS["demand_sensing_replenishment"]:
            from hansa.sim.sensing import Sensing

            self.sensing = Sensing(sim)
            self.sensing.setup(sim)

    def hour_start(self, sim: Simulation, uow: UnitOfWork, day: int, hour: int) -> None:
        """Signals to Hansa, the demand path's acts to the world."""
        if self.sensing is not None:
            self.sensing.hour_start(sim, uow, day, hour)

    def hour_end(self, sim: Simulation, day: int, hour: int, intents: list[Intent]) -> None:
        if self.sensing is not None:
            self.sensing.hour_end(sim, day, hour, intents)

    def allocate(self, hansa: Hansa, uow: UnitOfWork, order_id: str,
                 held: list[dict[str, Any]]) -> int | None:
        """Hansa's sourcing step, in the checkout's unit of work: `AllocateOrder` re-checks
        availability, lets the optimiser choose nodes and lanes (one shipment unless a split
        is faster at no extra cost) and moves the checkout's hold to its plan. Returns the
        plan's promised day (days after the order day). An order the optimiser cannot
        source keeps the checkout's hold (None)."""
        if not PATHS["order_to_cash_sourcing"]:
            return super().allocate(hansa, uow, order_id, held)
        try:
            with uow.savepoint():
                plan = hansa.bus.execute(AllocateOrder(order_id=order_id), uow)
        except HansaError:
            return None
        return int(plan["day"])

    def price_feed(self, hansa: Hansa, uow: UnitOfWork, price_list_id: str,
                   rows: list[FeedRow]) -> FeedOutcome:
        """Each row through the guarded supplier price feed (guard, breaker, quarantine)."""
        outcome = FeedOutcome()
        for row in rows:
            result = hansa.bus.execute(ApplySupplierPrice(
                supplier_code=row.supplier_code, price_list_id=price_list_id, sku=row.sku,
                amount=row.price, cost=row.cost, currency="USD", observed_at=uow.now()), uow)
            if result.applied:
                outcome.applied += 1
            else:
                outcome.quarantined += 1
            verdict = result.verdict
            if verdict is not None and verdict.detector not in GATE_DETECTORS:
                outcome.trips += 1
                outcome.trip_rows.append(row.sku)
                if row.honest:
                    outcome.false_trips += 1
        return outcome

    def on_tracking(self, hansa: Hansa, uow: UnitOfWork, shipment: Shipment,
                    scans: list[Scan], *, handed_over: bool) -> None:
        """Hansa tracks every parcel from its hand-over and hears every carrier scan as it
        happens; its exceptions path acts on the scans that never come."""
        if handed_over:
            hansa.bus.execute(TrackShipment(
                shipment_id=shipment.shipment_id, order_id=shipment.order_id,
                customer=shipment.customer, origin_location_id=shipment.location_id,
                carrier=shipment.carrier, service="standard",
                tracking_code=shipment.tracking_code,
                destination_postal_code=shipment.postal_code,
                destination_country=shipment.country, promised_date=shipment.promised_date,
                lines=list(shipment.lines), value=Money(shipment.value, "USD")), uow)
        if scans:
            hansa.bus.execute(RecordScans(provider="sim", carrier=shipment.carrier,
                                          tracking_code=shipment.tracking_code,
                                          scans=list(scans)), uow)

    def daily_review(self, hansa: Hansa, uow: UnitOfWork,
                     honest_values: Mapping[tuple[str, int], bool]) -> None:
        """The operator's morning look at the quarantine: approve what the supplier really
        meant, reject the rest (the operator can phone the supplier; Hansa cannot)."""
        pending = guard_queries.quarantined(uow.conn, status="pending", limit=100_000)
        for entry in sorted(pending, key=lambda e: (e.created_at, e.subject_key, str(e.value))):
            value = entry.value if isinstance(entry.value, int) else None
            honest = value is not None and honest_values.get((entry.subject_key, value), False)
            command = (ApproveQuarantined(entry.id, actor="sim-operator") if honest
                       else RejectQuarantined(entry.id, actor="sim-operator"))
            try:
                with uow.savepoint():
                    hansa.bus.execute(command, uow)
            except HansaError:
                with uow.savepoint():
                    hansa.bus.execute(RejectQuarantined(entry.id, actor="sim-operator"), uow)


def make_policy(name: str, *, allocator: str = "nearest",
                first_site: tuple[float, float] | None = None) -> Policy:
    """The policy called `name`: automation or baseline (with its allocator)."""
    if name == "automation":
        return AutomationPolicy()
    if name == "baseline":
        return ManualPolicy(allocator, first_site)
    raise ValueError(f"unknown policy {name!r}")
