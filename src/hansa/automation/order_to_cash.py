"""The order-to-cash path: on OrderPlaced, source and allocate, ship, label, capture, settle
the ledger on every node, and tell the customer, one guarded and compensable step at a time.

Steps (compensation in brackets): allocate per the optimiser [release the allocation];
create shipments [cancel them]; print one label per shipment [void the labels]; capture the
payment through the port; settle (pick) at every node; one message per shipment. A failure
before the capture undoes what was done, newest first; after the capture nothing is undone
(a failed settle or message blocks the run for an operator, the money is in).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from hansa.automation.model import Decision, Path, StepSpec
from hansa.fulfillment import messages as f
from hansa.fulfillment import queries as fulfillment
from hansa.orders.messages import CapturePayment, OrderPlaced

PATH_NAME = "order-to-cash"


def policy(inputs: dict[str, Any]) -> Decision:
    """Pure: every placed order goes through the same guarded steps."""
    order_id = str(inputs["order_id"])
    return Decision.go([
        StepSpec("allocate", f.AllocateOrder(order_id=order_id),
                 f.ReleaseAllocation(order_id=order_id)),
        StepSpec("create-shipments", f.CreateShipments(order_id=order_id),
                 f.CancelShipments(order_id=order_id)),
        StepSpec("print-labels", f.PrintLabels(order_id=order_id),
                 f.VoidLabels(order_id=order_id)),
        StepSpec("capture-payment", CapturePayment(order_id=order_id)),
        StepSpec("settle-ledger", f.SettleShipments(order_id=order_id)),
        StepSpec("notify-customer", f.NotifyShipments(order_id=order_id)),
    ], f"order {inputs.get('number', order_id)} placed: source, ship, capture, notify",
        order_id=order_id, number=inputs.get("number"), lines=inputs.get("lines"),
        postal_code=inputs.get("postal_code"), country=inputs.get("country"))


def network_configured(event: OrderPlaced, conn: Connection) -> bool:
    """The path runs once the merchant has configured at least one shipping node."""
    return fulfillment.has_nodes(conn)


def path() -> Path:
    return Path(
        name=PATH_NAME, trigger=OrderPlaced, policy=policy, condition=network_configured,
        commands=(f.AllocateOrder, f.ReleaseAllocation, f.CreateShipments, f.CancelShipments,
                  f.PrintLabels, f.VoidLabels, CapturePayment, f.SettleShipments,
                  f.NotifyShipments),
        description="Sourcing optimiser, shipments, labels, payment capture, ledger, messages.")
