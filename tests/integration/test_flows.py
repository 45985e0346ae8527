"""Merchant flows on the engine, on both databases: tags, edges, disable, dry run, hold, price."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.e2e.merchant import ADDRESS, Merchant, make_merchant
from tests.integration.automation_helpers import LevelReported, publish

from hansa.automation import flow_store as fs
from hansa.automation import queries
from hansa.automation.actions import AdjustPrice
from hansa.automation.flow_messages import CreateFlow, DisableFlow, EnableFlow, UpdateFlow
from hansa.automation.store import runs, steps
from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.kernel.errors import Conflict, InvalidData
from hansa.orders import queries as orders
from hansa.orders.messages import CapturePayment, OrderPlaced, PlaceOrder, ReleaseOrderHold
from hansa.orders.model import Address
from hansa.pricing import queries as pricing
from hansa.pricing.messages import NewTier, SetPrices

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
LEVEL_FLOW = """
name: level-high
trigger: hansa.autotest.level_reported.v1
condition: event.level >= 10
edge_key: event.key
actions:
  - action: notify
    params: {message: "{{ event.key }} is at {{ event.level }}", severity: warning}
"""


def order_placed(order_id: str, total: int) -> OrderPlaced:
    return OrderPlaced(order_id=order_id, number=f"H-{order_id}", channel_id="c",
                       currency="USD", total=total, lines=[], postal_code="10001",
                       country="US")


def add_flow(app: Hansa, text: str, fmt: str = "yaml") -> dict[str, Any]:
    created: dict[str, Any] = app.bus.execute(CreateFlow(definition=text, format=fmt))
    return created


def tags(app: Hansa) -> list[tuple[str, str, str]]:
    with app.db.read() as conn:
        rows = conn.execute(sa.select(fs.tags).order_by(fs.tags.c.subject_id))
        return [(r.subject_type, r.subject_id, r.tag) for r in rows]


def count(app: Hansa, table: sa.Table) -> int:
    with app.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def flow_runs(app: Hansa, path: str) -> list[queries.RunRecord]:
    with app.db.read() as conn:
        return [queries.run(conn, r.id) for r in queries.runs(conn, path=path)]


def test_big_orders_are_tagged_once_and_small_ones_not_with_the_run_audited(
        hansa: Hansa) -> None:
    add_flow(hansa, (EXAMPLES / "big-orders.yaml").read_text())
    [big_event, _small] = publish(hansa, order_placed("o-big", 25000), order_placed("o-small", 900))

    hansa.worker.run_until_idle()
    publish(hansa, order_placed("o-big", 25000))  # the same order again: still one tag
    hansa.worker.run_until_idle()

    assert tags(hansa) == [("order", "o-big", "big-order")]
    [second, first] = flow_runs(hansa, "big-orders")
    assert (first.status, first.trigger_id, first.inputs["event"]["order_id"]) == (
        "completed", big_event, "o-big")
    assert first.reasons[1] == "flow big-orders v1: event.total > 10000 is true"
    assert [(s.name, s.status, s.result) for s in first.steps] == [
        ("0:tag", "completed", True), ("1:notify", "completed", first.steps[1].result)]
    assert second.steps[0].result is False  # already tagged: nothing added
    assert count(hansa, fs.notifications) == 2


def test_an_edge_triggered_flow_fires_once_while_the_value_stays_above(hansa: Hansa) -> None:
    add_flow(hansa, LEVEL_FLOW)

    publish(hansa, LevelReported("tank", 12), LevelReported("tank", 15),
            LevelReported("tank", 11))
    hansa.worker.run_until_idle()
    publish(hansa, LevelReported("tank", 3), LevelReported("tank", 20))
    hansa.worker.run_until_idle()

    assert count(hansa, fs.notifications) == 2
    assert len(flow_runs(hansa, "level-high")) == 2


def test_disabling_stops_a_flow_at_once_and_enabling_brings_it_back(hansa: Hansa) -> None:
    add_flow(hansa, (EXAMPLES / "big-orders.yaml").read_text())

    hansa.bus.execute(DisableFlow(name="big-orders"))
    publish(hansa, order_placed("o-1", 25000))
    hansa.worker.run_until_idle()
    assert tags(hansa) == [] and flow_runs(hansa, "big-orders") == []

    hansa.bus.execute(EnableFlow(name="big-orders"))
    publish(hansa, order_placed("o-2", 25000))
    hansa.worker.run_until_idle()
    assert tags(hansa) == [("order", "o-2", "big-order")]


def test_an_update_takes_effect_on_the_next_event(hansa: Hansa) -> None:
    text = (EXAMPLES / "big-orders.yaml").read_text()
    add_flow(hansa, text)

    hansa.bus.execute(UpdateFlow(name="big-orders", definition=text.replace(
        "event.total > 10000", "event.total > 50000")))
    publish(hansa, order_placed("o-1", 25000))
    hansa.worker.run_until_idle()

    assert tags(hansa) == []


def test_a_flow_with_a_bad_expression_stores_nothing(hansa: Hansa) -> None:
    with pytest.raises(InvalidData) as caught:
        add_flow(hansa, (EXAMPLES / "big-orders.yaml").read_text().replace(
            "event.total > 10000", "event.total >> 10000"))

    assert caught.value.code == "invalid_condition"
    assert count(hansa, fs.flows) == 0


def test_a_dry_run_reports_the_decision_and_writes_nothing(hansa: Hansa) -> None:
    add_flow(hansa, (EXAMPLES / "big-orders.yaml").read_text())
    assert hansa.flows is not None
    tables = (runs, steps, outbox, fs.tags, fs.notifications, fs.action_log)
    before = [count(hansa, t) for t in tables]

    result = hansa.flows.dry_run("big-orders", order_placed("o-9", 25000).payload())
    small = hansa.flows.dry_run("big-orders", order_placed("o-8", 100).payload())

    assert [count(hansa, t) for t in tables] == before
    assert (result["condition"], result["fires"], small["condition"], small["fires"]) == (
        True, True, False, False)
    assert [(s["name"], s["command"].get("subject_id")) for s in result["decision"]["steps"]] == [
        ("0:tag", "o-9"), ("1:notify", None)]


def _shop_and_order(app: Hansa) -> tuple[Merchant, str]:
    shop = make_merchant(app, {"TEE-M": {"NJ-WH": 40}})
    done = app.bus.execute(PlaceOrder(
        channel_id=shop.channel_id, idempotency_key="checkout-0001", email="ada@example.com",
        address=Address(**ADDRESS | {"country": "DE"}), lines=[("TEE-M", 30)]))
    return shop, str(done.order_id)


def test_a_held_order_cannot_be_captured_until_released(hansa: Hansa) -> None:
    add_flow(hansa, (EXAMPLES / "hold-foreign-orders.yaml").read_text())
    _, order_id = _shop_and_order(hansa)  # 30 x 25.00 = 750.00, shipped to DE

    hansa.worker.run_until_idle()

    with hansa.db.read() as conn:
        assert orders.hold_reason(conn, order_id) == "manual check: DE order over 500.00"
    with pytest.raises(Conflict) as caught:
        hansa.bus.execute(CapturePayment(order_id=order_id))
    assert caught.value.code == "order_on_hold"
    hansa.bus.execute(ReleaseOrderHold(order_id=order_id))
    hansa.bus.execute(CapturePayment(order_id=order_id))
    with hansa.db.read() as conn:
        assert orders.order(conn, order_id)["status"] == "paid"


PRICE_FLOW = """
name: surge
trigger: hansa.autotest.level_reported.v1
condition: event.level >= 10
actions:
  - action: adjust_price
    params: {{price_list_id: "{plid}", sku: TEE-M, percent: "{{{{ event.level }}}}",
             max_percent: 20}}
  - action: hold_order
    params: {{order_id: "{{{{ event.key }}}}", reason: surge}}
