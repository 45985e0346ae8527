"""JSON purchase orders reach an API supplier's endpoint over real HTTP, signed; a failing
endpoint is retried with back-off by the bus; the supplier's ack moves the PO on."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from hansa.bootstrap import Hansa
from hansa.bus.dead_letters import list_dead_letters
from hansa.bus.store import outbox
from hansa.guards import queries as guard_queries
from hansa.kernel.clock import VirtualClock
from hansa.suppliers import jsonfeed
from hansa.suppliers.messages import ConfigureSupplierApi, PoLine, SendPurchaseOrder
from hansa.suppliers.purchase_orders import purchase_order
from tests.e2e.test_webhook_action import Receiver, receiver  # noqa: F401
from tests.integration.supplier_helpers import SKU, ingest, merchant

SECRET = "memphis-secret-0123"


def _configure(hansa: Hansa, server: Receiver) -> None:
    merchant(hansa)
    url = f"http://127.0.0.1:{server.server_address[1]}/po"
    hansa.bus.execute(ConfigureSupplierApi(supplier_code="MEMPHIS-SUPPLY", secret=SECRET,
                                           endpoint=url))


def test_a_json_po_is_delivered_signed_and_then_acknowledged(
        hansa: Hansa, receiver: Receiver) -> None:  # noqa: F811
    _configure(hansa, receiver)
    hansa.bus.execute(SendPurchaseOrder(supplier_code="MEMPHIS-SUPPLY", po_number="PO-3001",
                                        currency="USD", lines=(PoLine(SKU, 12, 2400),)))
    hansa.worker.run_until_idle()
    [(headers, body)] = receiver.received
    assert json.loads(body)["lines"] == [{"sku": SKU, "supplier_sku": None, "quantity": 12,
                                          "unit_cost": 2400}]
    assert headers["X-Hansa-Signature"] == jsonfeed.sign(SECRET, headers["X-Hansa-Timestamp"],
                                                         body)
    assert headers["Idempotency-Key"] == "PO-3001:0"
    with hansa.db.read() as conn:
        assert purchase_order(conn, "PO-3001")["status"] == "delivered"
    ack = json.dumps({"document_id": "ACK-1", "acks": [
        {"po_number": "PO-3001", "status": "accepted", "lines": [[SKU, 12, "accepted"]]}]})
    assert ingest(hansa, "MEMPHIS-SUPPLY", "json", ack.encode()).status == "applied"
    with hansa.db.read() as conn:
        assert purchase_order(conn, "PO-3001")["status"] == "acknowledged"


def test_a_failing_endpoint_is_retried_then_dead_lettered(
        hansa: Hansa, receiver: Receiver, clock: VirtualClock) -> None:  # noqa: F811
    receiver.status = 503
    _configure(hansa, receiver)
    hansa.bus.execute(SendPurchaseOrder(supplier_code="MEMPHIS-SUPPLY", po_number="PO-3002",
                                        currency="USD", lines=(PoLine(SKU, 1, 2400),)))
    hansa.worker.run_until_idle()
    for _ in range(hansa.settings.bus_max_attempts + 1):
        clock.advance(timedelta(minutes=15))
        hansa.worker.run_until_idle()
    assert len(receiver.received) == hansa.settings.bus_max_attempts
    with hansa.db.read() as conn:
        assert purchase_order(conn, "PO-3002")["status"] == "sent"
    dead = [d for d in list_dead_letters(hansa.bus) if d.consumer == "suppliers.deliver_po"]
    assert len(dead) == 1


def _breaker(hansa: Hansa) -> tuple[str, int] | None:
    with hansa.db.read() as conn:
        found = [b for b in guard_queries.breakers(conn)
                 if b.name == "supplier:MEMPHIS-SUPPLY:endpoint"]
        now = hansa.clock.now()
        return (found[0].current_state(now).value, found[0].trips) if found else None


def _alerts(hansa: Hansa, event_type: str) -> list[dict[str, object]]:
    with hansa.db.read() as conn:
        rows = conn.execute(sa.select(outbox.c.data).where(outbox.c.type == event_type))
        return [row.data for row in rows if row.data["breaker"].startswith("supplier:")]


def _send(hansa: Hansa, po_number: str) -> None:
    hansa.bus.execute(SendPurchaseOrder(supplier_code="MEMPHIS-SUPPLY", po_number=po_number,
                                        currency="USD", lines=(PoLine(SKU, 1, 2400),)))


def test_an_endpoint_that_keeps_failing_opens_its_breaker_holds_pos_and_recovers(
        hansa: Hansa, receiver: Receiver, clock: VirtualClock) -> None:  # noqa: F811
    receiver.status = 503
    _configure(hansa, receiver)
    _send(hansa, "PO-4001")
    _send(hansa, "PO-4002")
    for _ in range(5):  # the bus's retries, well inside the 15-minute cool-down
        hansa.worker.run_until_idle()
        clock.advance(timedelta(minutes=1))

    # five failed calls of five: the breaker opened at the fifth; the sixth was never made
    assert len(receiver.received) == 5
    assert _breaker(hansa) == ("open", 1)
    [tripped] = _alerts(hansa, "hansa.guards.breaker_tripped.v1")
    assert tripped["detector"] == "error_rate"
    assert "5 of 5 calls failed" in str(tripped["reason"])
    _send(hansa, "PO-4003")
    hansa.worker.run_until_idle()
    assert len(receiver.received) == 5  # held while the breaker is open
    with hansa.db.read() as conn:
        assert purchase_order(conn, "PO-4003")["status"] == "sent"

    receiver.status = 200  # the supplier is back; the cool-down ends
    clock.advance(timedelta(minutes=15))
    hansa.worker.run_until_idle()

    assert sorted(json.loads(body)["po_number"] for _, body in receiver.received[5:]) == [
        "PO-4002", "PO-4003"]
    assert _breaker(hansa) == ("closed", 1)
    assert [a["how"] for a in _alerts(hansa, "hansa.guards.breaker_closed.v1")] == ["recovered"]
    with hansa.db.read() as conn:
        assert {n: purchase_order(conn, n)["status"] for n in ("PO-4002", "PO-4003")} == {
            "PO-4002": "delivered", "PO-4003": "delivered"}
    with hansa.db.read() as conn:  # PO-4001 ran out of attempts before the trip: replayable
        first = conn.execute(sa.select(outbox.c.event_id).where(
            outbox.c.type == "hansa.suppliers.purchase_order_sent.v1",
            outbox.c.subject == "PO-4001")).scalar_one()
    dead = [d for d in list_dead_letters(hansa.bus) if d.consumer == "suppliers.deliver_po"]
    assert [d.event_id for d in dead] == [first]


def test_a_failed_probe_after_the_cool_down_opens_the_breaker_again(
        hansa: Hansa, receiver: Receiver, clock: VirtualClock) -> None:  # noqa: F811
    receiver.status = 503
    _configure(hansa, receiver)
    for n in ("PO-4101", "PO-4102"):
        _send(hansa, n)
    for _ in range(5):
        hansa.worker.run_until_idle()
        clock.advance(timedelta(minutes=1))
    assert _breaker(hansa) == ("open", 1)

    clock.advance(timedelta(minutes=15))  # half-open, but the endpoint still fails
    hansa.worker.run_until_idle()

    assert len(receiver.received) == 6  # one probe, then held again
    assert _breaker(hansa) == ("open", 2)
    reasons = [str(a["reason"]) for a in _alerts(hansa, "hansa.guards.breaker_tripped.v1")]
    assert reasons[-1].startswith("the probe call after the cool-down failed too")
