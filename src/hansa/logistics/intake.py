"""Shipments the order-to-cash path creates are tracked; shipments it cancels are not.

Two consumers of fulfilment's stable events (ADR 0011). They may run in either order: a
shipment cancelled before its `ShipmentCreated` is handled is never tracked, because the
intake reads fulfilment's current status first.
"""

from __future__ import annotations

from datetime import date

from hansa.bus.unit_of_work import UnitOfWork
from hansa.fulfillment import queries as fulfillment
from hansa.fulfillment.messages import ShipmentCancelled, ShipmentCreated
from hansa.kernel.money import Money
from hansa.logistics.messages import StopTracking, TrackShipment
from hansa.orders import queries as orders


def on_shipment_created(event: ShipmentCreated, uow: UnitOfWork) -> None:
    current = {s["id"]: s["status"] for s in fulfillment.shipments(uow.conn, event.order_id)}
    if current.get(event.shipment_id) == "cancelled":
        return
    order = orders.order(uow.conn, event.order_id)
    unit = {ln["sku"]: ln["unit_price"] for ln in order["lines"]}
    lines = [(str(ln["sku"]), int(ln["quantity"])) for ln in event.lines]
    value = sum(unit.get(sku, 0) * quantity for sku, quantity in lines)
    uow.execute(TrackShipment(
        shipment_id=event.shipment_id, order_id=event.order_id, customer=order["email"],
        origin_location_id=event.location_id, carrier=event.carrier, service=event.service,
        tracking_code=event.tracking_code, destination_postal_code=event.postal_code,
        destination_country=event.country, promised_date=date.fromisoformat(
            event.promised_date), lines=lines, value=Money(value, order["currency"])))


def on_shipment_cancelled(event: ShipmentCancelled, uow: UnitOfWork) -> None:
    uow.execute(StopTracking(shipment_id=event.shipment_id, reason="cancelled before hand-over"))
