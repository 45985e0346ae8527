"""Parcels in the world and what the store does about late ones.

The world hands each parcel to its carrier and the carrier's scans happen at their simulated
times (scans.plan). The policy hears of them through `on_tracking`: the automation registers
each parcel with Hansa's logistics context and passes every scan on, so Hansa's own
exceptions path notices missed scans, messages and credits the customer, and reserves and
releases reships by the merchant's rules. The simulator decides none of that: it reads what
Hansa did (logistics and support queries) and plays it out in the world, where a released
reship is a real parcel from the location Hansa picked the stock at.

In both policies a customer whose parcel is more than COMPLAINT_DAYS past the promise, with no
replacement on its way, complains; the merchant's care desk answers by hand (ticket, message,
credit, a reship from the stock nearest the customer), through the same support and inventory
commands. That is all the baseline does: nothing before a customer asks.

When both the original and its replacement reach the customer, the extra parcel is returned
(return label paid, units back in stock) or written off (its goods are a cost) by the value
rule of the exception policy: Hansa's own outcome (`ExtraParcelResolved`) for its reships, the
same rule for the desk's.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hansa.bus.unit_of_work import UnitOfWork
from hansa.inventory.messages import PickReservation, ReceiveStock, ReserveStock
from hansa.kernel.errors import Conflict
from hansa.kernel.geo import haversine_km
from hansa.kernel.money import Money
from hansa.logistics import queries as logistics
from hansa.logistics.model import Scan, TrackingStatus, default_policy
from hansa.orders import queries as orders
from hansa.sim import carriers, events, scans
from hansa.sim.geography import Place
from hansa.sim.holds import held_by
from hansa.sim.scans import Shipment
from hansa.support import queries as support
from hansa.support.messages import IssueCredit, OpenTicket, QueueCustomerMessage

if TYPE_CHECKING:
    from hansa.sim.runner import Pending, Simulation
    from hansa.sim.world import CarrierSpec

COMPLAINT_DAYS = 2  # a customer asks when the parcel is more than this many days late
COMPLAINT_HOUR = 10  # ... on the morning after
RETURN_DAYS = 5  # an extra parcel sent back is in stock again this long after it arrived
RULES = default_policy()  # the care desk's credit and extra-parcel rules: Hansa's defaults


@dataclass(slots=True)
class Parcel:
    """One parcel in the world, with the world's truth about it."""

    shipment: Shipment
    place: Place
    promised_day: int
    delivered_day: int
    missed_at: datetime | None
    reship_by: str = ""  # "hansa" or "desk" once a replacement is on its way
    reship_day: int | None = None  # the replacement's delivery day
    reship_lines: tuple[tuple[str, str, int], ...] = ()  # (location id, sku, quantity)
    delivered: bool = False


@dataclass(slots=True)
class OrderState:
    late: set[str] = field(default_factory=set)  # shipment ids arriving after the promise


