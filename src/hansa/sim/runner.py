"""One simulated run: a real Hansa on a virtual clock, driven hour by hour by the world and
one policy. Each simulated hour is one unit of work (each order in its own savepoint)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.unit_of_work import UnitOfWork
from hansa.config import Settings
from hansa.inventory import queries as inventory
from hansa.inventory.messages import (
    PickReservation,
    ReceiveStock,
)
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict
from hansa.kernel.geo import Position, haversine_km
from hansa.orders.messages import CapturePayment, PlaceOrder
from hansa.orders.model import Address
from hansa.sim import carriers, events
from hansa.sim.demand import Demand, Intent
from hansa.sim.geography import Place
from hansa.sim.holds import held_by
from hansa.sim.kpis import DayPoint, Tally
from hansa.sim.planner import HISTORY_DAYS, Router, demand_history, stocked_sites, tune_levels
from hansa.sim.policies import Policy, make_policy
from hansa.sim.scenario import Scenario, Size
from hansa.sim.setup import seed_business
from hansa.sim.supply import Supply
from hansa.sim.tracking import Tracking
from hansa.sim.world import World

REVIEW_WEEKDAY = 0  # the planner reviews on Monday mornings
REVIEW_HOUR = 6
OPERATOR_HOUR = 9
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Pending:
    """A paid order waiting for its pickup day."""

    order_id: str
    intent_key: str  # the same in both policies: seeds the parcel's transit draws
    customer_place: Place
    allocations: tuple[tuple[str, str, int], ...]  # (location id, sku, quantity)
    ship_day: int
    promised_day: int


class Simulation:
    """A run of one policy on one seed; `run()` returns its tally."""

    def __init__(self, scenario: Scenario, size: Size, seed: int, policy: str,
                 db_url: str) -> None:
        self.scenario, self.seed = scenario, seed
        self.world = World(scenario, size, seed)
        first = self.world.sites[0].place.position
        self.policy: Policy = make_policy(
            policy, allocator=str(scenario.param("baseline_allocator", "nearest")),
            first_site=(first.lat, first.lon))
        self.clock = VirtualClock(scenario.start)
        # the world's sites pick, label and hand over themselves: Hansa sources, nothing
        # more, so its order-to-cash path stays off in both policies (ADR 24)
        self.hansa: Hansa = bootstrap(Settings(db=db_url, order_to_cash_path=False),
                                      clock=self.clock, migrate=True)
        stocking = stocked_sites(self.world)
        history = demand_history(self.world, Router(self.world, stocking), HISTORY_DAYS)
        self.levels = tune_levels(self.world, stocking, history, HISTORY_DAYS)
        self.demand = Demand(self.world, random.Random(f"demand:{seed}"),
                             launched={s.sku for s in self.world.launch_skus})
        self.supply = Supply(self.world, seed)
        self.transit_seed = f"transit:{seed}"
        self.positions: dict[str, Position] = {s.location_id: s.place.position
                                               for s in self.world.sites}
        self.dropship: dict[str, tuple[list[str], int]] = {}
        self.on_sale = [s.sku for s in self.world.skus]
        self.pending: list[Pending] = []
        self.tally = Tally()
        self.after_hour: Callable[[int, int], None] | None = None  # (day, hour): live pacing
        self.tracking = Tracking(self)  # parcels, scans and complaints (sim.tracking)
        self.opening_units = seed_business(self.hansa, self.world, self.levels, {})
        self.zone_sites = self._zone_sites()
        self.policy.prepare(self)

    def _zone_sites(self) -> set[str]:
        inside = {s.location_id for s in self.world.sites
                  if s.place.state in self.scenario.focus_states}
        if inside:
            return inside
        homes = [c.place.position for c in self.world.customers
                 if c.place.state in self.scenario.focus_states] or [
            self.world.sites[0].place.position]
        centre = Position(sum(p.lat for p in homes) / len(homes),
                          sum(p.lon for p in homes) / len(homes))
        return {min(self.world.sites, key=lambda s: haversine_km(s.place.position, centre))
                .location_id}

    def add_site(self, location_id: str, place: Place) -> None:
        self.positions[location_id] = place.position

    # ---------------------------------------------------------------------------- running
    def run(self, days: int, progress: Progress | None = None, *, close: bool = True) -> Tally:
        """Simulate `days` days; `close=False` leaves Hansa open (a live demo keeps serving)."""
        try:
            for day in range(days):
                self._day(day)
                if progress:
                    progress(day + 1)
            self.tracking.finish()
        finally:
            if close:
                self.hansa.close()
        return self.tally

    def _day(self, day: int) -> None:
        start = self.scenario.start + timedelta(days=day)
        point = DayPoint(day=day)
        zone_promises: list[int] = []
        today = events.conditions(self, day)
        for hour in range(24):
            self.clock.set(start + timedelta(hours=hour))
            with self.hansa.bus.uow() as uow:
                if hour == 0:
                    events.start_of_day(self, day, uow)
                    self.supply.move_prices(day)
                self._receive(uow, day, hour)
                self.policy.hour_start(self, uow, day, hour)
                self._feed(uow, day, hour, point)
                if hour == OPERATOR_HOUR:
                    self.policy.daily_review(self.hansa, uow, self.supply.honest)
                if hour == REVIEW_HOUR and self.world.day_date(day).weekday() == REVIEW_WEEKDAY:
                    self._replenish(uow, day)
                intents = self.demand.hour(day, hour, today.traffic, today.weather)
                for intent in intents:
                    self._checkout(uow, day, hour, intent, point, zone_promises)
                self.policy.hour_end(self, day, hour, intents)
                if hour == carriers.PICKUP_HOUR and self.world.pickup_day(
                        self.world.day_date(day)):
                    self._ship(uow, day, today)
                self.tracking.hour(uow, day)
                uow.commit()
            self.hansa.worker.run_until_idle()
            if self.after_hour is not None:
                self.after_hour(day, hour)
        self._close_day(point, zone_promises)

    def _receive(self, uow: UnitOfWork, day: int, hour: int) -> None:
        for po in self.supply.arriving(day, hour):
            self.hansa.bus.execute(ReceiveStock(sku=po.sku, location_id=po.location_id,
                                                quantity=po.quantity, reference="po"), uow)
            self.tally.units_received += po.quantity

    def _feed(self, uow: UnitOfWork, day: int, hour: int, point: DayPoint) -> None:
        rows = self.supply.due_rows(day, hour)
        if not rows:
            return
        outcome = self.policy.price_feed(self.hansa, uow, self.world.price_list_id, rows)
        self.tally.breaker_trips += outcome.trips
        self.tally.false_trips += outcome.false_trips
        self.tally.quarantined_rows += outcome.quarantined
        point.breaker_trips += outcome.trips

    def _replenish(self, uow: UnitOfWork, day: int) -> None:
        positions: dict[tuple[str, str], int] = {}
        for level in inventory.levels(uow.conn, self.on_sale):
            positions[(level.sku, level.location_id)] = level.available
        for key, quantity in self.supply.on_order.items():
            positions[key] = positions.get(key, 0) + quantity
        for (sku, site), quantity in sorted(self.policy.replenish(positions,
                                                                  self.levels).items()):
            if quantity > 0:
                self.supply.order(sku, site, quantity, day)
                self.tally.purchase_orders += 1
        for location_id, (skus, units) in sorted(self.dropship.items()):
            for sku in skus:  # the supplier keeps its own drop-ship shelf topped up
                have = positions.get((sku, location_id), 0)
                if have < units:
                    self.hansa.bus.execute(ReceiveStock(sku=sku, location_id=location_id,
                                                        quantity=units - have,
                                                        reference="drop-ship top-up"), uow)

    # --------------------------------------------------------------------------- checkout
    def _checkout(self, uow: UnitOfWork, day: int, hour: int, intent: Intent, point: DayPoint,
                  zone_promises: list[int]) -> None:
        place = intent.customer.place
        address = Address(name=f"Customer {intent.customer.index}", line1="1 Main Street",
                          city=place.city, postal_code=place.postal_code, country=place.country,
                          region=place.state)
        lines = list(intent.lines)
        attempt = 0
        while lines:
            attempt += 1
            key = f"sim-{day}-{hour}-{intent.customer.index}-{intent.minute}-{attempt}"
            try:
                with uow.savepoint():
                    checkout = self.hansa.bus.execute(PlaceOrder(
                        channel_id=self.world.channel_id, idempotency_key=key,
                        email=f"customer{intent.customer.index}@example.com", address=address,
                        lines=lines), uow)
                    held = held_by(uow, checkout.order_id)
                    sourced = self.policy.allocate(self.hansa, uow, checkout.order_id, held)
                    held = held_by(uow, checkout.order_id)
                    self.hansa.bus.execute(CapturePayment(order_id=checkout.order_id), uow)
            except Conflict as exc:
                sku = exc.details.get("sku") if exc.code == "out_of_stock" else None
                lost = [(s, q) for s, q in lines if s == sku] if sku else lines
                for _, quantity in lost:
                    self.tally.lost_units += quantity
                    point.lost_units += quantity
                lines = [(s, q) for s, q in lines if (s, q) not in lost]
                if not sku:
                    self.tally.lost_orders += 1
                continue
            self._book(day, hour, intent, checkout.order_id, checkout.view or {}, held, point,
                       zone_promises, sourced)
            return
        self.tally.lost_orders += 1

    def _book(self, day: int, hour: int, intent: Intent, order_id: str, view: dict,
              held: list[dict], point: DayPoint, zone_promises: list[int],
              sourced: int | None) -> None:
        """Count the order and queue it for its pickup day. The promise is the world's rule
        in both policies (pickup day + the carrier's published transit from each allocated
        site). Hansa's plan knows the same pickup calendar (each node's); it differs where
        Hansa places a customer abroad at the country's centroid (no postal geocoding outside
        the US): those orders are counted (ADR 24)."""
        t = self.tally
        total = int(view.get("total") or 0)
        t.orders += 1
        t.revenue += total
        point.revenue += total / 100
        point.orders += 1
        cogs = 0
        bad = False
        for line in view.get("lines", []):
            cogs += self.supply.landed_cost(line["sku"]) * line["quantity"]
            t.units_sold += line["quantity"]
            truth = self.supply.prices[line["sku"]]
            if not 0.5 * truth <= line["list_unit_price"] <= 2 * truth:
                bad = True
        t.cogs += cogs
        point.gross_margin += (total - cogs) / 100
        t.bad_price_orders += bad
        allocations = tuple(sorted((str(r["location_id"]), str(r["sku"]), int(r["quantity"]))
                                   for r in held))
        place = intent.customer.place
        promised = max((carriers.promise_day(self.world, day, hour, self.positions[loc],
                                             place.position, place.country)
                        for loc, _, _ in allocations), default=day + 1)
        t.promised_days += promised - day
        if sourced is not None:
            t.sourced_orders += 1
            t.promise_differs += day + sourced != promised
            t.promise_earlier += day + sourced < promised
        if place.state in self.scenario.focus_states:
            zone_promises.append(promised - day)
        key = f"{day}:{hour}:{intent.customer.index}:{intent.minute}"
        self.pending.append(Pending(order_id, key, place, allocations,
                                    carriers.ship_day(self.world, day, hour), promised))

    # --------------------------------------------------------------------------- shipping
    def _ship(self, uow: UnitOfWork, day: int, today: events.Conditions) -> None:
        due = [p for p in self.pending if p.ship_day <= day]
        self.pending = [p for p in self.pending if p.ship_day > day]
        t = self.tally
        for order in due:
            if order.allocations:
                with uow.savepoint():
                    self.hansa.bus.execute(PickReservation(reference=order.order_id), uow)
            rng = random.Random(f"{self.transit_seed}:{order.intent_key}")
            sites = sorted({loc for loc, _, _ in order.allocations})
            late = False
            for loc in sites:
                weight = sum(self.supply.specs[s].weight_grams * q
                             for lid, s, q in order.allocations if lid == loc)
                distance = haversine_km(self.positions[loc], order.customer_place.position)
                carrier = carriers.carrier_for(self.world, order.customer_place.country,
                                               distance)
                disruptions = [d for d in (
                    today.weather_states.get(order.customer_place.state),
                    today.carriers.get(carrier.name)) if d is not None]
                days, missed = carriers.transit(rng, carrier, distance, disruptions)
                delivered = day + days
                late = late or delivered > order.promised_day
                t.shipments += 1
                t.logistics += carriers.parcel_cost(carrier, weight)
                t.missed_scans += missed
                self.tracking.ship(uow, day, order, loc, carrier, days, missed)
            t.shipped_orders += 1
            t.on_time_orders += not late

    # ---------------------------------------------------------------------------- closing
    def _close_day(self, point: DayPoint, zone_promises: list[int]) -> None:
        t = self.tally
        available: dict[str, int] = dict.fromkeys(self.on_sale, 0)
        holding = 0.0
        rate = self.world.holding_rate_per_year / 365
        with self.hansa.db.read() as conn:
            for level in inventory.levels(conn, self.on_sale):
                available[level.sku] = available.get(level.sku, 0) + level.available
                if level.location_id not in self.dropship:  # the supplier's own stock
                    holding += level.on_hand * self.supply.landed_cost(level.sku) * rate
                if level.location_id in self.zone_sites:
                    point.zone_stock += level.on_hand
        point.stockout_skus = sum(1 for v in available.values() if v <= 0)
        t.stockout_sku_days += point.stockout_skus
        t.holding += holding
        point.zone_promise_days = (round(sum(zone_promises) / len(zone_promises), 3)
                                   if zone_promises else None)
        t.sessions = self.demand.browsing.sessions
        t.abandoned_carts = self.demand.browsing.abandoned_carts
        t.series.append(point)


def run_policy(scenario: Scenario, size: Size, seed: int, days: int, policy: str,
               db_url: str, progress: Progress | None = None) -> Tally:
    """Build the world and a fresh Hansa for `policy`, run it for `days`, return the tally."""
    return Simulation(scenario, size, seed, policy, db_url).run(days, progress)