"""


def test_a_price_change_is_capped_and_its_compensation_restores_the_price(
        hansa: Hansa) -> None:
    shop, order_id = _shop_and_order(hansa)
    add_flow(hansa, PRICE_FLOW.format(plid=shop.price_list_id))
    with hansa.db.read() as conn:
        original = [t.amount for t in pricing.tiers(conn, shop.price_list_id, "TEE-M")]

    publish(hansa, LevelReported(order_id, 50))  # a real order: both steps complete
    hansa.worker.run_until_idle()
    with hansa.db.read() as conn:
        raised = [t.amount for t in pricing.tiers(conn, shop.price_list_id, "TEE-M")]
    publish(hansa, LevelReported("no-such-order", 10))  # the hold fails: undo the price
    hansa.worker.run_until_idle()
    with hansa.db.read() as conn:
        after = [t.amount for t in pricing.tiers(conn, shop.price_list_id, "TEE-M")]

    [failed, done] = flow_runs(hansa, "surge")
    assert done.status == "completed" and done.steps[0].result["percent_applied"] == 20.0
    assert raised == [round(a * 1.2) for a in original]  # 50% asked, capped at 20%
    assert (failed.status, [s.status for s in failed.steps]) == (
        "compensated", ["compensated", "failed"])
    assert after == raised


def test_a_price_never_goes_to_zero(hansa: Hansa) -> None:
    shop = make_merchant(hansa, {"TEE-M": {"NJ-WH": 10}})
    hansa.bus.execute(SetPrices(price_list_id=shop.price_list_id,
                                prices={"TEE-M": [NewTier(1, 1)]}))

    with pytest.raises(InvalidData) as caught:
        hansa.bus.execute(AdjustPrice(price_list_id=shop.price_list_id, sku="TEE-M",
                                      percent=-50.0, max_percent=50.0))

    assert caught.value.code == "price_out_of_bounds"
    with hansa.db.read() as conn:
        assert [t.amount for t in pricing.tiers(conn, shop.price_list_id, "TEE-M")] == [1]
