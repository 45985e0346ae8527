"""A node's pickup calendar: parcels leave only on the days carriers collect there, so the
sourcing optimiser's promise waits for the next pickup (a weekend, a holiday)."""

from __future__ import annotations

import pytest
from tests.e2e.merchant import ADDRESS, make_merchant
from tests.integration.o2c_helpers import configure_network

from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.fulfillment import queries as fulfillment
from hansa.fulfillment.messages import AllocateOrder, ConfigureNode
from hansa.inventory.messages import CreateLocation
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import InvalidData
from hansa.orders.messages import PlaceOrder
from hansa.orders.model import Address


def test_the_promise_waits_for_the_nodes_next_pickup(db_url: str, clock: VirtualClock) -> None:
    app = bootstrap(Settings(db=db_url, bus="memory", listing_stock_lag_ms=0,
                             order_to_cash_path=False), clock=clock, migrate=True)
    try:
        merchant = make_merchant(app, {"TEE-M": {"NY-MFC": 4, "TN-DC": 5}})
        configure_network(app, merchant.locations)

        def promised_days(key: str) -> list[int]:
            placed = app.bus.execute(PlaceOrder(
                channel_id=merchant.channel_id, idempotency_key=key, email="ada@example.com",
                address=Address(**ADDRESS), lines=[("TEE-M", 1)]))
            plan = app.bus.execute(AllocateOrder(order_id=str(placed.order_id)))
            return [int(s["day"]) for s in plan["shipments"]]

        every_day = promised_days("pickup-01")  # Monday 09:00: collected today
        with app.db.read() as conn:
            nodes = fulfillment.nodes(conn)
        for node in nodes:  # no pickup on Mondays, and Tuesday is a holiday
            app.bus.execute(ConfigureNode(
                location_id=node.id, code=node.code, kind=node.kind.value,
                lat=node.position.lat, lon=node.position.lon, country=node.country,
                capabilities=sorted(node.capabilities), priority=node.priority,
                cutoff_minute=node.cutoff_minute, pickup_weekdays=[1, 2, 3, 4],
                no_pickup_dates=["2026-01-06"]))
        waiting = promised_days("pickup-02")

        assert clock.now().weekday() == 0  # the test's premise: it is Monday
        assert min(every_day) < 3
        assert min(waiting) >= 3  # collected Wednesday (day 2), a day in transit at least
        with app.db.read() as conn:
            calendars = {n.pickup.weekdays for n in fulfillment.nodes(conn)}
        assert calendars == {frozenset({1, 2, 3, 4})}
    finally:
        app.close()


@pytest.mark.parametrize("field, value", [("pickup_weekdays", []), ("pickup_weekdays", [7]),
                                          ("no_pickup_dates", ["26/12/2026"])])
def test_a_calendar_that_cannot_be_kept_is_refused(hansa: Hansa, field: str,
                                                   value: object) -> None:
    location_id = hansa.bus.execute(CreateLocation(
        code="NJ", name="Newark", kind="warehouse", lat=40.73, lon=-74.17, country="US"))
    with pytest.raises(InvalidData) as refused:
        hansa.bus.execute(ConfigureNode(
            location_id=location_id, code="NJ", kind="warehouse", lat=40.73, lon=-74.17,
            country="US", **{field: value}))
    assert "pickup" in refused.value.message
    with hansa.db.read() as conn:
        assert fulfillment.nodes(conn) == []  # nothing half-configured
