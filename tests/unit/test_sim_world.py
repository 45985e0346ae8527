"""Pure parts of the simulator: scenarios, the world by seed, demand, the planner, carriers."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hansa.kernel.errors import InvalidData, NotFound
from hansa.sim import carriers
from hansa.sim.demand import Demand, poisson
from hansa.sim.planner import Levels, Router, demand_history, stocked_sites, tune_levels
from hansa.sim.policies import ManualPolicy
from hansa.sim.scenario import SIZES, load_scenario, parse_scenario, scenario_names
from hansa.sim.world import World

SHIPPED = {"storm", "price-glitch", "carrier-meltdown", "material-change", "dropship-opens",
           "overstock", "launch", "black-friday"}


def test_every_required_scenario_ships_as_a_yaml_file() -> None:
    assert set(scenario_names()) >= SHIPPED
    for name in SHIPPED:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.events and scenario.description


def test_an_unknown_event_kind_is_refused() -> None:
    with pytest.raises(InvalidData):
        parse_scenario({"name": "x", "events": [{"kind": "meteor", "day": 1}]})


def test_an_unknown_scenario_is_not_found() -> None:
    with pytest.raises(NotFound):
        load_scenario("volcano")


def test_the_world_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    scenario = load_scenario("storm")
    a, b, c = (World(scenario, SIZES["small"], s) for s in (4, 4, 5))
    assert [(s.sku, s.price, s.product_id) for s in a.skus] == \
        [(s.sku, s.price, s.product_id) for s in b.skus]
    assert [x.place for x in a.customers] == [x.place for x in b.customers]
    assert [s.location_id for s in a.sites] == [s.location_id for s in b.sites]
    assert [s.price for s in a.skus] != [s.price for s in c.skus]


def test_customers_live_at_real_us_zip_centroids_and_a_few_abroad() -> None:
    world = World(load_scenario("storm"), SIZES["small"], 1)
    us = [c for c in world.customers if c.place.country == "US"]
    abroad = [c for c in world.customers if c.place.country != "US"]
    assert len(us) > 0.9 * len(world.customers)
    assert abroad
    assert all(len(c.place.postal_code) == 5 and c.place.state for c in us)
    assert all(24 < c.place.position.lat < 50 for c in us)


def test_weather_over_a_state_lifts_demand_there_and_nowhere_else() -> None:
    world = World(load_scenario("storm"), SIZES["medium"], 2)
    calm = Demand(world, random.Random(9))
    stormy = Demand(world, random.Random(9))
    states = {"TX": {"outdoor": 4.0, "home": 4.0}}

    def count(d: Demand, weather: dict, state: str) -> int:
        return sum(1 for h in range(24) for i in d.hour(0, h, 1.0, weather)
                   if i.customer.place.state == state)

    assert count(stormy, states, "TX") > count(calm, {}, "TX")


@given(st.floats(min_value=0, max_value=200))
def test_poisson_draws_are_never_negative(lam: float) -> None:
    assert poisson(random.Random(1), lam) >= 0


def test_min_max_levels_come_from_history_and_hubs_always_carry_stock() -> None:
    world = World(load_scenario("storm"), SIZES["small"], 3)
    stocking = stocked_sites(world)
    history = demand_history(world, Router(world, stocking), 14)
    levels = tune_levels(world, stocking, history, 14)
    hubs = {s.location_id for s in world.sites if s.hub}
    for (_sku, site), level in levels.items():
        assert level.high > level.low >= 0
        if site in hubs:
            assert level.low >= 1
    assert sum(sum(v) for v in history.values()) > 0


def test_the_manual_planner_orders_up_to_max_only_at_or_below_min() -> None:
    levels = {("A", "L1"): Levels(5, 12), ("B", "L1"): Levels(5, 12), ("C", "L1"): Levels(0, 2)}
    orders = ManualPolicy().replenish({("A", "L1"): 5, ("B", "L1"): 6}, levels)
    assert orders == {("A", "L1"): 7, ("C", "L1"): 2}


def test_the_promise_is_the_pickup_day_plus_nominal_transit_and_a_day() -> None:
    world = World(load_scenario("storm"), SIZES["small"], 1)  # starts on a Monday
    site = world.sites[0].place.position
    assert carriers.ship_day(world, 0, 9) == 0
    assert carriers.ship_day(world, 0, 15) == 1
    assert carriers.ship_day(world, 5, 15) == 7  # Saturday after cut-off: Monday
    assert carriers.promise_day(world, 0, 9, site, site, "US") == 0 + 1 + 1


@given(st.floats(min_value=0, max_value=carriers.WORLD_REACH_KM))
def test_the_published_transit_table_is_the_nominal_transit_rounded_up_plus_a_day(
        km: float) -> None:
    for carrier in World(load_scenario("storm"), SIZES["tiny"], 1).carriers:
        nominal = carriers.nominal_days(carrier, km)
        assume(abs(nominal - round(nominal)) > 1e-9)  # a band's edge, up to float rounding
        assert carriers.published_days(carrier, km) == math.ceil(nominal) + 1
