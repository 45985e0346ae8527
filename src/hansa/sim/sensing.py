"""Demand sensing in the world: what shoppers do becomes Hansa's signals, and what Hansa's
demand-replenishment path decides becomes world facts.

The world's storefront (carts that check out, carts that are abandoned, page views, sales)
and its weather go to Hansa as `IngestSignals` batches, one per simulated hour; Hansa fits
its baselines (`FitBaselines`) from the same 28 days of history the planner was tuned on,
and its own detector and path decide. Nothing here decides a purchase order or a transfer:
this module reads the path's completed steps (automation run records) and turns them into
the world's facts: a raised PO becomes an order with the supplier that lands after the
supplier's sampled lead time, a dispatched transfer (which already took the units out of the
source in Hansa's ledger) lands at the target after the truck's transit, where the
receiving site scans it (`ReceiveTransfer`).

Zones: Hansa's default zone is an h3 cell of resolution 5 (~250 km2). The simulated store
sells a few units per SKU per day over the whole country, so the world's collector names a
coarser h3 cell (`sensing_zone_resolution`, default 2: ~87,000 km2, a third of Texas)
in each signal, the explicit `zone` a signal may carry; carts are also sent per category
(`category:<name>` items), which the path spreads over the category's SKUs (ADR 0020).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hansa.automation import queries as automation
from hansa.automation.replenishment import PATH_NAME
from hansa.bootstrap import Hansa
from hansa.bus.unit_of_work import UnitOfWork
from hansa.demand.messages import FitBaselines, IngestSignals, ReviewSpikes
from hansa.inventory.messages import ReceiveTransfer
from hansa.kernel.errors import HansaError
from hansa.kernel.geo import haversine_km
from hansa.sim import events
from hansa.sim.demand import ABANDONMENT, Demand, Intent, poisson
from hansa.sim.geography import Place, us_zip_places
from hansa.sim.planner import HISTORY_DAYS  # the planner's history, from the same stream
from hansa.sim.world import World
from hansa.suppliers.messages import ApplyItemRecords
from hansa.suppliers.model import ItemRecord

if TYPE_CHECKING:
    from hansa.sim.runner import Simulation

ZONE_RESOLUTION = 2  # measured on storm, small, 28 days: see docs/adr/0022
VIEWS_PER_CART_LINE = 4.0  # mean product page views behind each line put in a cart
ABANDONED_PER_ORDER = ABANDONMENT / (1 - ABANDONMENT)  # carts that never check out, per order
FIT_WEEKDAY, FIT_HOUR = 0, 3  # Hansa refits its baselines on Monday mornings
FITTED_KINDS = ("add_to_cart", "sale")
DETECTED = ("add_to_cart", "sale")
TERMINAL = ("completed", "failed", "compensated", "skipped", "cancelled")
# the world's trucks between sites (the path only estimates this for its promise)
DOCK_HOURS = 6
ROAD_FACTOR = 1.2
TRUCK_KMH = 55.0
SOURCE = "sim-storefront"

# kind, "sku" | "category", item, zone, "<postal code>|<hour offset from the batch's start>"
Key = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Landing:
    """A transfer Hansa dispatched, on the road to its target."""

    transfer_id: str
    sku: str
    quantity: int


class Sensing:
    """The automation policy's storefront collector, weather feed and path follower."""

    def __init__(self, sim: Simulation) -> None:
        world: World = sim.world
        self.world = world
        self.start = sim.scenario.start
        self.resolution = int(sim.scenario.param("sensing_zone_resolution", ZONE_RESOLUTION))
        self.carts = Demand(world, random.Random(f"browsing:{world.seed}"),
                            launched={s.sku for s in world.launch_skus})
        self.views = random.Random(f"views:{world.seed}")
        self.zones: dict[Place, str] = {}
        self.category = {s.sku: s.category for s in [*world.skus, *world.launch_skus]}
        self.buffer: Counter[Key] = Counter()
        self.buffer_at: datetime | None = None
        self.mark = 0
        self.today = events.Conditions()
        self.ended_runs: set[str] = set()
        self.open_runs: set[str] = set()  # blocked or still running: followed every hour
        self.acted: set[tuple[str, int]] = set()  # (run id, step index) turned into facts
        self.landings: dict[int, list[Landing]] = defaultdict(list)  # hour index -> landings
        self.stats: Counter[str] = Counter()

    # ------------------------------------------------------------------------------ setup
    def setup(self, sim: Simulation) -> None:
        """Map the supplier items, send 28 days of history signals, fit the baselines."""
        hansa = sim.hansa
        with hansa.bus.uow() as uow:
            by_supplier: dict[int, list[ItemRecord]] = defaultdict(list)
            for spec in self.world.skus:
                by_supplier[spec.supplier].append(ItemRecord(
                    supplier_sku=f"{self.world.suppliers[spec.supplier].code}-{spec.sku}",
                    sku=spec.sku, cost=sim.supply.costs[spec.sku], currency="USD"))
            for index, records in sorted(by_supplier.items()):
                hansa.bus.execute(ApplyItemRecords(
                    supplier_code=self.world.suppliers[index].code, records=tuple(records),
                    observed_at=uow.now()), uow)
            uow.commit()
        history = Demand(self.world, random.Random(f"history:{self.world.seed}"))
        abandoned = Demand(self.world, random.Random(f"browsing-history:{self.world.seed}"))
        for day in range(-HISTORY_DAYS, 0):
            batch: Counter[Key] = Counter()
            for hour in range(24):
                intents = history.hour(day, hour, 1.0, {})
                self._carts(batch, intents, hour)
                self._carts(batch, abandoned.hour(day, hour, ABANDONED_PER_ORDER, {}), hour)
                for intent in intents:
                    for sku, quantity in intent.lines:
                        batch[self._key("sale", "sku", sku, intent.customer.place, hour)] += \
                            quantity
            at = self.start + timedelta(days=day)
            with hansa.bus.uow() as uow:
                hansa.bus.execute(IngestSignals(signals=self._payload(batch, at),
                                                source=SOURCE, backfill=True), uow)
                uow.commit()
        with hansa.bus.uow() as uow:
            self._fit(hansa, uow)
            uow.commit()
        hansa.worker.run_until_idle()

    def _fit(self, hansa: Hansa, uow: UnitOfWork) -> None:
        for kind in FITTED_KINDS:
            hansa.bus.execute(FitBaselines(kind=kind, history_days=HISTORY_DAYS), uow)
        self.stats["baseline_fits"] += 1

    # -------------------------------------------------------------------------- each hour
    def hour_start(self, sim: Simulation, uow: UnitOfWork, day: int, hour: int) -> None:
        """Scan the transfers that land now, act on what the path decided last hour, send
        the weather, and send last hour's storefront signals (complete hours only: the
        detector's window counts the current hour by its elapsed share)."""
        bus = sim.hansa.bus
        now = day * 24 + hour
        for landing in self.landings.pop(now, []):
            try:
                with uow.savepoint():
                    bus.execute(ReceiveTransfer(transfer_id=landing.transfer_id), uow)
                self.stats["transfers_received"] += 1
            except HansaError:
                self.stats["transfers_refused"] += 1
        self._follow_path(sim, uow, day, hour)
        signals: list[dict[str, Any]] = []
        if hour == 0:
            self.today = events.conditions(sim, day)
            signals += self._alerts(sim, day)
        if hour == FIT_HOUR and self.world.day_date(day).weekday() == FIT_WEEKDAY and day:
            self._fit(sim.hansa, uow)
        if self.buffer and self.buffer_at is not None:
            signals += self._payload(self.buffer, self.buffer_at)
        self.buffer, self.buffer_at = Counter(), None
        if signals:
            result = bus.execute(IngestSignals(signals=tuple(signals), source=SOURCE), uow)
            self.stats["spikes"] += len(result.fired)
            sim.tally.demand_spikes += len(result.fired)
        else:
            bus.execute(ReviewSpikes(), uow)
        self.mark = len(sim.pending)

    def hour_end(self, sim: Simulation, day: int, hour: int, intents: list[Intent]) -> None:
        """Collect the hour's storefront: every cart (checked out or not), the carts nobody
        checked out, page views, and the units sold (the orders the checkout took)."""
        batch = self.buffer
        self._sync_carts(sim.demand)
        self._carts(batch, intents, 0)
        self._carts(batch, self.carts.hour(day, hour, self.today.traffic * ABANDONED_PER_ORDER,
                                           self.today.weather), 0, abandoned=True)
        for order in sim.pending[self.mark:]:
            for _, sku, quantity in order.allocations:
                batch[self._key("sale", "sku", sku, order.customer_place, 0)] += quantity
        self.mark = len(sim.pending)
        self.buffer_at = self.start + timedelta(days=day, hours=hour)
        if hour == 23:
            self._hold_in_transit(sim, day * 24 + hour)

    def _hold_in_transit(self, sim: Simulation, now: int) -> None:
        """Units on a truck at the day's close are the merchant's stock but on hand nowhere in
        Hansa's ledger: the day's holding cost counts them too (ADR 16's holding, ADR 22)."""
        rate = self.world.holding_rate_per_year / 365
        value = sum(landing.quantity * sim.supply.landed_cost(landing.sku)
                    for due, landings in self.landings.items() if due > now
                    for landing in landings)
        sim.tally.holding += value * rate

    # --------------------------------------------------------------------------- signals
    def _sync_carts(self, demand: Demand) -> None:
        """Abandoned carts follow the same pushes as orders (launches, material changes)."""
        if demand.factor != self.carts.factor or demand.hidden != self.carts.hidden:
            self.carts.factor = dict(demand.factor)
            self.carts.hidden = set(demand.hidden)
            self.carts._rebuild()

    def _carts(self, batch: Counter[Key], intents: list[Intent], hour: int,
               abandoned: bool = False) -> None:
        for intent in intents:
            place = intent.customer.place
            for sku, _ in intent.lines:  # one add-to-cart event per line, whatever the units
                batch[self._key("add_to_cart", "sku", sku, place, hour)] += 1
                batch[self._key("add_to_cart", "category", self.category[sku], place, hour)] += 1
                batch[self._key("page_view", "sku", sku, place, hour)] += poisson(
                    self.views, VIEWS_PER_CART_LINE)
                if abandoned:
                    batch[self._key("cart_abandonment", "sku", sku, place, hour)] += 1

    def _key(self, kind: str, field: str, item: str, place: Place, hour: int) -> Key:
        """Counted per zone and hour; the kinds the detector watches also per postal code
        (a spike names the postal code it saw most)."""
        postal = place.postal_code if kind in DETECTED and place.country == "US" else ""
        return (kind, field, item, self._zone(place), f"{postal}|{hour}")

    def _zone(self, place: Place) -> str:
        zone = self.zones.get(place)
        if zone is None:
            import h3

            zone = str(h3.latlng_to_cell(place.position.lat, place.position.lon,
                                         self.resolution))
            self.zones[place] = zone
        return zone

    def _payload(self, batch: Counter[Key], start: datetime) -> tuple[dict[str, Any], ...]:
        out = []
        for (kind, field, item, zone, where), count in sorted(batch.items()):
            if count <= 0:
                continue
            postal, hour = where.rsplit("|", 1)
            at = start + timedelta(hours=int(hour), minutes=30)
            signal: dict[str, Any] = {"kind": kind, field: item, "zone": zone,
                                      "at": at.isoformat(), "count": count}
            if postal:
                signal["postal_code"], signal["country"] = postal, "US"
            out.append(signal)
        return tuple(out)

    def _alerts(self, sim: Simulation, day: int) -> list[dict[str, Any]]:
        """Today's weather alerts in the NWS GeoJSON shape, one per scripted event in force;
        they name the postal codes of the states under the storm (our `postal_codes`)."""
        found = []
        for index, e in enumerate(sim.scenario.events):
            if e.kind != "weather_alert" or not e.active(day):
                continue
            track = e.params.get("track", [])
            states = set(track[min(day - e.day, len(track) - 1)] if track else [])
            codes = [p.postal_code for p in us_zip_places() if p.state in states]
            if not codes:
                continue
            onset = self.start + timedelta(days=day)
            alert_id = f"urn:sim:{sim.scenario.name}:{index}:{day}"
            found.append({"kind": "weather_alert", "alert": {
                "type": "Feature", "id": alert_id, "geometry": None, "properties": {
                    "id": alert_id, "event": str(e.params.get("event", "Hurricane Warning")),
                    "severity": str(e.params.get("severity", "Extreme")),
                    "onset": onset.isoformat(),
                    "expires": (onset + timedelta(days=1)).isoformat(),
                    "headline": f"{sim.scenario.name}: {', '.join(sorted(states))}",
                    "areaDesc": ", ".join(sorted(states)), "postal_codes": codes}}})
            self.stats["weather_alerts"] += 1
        return found

    # ------------------------------------------------------------------ the path's acts
    def _follow_path(self, sim: Simulation, uow: UnitOfWork, day: int, hour: int) -> None:
        """Each completed step of the demand path's runs once: a PO raise becomes a supplier
        order in the world, a transfer is scheduled to land. A run a breaker blocked midway
        (a category spike's later SKUs) keeps the steps it completed; it is followed until it
        ends, in case an operator resumes it."""
        fresh = {run_id for run_id in automation.run_ids(uow.conn, path=PATH_NAME, limit=50)
                 if run_id not in self.ended_runs}
        runs = [automation.run(uow.conn, run_id) for run_id in fresh | self.open_runs]
        # ids come from the wall clock: order by what the run is about, so that the world's
        # supplier draws follow the same order in every run of a seed
        runs.sort(key=lambda r: (r.started_at, *(str(r.trigger_data.get(k, ""))
                                                 for k in ("item", "zone", "kind"))))
        for run in runs:
            if run.id not in self.open_runs:
                self.stats["path_runs"] += 1
            targets = {str(s.command.get("sku")): str(s.command.get("target_location_id") or "")
                       for s in run.steps if _kind(s.command_type) == "PublishZonePromise"}
            for step in run.steps:
                if step.status != "completed" or (run.id, step.index) in self.acted:
                    continue
                self.acted.add((run.id, step.index))
                if _kind(step.command_type) == "RaisePurchaseOrder":
                    sku = str(step.command.get("sku"))
                    self._order(sim, step.command, step.result, targets.get(sku, ""), day)
                elif _kind(step.command_type) == "DispatchTransfer":
                    self._land(sim, step.command, step.result, day * 24 + hour)
            if run.status in TERMINAL:
                self.open_runs.discard(run.id)
                self.ended_runs.add(run.id)
            else:
                self.open_runs.add(run.id)

    def _order(self, sim: Simulation, command: dict[str, Any], result: Any, target: str,
               day: int) -> None:
        action = result.get("action") if isinstance(result, dict) else None
        if action not in ("raise", "create"):
            return
        sku, quantity = str(command["sku"]), int(command["add_quantity"])
        site = target if target in sim.positions else self.world.sites[0].location_id
        sim.supply.order(sku, site, quantity, day)
        sim.tally.purchase_orders += 1
        sim.tally.path_purchase_orders += 1
        self.stats["path_purchase_orders"] += 1
        self.stats["path_po_units"] += quantity

    def _land(self, sim: Simulation, command: dict[str, Any], result: Any, now: int) -> None:
        transfer_id = str(result if isinstance(result, str) else command.get("transfer_id"))
        source, target = str(command["from_location_id"]), str(command["to_location_id"])
        km = haversine_km(sim.positions[source], sim.positions[target])
        hours = math.ceil(DOCK_HOURS + km * ROAD_FACTOR / TRUCK_KMH)
        quantity = int(command["quantity"])
        self.landings[now + hours].append(Landing(transfer_id, str(command["sku"]), quantity))
        self.stats["path_transfers"] += 1
        self.stats["units_transferred"] += quantity
        sim.tally.path_transfers += 1
        sim.tally.units_transferred += quantity


def _kind(command_type: str) -> str:
    """A step's command class name (run records keep the dotted path)."""
    return command_type.rsplit(".", 1)[-1]
