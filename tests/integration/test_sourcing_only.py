"""`HANSA_ORDER_TO_CASH_PATH=false`: Hansa sources when asked (AllocateOrder) and another
system ships, labels and captures, so a placed order starts no order-to-cash run (ADR 24)."""

from __future__ import annotations

from tests.e2e.merchant import ADDRESS, make_merchant
from tests.integration.o2c_helpers import configure_network

from hansa.automation import queries as runs
from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.fulfillment import queries as fulfillment
from hansa.fulfillment.messages import AllocateOrder
from hansa.inventory import queries as inventory
from hansa.kernel.clock import VirtualClock
from hansa.orders import queries as orders
from hansa.orders.messages import PlaceOrder
from hansa.orders.model import Address


def test_with_the_path_off_an_order_is_only_sourced_when_asked(
        db_url: str, clock: VirtualClock) -> None:
    app = bootstrap(Settings(db=db_url, bus="memory", listing_stock_lag_ms=0,
                             order_to_cash_path=False), clock=clock, migrate=True)
    try:
        merchant = make_merchant(app, {"TEE-M": {"NY-MFC": 2, "TN-DC": 5},
                                       "MUG": {"NJ-WH": 4, "TN-DC": 1}})
        configure_network(app, merchant.locations)
        placed = app.bus.execute(PlaceOrder(
            channel_id=merchant.channel_id, idempotency_key="sourcing-only-01",
            email="ada@example.com", address=Address(**ADDRESS),
            lines=[("TEE-M", 1), ("MUG", 2)]))
        order_id = str(placed.order_id)

        app.worker.run_until_idle()

        with app.db.read() as conn:
            assert runs.runs(conn, path="order-to-cash") == []
            assert fulfillment.allocation(conn, order_id) is None
            assert fulfillment.shipments(conn, order_id) == []
            assert orders.order(conn, order_id)["status"] == "placed"  # nobody captured

        plan = app.bus.execute(AllocateOrder(order_id=order_id))

        held = {(str(r["sku"]), str(r["location_id"])): int(str(r["quantity"]))
                for r in _active_hold(app, order_id)}
        planned = {(sku, shipment["node_id"]): quantity for shipment in plan["shipments"]
                   for sku, quantity in shipment["lines"]}
        assert held == planned
        with app.db.read() as conn:
            allocation = fulfillment.allocation(conn, order_id)
            assert allocation is not None and allocation["status"] == "allocated"
            assert runs.runs(conn, path="order-to-cash") == []
    finally:
        app.close()


def _active_hold(app: Hansa, order_id: str) -> list[dict[str, object]]:
    with app.db.read() as conn:
        return [r for r in inventory.reservations_for(conn, order_id) if r["status"] == "active"]
