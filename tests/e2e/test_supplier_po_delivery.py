"""JSON purchase orders reach an API supplier's endpoint over real HTTP, signed; a failing
endpoint is retried with back-off by the bus; the supplier's ack moves the PO on."""

from __future__ import annotations

import json
from datetime import timedelta

from hansa.bootstrap import Hansa
from hansa.bus.dead_letters import list_dead_letters
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
