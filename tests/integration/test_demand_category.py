"""A category spike acts on the category's SKUs (both dialects): add-to-cart for the category
"rainwear" jumps in Brooklyn under the storm; the path spreads the extra demand over the
category's SKUs by their share of it in that zone, raises the open PO of the SKU with demand
there and moves its stock to the micro-fulfilment centre; a SKU of the category without any
demand history gets nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.demand_helpers import (
    HISTORY_DAYS,
    PO,
    QUIET_ZIP,
    SKU,
    START,
    STORM_ALERT,
    STORM_ZIP,
    World,
    build,
    carts,
)

from hansa.automation import queries as runs
from hansa.bootstrap import Hansa
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.demand import queries as demand
from hansa.demand.messages import FitBaselines, IngestSignals
from hansa.inventory import queries as inventory
from hansa.kernel.clock import VirtualClock
from hansa.suppliers.purchase_orders import purchase_order

CATEGORY = "Rainwear"
SPIKE_AT = START + timedelta(days=HISTORY_DAYS, hours=15)


def _category_carts(zip_code: str, at: Any, count: int) -> dict[str, Any]:
    return {"kind": "add_to_cart", "category": CATEGORY, "postal_code": zip_code,
            "country": "US", "at": at.isoformat(), "count": count, "source": "pixel"}


def _world(hansa: Hansa, clock: VirtualClock) -> World:
    world = build(hansa, clock, category=CATEGORY)
    hansa.bus.execute(CreateProduct(handle="poncho", title="Poncho", category="rainwear",
                                    variants=[NewVariant(sku="PONCHO-1", title="One size")]))
    for day in range(HISTORY_DAYS):
        hours = [START + timedelta(days=day, hours=h) for h in range(24)]
        batch = [carts(z, at, 4) for z in (STORM_ZIP, QUIET_ZIP) for at in hours]
        batch += [_category_carts(STORM_ZIP, at, 5) for at in hours]
        clock.set(START + timedelta(days=day + 1))
        hansa.bus.execute(IngestSignals(signals=tuple(batch), source="history"))
    hansa.bus.execute(FitBaselines(kind="add_to_cart", history_days=HISTORY_DAYS))
    hansa.bus.execute(IngestSignals(signals=({"kind": "weather_alert", "alert": STORM_ALERT},),
                                    source="nws"))
    hansa.worker.run_until_idle()
    return world


def test_a_category_spike_raises_the_po_and_moves_stock_of_its_skus(
        hansa: Hansa, clock: VirtualClock) -> None:
    world = _world(hansa, clock)
    clock.set(SPIKE_AT + timedelta(minutes=30))
    burst = tuple(_category_carts(STORM_ZIP, SPIKE_AT - timedelta(hours=2 - i), n)
                  for i, n in enumerate([14, 14, 7]))  # 35 where 12.5 were expected
    fired = hansa.bus.execute(IngestSignals(signals=burst, source="pixel")).fired
    hansa.worker.run_until_idle()

    assert len(fired) == 1
    with hansa.db.read() as conn:
        [spike] = demand.spikes(conn)
        [record] = runs.runs(conn, path="demand-replenishment")
        run = runs.run(conn, record.id)
        po = purchase_order(conn, PO)
        [transfer] = inventory.transfers_in_transit(conn, SKU)
        ponchos = inventory.transfers_in_transit(conn, "PONCHO-1")
    assert spike["item"] == "category:rainwear"
    assert run.status == "completed", (run.status, run.error, run.reasons)
    assert [s.name for s in run.steps] == [
        f"raise-po:{SKU}", f"transfer-0:{SKU}", f"publish-promise:{SKU}"]
    assert any("spread over 1 of 2 SKUs by their zone share" in r for r in run.reasons)
    assert po["revision"] == 1 and po["lines"][0][1] > 48
    assert transfer["to_location_id"] == world.locations["NY-MFC"]
    assert transfer["from_location_id"] == world.locations["TN-DC"]
    assert ponchos == []  # no demand history: its own data does not support a move
