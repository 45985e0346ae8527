"""The automation sources each order through Hansa's optimiser (AllocateOrder) and the world
ships per its plan; the baseline keeps the checkout's nearest-site allocation (ADR 24)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hansa.fulfillment import queries as fulfillment
from hansa.inventory import queries as inventory
from hansa.inventory.messages import AdjustStock
from hansa.sim import events
from hansa.sim.demand import Intent
from hansa.sim.geography import zip_place
from hansa.sim.kpis import DayPoint
from hansa.sim.runner import Simulation
from hansa.sim.scenario import SIZES, load_scenario
from hansa.sim.world import Customer

TINY = SIZES["tiny"]
NEAR_EDISON = "08901"  # New Brunswick, NJ: ~5 km from the Edison site, ~1,490 km from Memphis


def _one_order(tmp_path: Path, policy: str) -> tuple[Simulation, str, set[str], int]:
    """One two-line order from next to the Edison site, whose second SKU Edison has run out
    of while Memphis holds both: the order's sites, Hansa's allocation of it and the parcels
    the world ships for it."""
    sim = Simulation(load_scenario("storm"), TINY, 5, policy, f"sqlite:///{tmp_path / policy}.db")
    sites = {s.code: s.location_id for s in sim.world.sites}
    edison, memphis = sites["SIM-NJ-EDISON"], sites["SIM-TN-MEMPHIS"]
    with sim.hansa.db.read() as conn:
        levels = {(lv.sku, lv.location_id): lv.available
                  for lv in inventory.levels(conn, sim.on_sale)}
    both = [s for s in sim.on_sale if levels.get((s, edison), 0) > 0
            and levels.get((s, memphis), 0) > 0]
    first, second = both[0], both[1]
    customer = Customer(10_000, zip_place(NEAR_EDISON), 1.0, (0.2,) * 5)
    start = sim.scenario.start
    sim.clock.set(start + timedelta(hours=10))  # before the cut-off
    with sim.hansa.bus.uow() as uow:
        sim.hansa.bus.execute(AdjustStock(sku=second, location_id=edison,
                                          delta=-levels[second, edison], reason="damaged"), uow)
        sim._checkout(uow, 0, 10, Intent(customer, ((first, 1), (second, 1)), 0),
                      DayPoint(0), [])
        uow.commit()
    sim.hansa.worker.run_until_idle()
    [order] = sim.pending
    shipped_before = sim.tally.shipments
    sim.clock.set(start + timedelta(hours=15))
    with sim.hansa.bus.uow() as uow:
        sim._ship(uow, order.ship_day, events.conditions(sim, order.ship_day))
        uow.commit()
    parcels = sim.tally.shipments - shipped_before
    used = {loc for loc, _, _ in order.allocations}
    names = {loc: code for code, loc in sites.items()}
    return sim, order.order_id, {names[loc] for loc in used}, parcels


def test_the_automation_ships_one_parcel_from_the_site_that_holds_the_whole_order(
        tmp_path: Path) -> None:
    sim, order_id, sites, parcels = _one_order(tmp_path, "automation")
    try:
        with sim.hansa.db.read() as conn:
            plan = fulfillment.allocation(conn, order_id)
        assert plan is not None and plan["status"] == "allocated"
        assert [s["node_code"] for s in plan["shipments"]] == ["SIM-TN-MEMPHIS"]
        assert [s["carrier"] for s in plan["shipments"]] == ["GROUND"]
        # the same day as Edison + Memphis, one parcel fee instead of two
        assert sites == {"SIM-TN-MEMPHIS"}
        assert parcels == 1
        assert sim.tally.sourced_orders == 1
        assert sim.tally.promise_differs == 0  # Hansa promised the world's day
    finally:
        sim.hansa.close()


def test_the_baseline_splits_the_same_order_by_the_nearest_site_per_line(
        tmp_path: Path) -> None:
    sim, order_id, sites, parcels = _one_order(tmp_path, "baseline")
    try:
        with sim.hansa.db.read() as conn:
            assert fulfillment.allocation(conn, order_id) is None  # no sourcing step
        assert sites == {"SIM-NJ-EDISON", "SIM-TN-MEMPHIS"}
        assert parcels == 2
        assert sim.tally.sourced_orders == 0
    finally:
        sim.hansa.close()
