"""Returns (RMA) on both databases: server-side rules, inspection, restock or write-off,
refund or store credit, all in the ledgers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.integration.logistics_helpers import reserved, scan, stock_up

from hansa.bootstrap import Hansa
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict, InvalidData, NotAllowed
from hansa.kernel.money import Money
from hansa.logistics import returns_store
from hansa.logistics.messages import TrackShipment
from hansa.logistics.model import TrackingStatus
from hansa.logistics.return_messages import ReceiveReturn, RequestReturn
from hansa.support import queries as support_queries


@pytest.fixture
def delivered(hansa: Hansa, clock: VirtualClock) -> dict[str, str]:
    ids = stock_up(hansa)
    hansa.bus.execute(TrackShipment(
        shipment_id="s1", order_id="o1", customer="cy@example.com", origin_location_id=ids["CHI"],
        carrier="ups", service="ground", tracking_code="R1", destination_postal_code="10001",
        destination_country="US", promised_date=date(2026, 1, 9),
        lines=[("MUG-1", 2), ("CUP-1", 1)], value=Money(10_000, "USD")))
    scan(hansa, TrackingStatus.DELIVERED, clock.now(), code="R1", city="New York")
    return ids


def ask(app: Hansa, **overrides: object) -> dict[str, str]:
    values: dict[str, object] = {"shipment_id": "s1", "lines": [("MUG-1", 1)],
                                 "condition": "unopened", "channel": "web"}
    values.update(overrides)
    return dict(app.bus.execute(RequestReturn(**values)))  # type: ignore[arg-type]


def test_a_return_in_the_window_is_authorised_with_a_label(
        hansa: Hansa, clock: VirtualClock, delivered: dict[str, str]) -> None:
    clock.advance(timedelta(days=29))
    rma = ask(hansa, rma_id="rma-1")
    again = ask(hansa, rma_id="rma-1")

    assert rma == again == {"rma_id": "rma-1", "label_reference": "RL-RMA-1"}


@pytest.mark.parametrize("overrides, days, code", [
    ({}, 31, "return_window_closed"),
    ({"channel": "fax"}, 1, "return_channel"),
    ({"condition": "used"}, 1, "return_condition"),
    ({"lines": [("MUG-1", 3)]}, 1, "return_quantity"),
    ({"lines": [("PLATE-1", 1)]}, 1, "return_quantity"),
])
def test_the_rules_refuse_what_they_do_not_allow(
        hansa: Hansa, clock: VirtualClock, delivered: dict[str, str],
        overrides: dict[str, object], days: int, code: str) -> None:
    clock.advance(timedelta(days=days))
    with pytest.raises(NotAllowed) as refused:
        ask(hansa, **overrides)
    assert refused.value.code == code
    with hansa.db.read() as conn:
        assert returns_store.rows(conn) == []


def test_damaged_items_return_after_the_window_and_units_are_not_returned_twice(
        hansa: Hansa, clock: VirtualClock, delivered: dict[str, str]) -> None:
    clock.advance(timedelta(days=60))
    ask(hansa, lines=[("MUG-1", 2)], condition="damaged")
    with pytest.raises(NotAllowed):
        ask(hansa, lines=[("MUG-1", 1)], condition="damaged")


def test_receipt_restocks_to_the_chosen_location_writes_off_the_rest_and_credits(
        hansa: Hansa, clock: VirtualClock, delivered: dict[str, str]) -> None:
    ask(hansa, rma_id="rma-1", lines=[("MUG-1", 2), ("CUP-1", 1)], resolution="credit")

    settled = hansa.bus.execute(ReceiveReturn(rma_id="rma-1", location_id=delivered["NWK"],
                                              inspected=[("MUG-1", 1, "restock"),
                                                         ("MUG-1", 1, "write_off"),
                                                         ("CUP-1", 1, "write_off")]))
    hansa.worker.run_until_idle()

    assert settled == {"rma_id": "rma-1", "amount": 10_000, "currency": "USD", "restocked": 1,
                       "written_off": 2, "resolution": "credit"}
    assert reserved(hansa, delivered["NWK"]) == (6, 0)
    with hansa.db.read() as conn:
        assert support_queries.credit_balance(conn, "cy@example.com", "USD") == Money(
            10_000, "USD")
        [rma] = returns_store.rows(conn)
    assert rma["status"] == "received"
    with pytest.raises(Conflict):
        hansa.bus.execute(ReceiveReturn(rma_id="rma-1", location_id=delivered["NWK"],
                                        inspected=[("MUG-1", 1, "restock")]))


def test_a_refund_is_owed_for_the_returned_share_and_no_credit_is_issued(
        hansa: Hansa, clock: VirtualClock, delivered: dict[str, str]) -> None:
    ask(hansa, rma_id="rma-2", lines=[("MUG-1", 1)])
    with pytest.raises(InvalidData):  # more than was authorised
        hansa.bus.execute(ReceiveReturn(rma_id="rma-2", location_id=delivered["CHI"],
                                        inspected=[("MUG-1", 2, "restock")]))

    settled = hansa.bus.execute(ReceiveReturn(rma_id="rma-2", location_id=delivered["CHI"],
                                              inspected=[("MUG-1", 1, "restock")]))
    hansa.worker.run_until_idle()

    assert (settled["amount"], settled["resolution"]) == (3_334, "refund")  # 1 of 3 units
    with hansa.db.read() as conn:
        assert support_queries.credit_balance(conn, "cy@example.com", "USD") == Money(0, "USD")