class Tracking:
    """The carriers' side of one run: scans due, complaints due, returns due; and the count
    of what the store did, read back from Hansa at the end."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.parcels: dict[str, Parcel] = {}
        self.orders: dict[str, OrderState] = {}
        self.seq = itertools.count()
        self.scans_due: list[tuple[datetime, int, str, Scan]] = []
        self.complaints_due: list[tuple[datetime, int, str]] = []
        self.returns_due: list[tuple[datetime, int, str, str, int]] = []
        self.seen_released: set[str] = set()

    # ------------------------------------------------------------------------- hand-over
    def ship(self, uow: UnitOfWork, day: int, order: Pending, location_id: str,
             carrier: CarrierSpec, days: int, missed: bool) -> None:
        """The parcel of `order` from `location_id` leaves now with `carrier`."""
        sim, now = self.sim, uow.now()
        found = orders.order(uow.conn, order.order_id)
        unit = {ln["sku"]: int(ln["unit_price"]) for ln in found["lines"]}
        lines: dict[str, int] = {}
        for loc, sku, quantity in order.allocations:
            if loc == location_id:
                lines[sku] = lines.get(sku, 0) + quantity
        digest = hashlib.sha256(f"{order.intent_key}|{location_id}".encode()).hexdigest()
        shipment = Shipment(
            shipment_id=f"sim-{digest[:20]}", order_id=order.order_id,
            customer=str(found["email"]), location_id=location_id, carrier=carrier.name,
            tracking_code=f"SIM{digest[20:36].upper()}",
            postal_code=order.customer_place.postal_code,
            country=order.customer_place.country,
            promised_date=sim.world.day_date(order.promised_day),
            lines=tuple(sorted(lines.items())),
            value=sum(unit.get(sku, 0) * q for sku, q in lines.items()))
        origin = self._site_place(location_id)
        rng = random.Random(f"scans:{sim.seed}:{order.intent_key}:{location_id}")
        plan = scans.plan(rng, now, days, missed, origin, order.customer_place)
        parcel = Parcel(shipment, order.customer_place, order.promised_day, day + days,
                        plan.missed_at)
        self.parcels[shipment.shipment_id] = parcel
        state = self.orders.setdefault(order.order_id, OrderState())
        if parcel.delivered_day > order.promised_day:
            state.late.add(shipment.shipment_id)
        first, rest = plan.scans[0], plan.scans[1:]
        sim.policy.on_tracking(sim.hansa, uow, shipment, [first], handed_over=True)
        for scan in rest:
            heapq.heappush(self.scans_due, (scan.occurred_at, next(self.seq),
                                            shipment.shipment_id, scan))
        if parcel.delivered_day > order.promised_day + COMPLAINT_DAYS:
            asks = self._morning(order.promised_day + COMPLAINT_DAYS + 1)
            heapq.heappush(self.complaints_due, (asks, next(self.seq), shipment.shipment_id))

    def _site_place(self, location_id: str) -> Place:
        for site in self.sim.world.sites:
            if site.location_id == location_id:
                return site.place
        position = self.sim.positions[location_id]  # a site opened by a scenario event
        return Place("US", "", "", "", position)

    def _morning(self, day: int) -> datetime:
        return self.sim.scenario.start + timedelta(days=day, hours=COMPLAINT_HOUR)

    # ------------------------------------------------------------------------ each hour
    def hour(self, uow: UnitOfWork, day: int) -> None:
        """Play out what Hansa released since the last hour, then the world's scans,
        complaints and returns that are due now."""
        now = uow.now()
        for incident in logistics.incidents(uow.conn, status="released"):
            if incident["id"] not in self.seen_released:
                self.seen_released.add(incident["id"])
                self._released(uow, day, incident)
        self._scans(uow, now)
        while self.complaints_due and self.complaints_due[0][0] <= now:
            _, _, shipment_id = heapq.heappop(self.complaints_due)
            self._complaint(uow, day, self.parcels[shipment_id])
        while self.returns_due and self.returns_due[0][0] <= now:
            _, _, location_id, sku, quantity = heapq.heappop(self.returns_due)
            self.sim.hansa.bus.execute(ReceiveStock(
                sku=sku, location_id=location_id, quantity=quantity,
                reference="extra parcel returned"), uow)
            self.sim.tally.cogs -= self.sim.supply.landed_cost(sku) * quantity

    def _scans(self, uow: UnitOfWork, now: datetime) -> None:
        batches: dict[str, list[Scan]] = {}
        while self.scans_due and self.scans_due[0][0] <= now:
            _, _, shipment_id, scan = heapq.heappop(self.scans_due)
            batches.setdefault(shipment_id, []).append(scan)
        for shipment_id, batch in batches.items():  # in the order their first scan happened
            parcel = self.parcels[shipment_id]
            self.sim.policy.on_tracking(self.sim.hansa, uow, parcel.shipment, batch,
                                        handed_over=False)
            if any(s.status is TrackingStatus.DELIVERED for s in batch):
                parcel.delivered = True
                if parcel.reship_by:
                    self._extra_parcel(uow, parcel)

    # ------------------------------------------------------------------------- reships
    def _released(self, uow: UnitOfWork, day: int, incident: dict) -> None:
        """Hansa released a reship: the replacement leaves from where Hansa picked it."""
        parcel = self.parcels.get(str(incident["shipment_id"]))
        if parcel is None:
            return
        location_id = str(incident["reship_location_id"])
        lines = tuple((location_id, sku, q) for sku, q in parcel.shipment.lines)
        self._send_replacement(uow, day, parcel, "hansa", lines)
        self.sim.tally.preemptive_reships += 1
        self.sim.tally.reships += 1

    def _send_replacement(self, uow: UnitOfWork, day: int, parcel: Parcel, by: str,
                          lines: tuple[tuple[str, str, int], ...]) -> None:
        """The replacement leaves at the next pickup; its parcels cost what parcels cost and
        its goods are a cost until an extra parcel comes back."""
        sim, t = self.sim, self.sim.tally
        leaves = carriers.ship_day(sim.world, day, uow.now().hour)
        rng = random.Random(f"reship:{sim.seed}:{parcel.shipment.shipment_id}")
        arrives = leaves
        for loc in sorted({loc for loc, _, _ in lines}):
            distance = haversine_km(sim.positions[loc], parcel.place.position)
            carrier = carriers.carrier_for(sim.world, parcel.place.country, distance)
            today = events.conditions(sim, leaves)
            disruptions = [d for d in (today.weather_states.get(parcel.place.state),
                                       today.carriers.get(carrier.name)) if d is not None]
            days, _ = carriers.transit(rng, carrier, distance, disruptions)
            arrives = max(arrives, leaves + days)
            weight = sum(sim.supply.specs[s].weight_grams * q for lid, s, q in lines if lid == loc)
            t.logistics += carriers.parcel_cost(carrier, weight)
        for _, sku, quantity in lines:
            t.cogs += sim.supply.landed_cost(sku) * quantity
        parcel.reship_by, parcel.reship_day, parcel.reship_lines = by, arrives, lines
        state = self.orders.get(parcel.shipment.order_id)
        if state is not None and parcel.shipment.shipment_id in state.late \
                and arrives <= parcel.promised_day:
            state.late.discard(parcel.shipment.shipment_id)
            if not state.late:  # the replacement makes the order on time after all
                t.on_time_orders += 1
        if parcel.delivered:
            self._extra_parcel(uow, parcel)

    def _extra_parcel(self, uow: UnitOfWork, parcel: Parcel) -> None:
        """Both parcels reach the customer: the extra one comes back or is written off."""
        outcome = RULES.extra_parcel_outcome(parcel.shipment.value)
        if parcel.reship_by == "hansa":
            resolved = [i for i in logistics.incidents(uow.conn, parcel.shipment.shipment_id)
                        if i["outcome"]]
            outcome = str(resolved[-1]["outcome"]) if resolved else outcome
        t = self.sim.tally
        if outcome != "return":
            t.extra_parcels_written_off += 1
            return
        t.extra_parcels_returned += 1
        back = max(parcel.delivered_day, parcel.reship_day or parcel.delivered_day)
        for loc, sku, quantity in parcel.reship_lines:
            heapq.heappush(self.returns_due, (self._morning(back + RETURN_DAYS),
                                              next(self.seq), loc, sku, quantity))
        for loc in sorted({loc for loc, _, _ in parcel.reship_lines}):  # one label a parcel
            distance = haversine_km(self.sim.positions[loc], parcel.place.position)
            carrier = carriers.carrier_for(self.sim.world, parcel.place.country, distance)
            weight = sum(self.sim.supply.specs[s].weight_grams * q
                         for lid, s, q in parcel.reship_lines if lid == loc)
            t.logistics += carriers.parcel_cost(carrier, weight)

    # ------------------------------------------------------------------------ complaints
    def _complaint(self, uow: UnitOfWork, day: int, parcel: Parcel) -> None:
        """The customer asks where the parcel is; the care desk answers by hand."""
        if parcel.reship_by or parcel.delivered:
            return
        t, bus, s = self.sim.tally, self.sim.hansa.bus, parcel.shipment
        t.complaints += 1
        incidents = logistics.incidents(uow.conn, s.shipment_id)
        reference = f"complaint:{s.shipment_id}"
        bus.execute(OpenTicket(
            reference=reference, customer=s.customer, subject=f"Where is order {s.order_id}?",
            body=f"Promised by {s.promised_date.isoformat()}; not arrived.",
            idempotency_key=f"{reference}:ticket"), uow)
        # Hansa may hold a replacement already: it leaves at the merchant's threshold
        pending = any(i["reship_status"] in ("reserved", "released") for i in incidents)
        held = () if pending else self._hold_replacement(uow, parcel)
        if held:
            self._send_replacement(uow, day, parcel, "desk", held)
            t.complaint_reships += 1
            t.reships += 1
        news = ("A replacement leaves today." if held else
                "A replacement is ready to leave." if pending else
                "The items are out of stock; we will refund them if the parcel is lost.")
        bus.execute(QueueCustomerMessage(
            reference=reference, channel="email", recipient=s.customer,
            subject="About your late parcel",
            body=f"We are sorry your parcel for order {s.order_id} is late. {news}",
            idempotency_key=f"{reference}:message"), uow)
        if not incidents:  # Hansa has not credited this parcel yet
            bus.execute(IssueCredit(customer=s.customer, amount=Money(
                RULES.credit_for(s.value), "USD"), reason="late parcel (complaint)",
                reference=reference, idempotency_key=f"{reference}:credit"), uow)

    def _hold_replacement(self, uow: UnitOfWork, parcel: Parcel
                          ) -> tuple[tuple[str, str, int], ...]:
        """Stock for the replacement, nearest the customer, picked at once (nothing if any
        line is out of stock)."""
        reference = f"complaint-reship:{parcel.shipment.shipment_id}"
        home = parcel.place.position
        bus = self.sim.hansa.bus
        try:
            with uow.savepoint():
                bus.execute(ReserveStock(reference=reference, lines=list(parcel.shipment.lines),
                                         destination=(home.lat, home.lon)), uow)
                bus.execute(PickReservation(reference=reference), uow)
        except Conflict:
            return ()
        return tuple(sorted((str(a["location_id"]), str(a["sku"]), int(a["quantity"]))
                            for a in held_by(uow, reference)))

    # --------------------------------------------------------------------------- counting
    def finish(self) -> None:
        """Count what the store did, from Hansa's own records: incidents, customer messages
        and credits; minutes from the world's missed scan to the customer's message."""
        t = self.sim.tally
        with self.sim.hansa.db.read() as conn:
            incidents = logistics.incidents(conn)
            sent = support.messages(conn)
            credits = support.credits_issued(conn)
        shipment_of = {str(i["id"]): str(i["shipment_id"]) for i in incidents}
        t.incidents = len(incidents)
        t.messages = len(sent)
        t.credits = sum(int(c["amount"]) for c in credits if c["currency"] == "USD")
        t.message_minutes = []
        for message in sent:
            reference = str(message["reference"])
            shipment_id = shipment_of.get(reference) or reference.removeprefix("complaint:")
            parcel = self.parcels.get(shipment_id)
            if parcel is None or parcel.missed_at is None:
                continue  # a late parcel whose scans all came: no missed scan to time
            minutes = (message["queued_at"] - parcel.missed_at).total_seconds() / 60
            t.message_minutes.append(round(minutes, 1))
