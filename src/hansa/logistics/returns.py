"""Returns (RMA) use cases: request under the rules, receive with inspection, settle."""

from __future__ import annotations

from hansa.bus.unit_of_work import UnitOfWork
from hansa.inventory import messages as inventory_msg
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.money import Money
from hansa.logistics import return_messages as m
from hansa.logistics import returns_store, store
from hansa.logistics.returns_model import (
    Outcome,
    Resolution,
    ReturnRules,
    check_request,
    line_values,
)


def request_return(cmd: m.RequestReturn, uow: UnitOfWork, rules: ReturnRules) -> dict[str, str]:
    rma_id = cmd.rma_id or f"rma-{new_id()}"
    known = returns_store.rma(uow.conn, rma_id)
    if known is not None:
        return {"rma_id": rma_id, "label_reference": known.label_reference}
    shipment = store.shipment(uow.conn, cmd.shipment_id, lock=True)
    if shipment is None:
        raise NotFound(f"no tracked shipment {cmd.shipment_id}", code="shipment_not_found")
    try:
        resolution = Resolution(cmd.resolution)
    except ValueError:
        raise InvalidData(f"unknown resolution {cmd.resolution!r}",
                          code="invalid_resolution") from None
    wanted: dict[str, int] = {}
    for sku, quantity in cmd.lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    shipped: dict[str, int] = {}
    for sku, quantity in shipment.lines:
        shipped[sku] = shipped.get(sku, 0) + int(quantity)
    already = returns_store.returned_so_far(uow.conn, shipment.id)
    returnable = {sku: q - already.get(sku, 0) for sku, q in shipped.items()}
    condition = check_request(rules, delivered_at=shipment.delivered_at, now=uow.now(),
                              condition=cmd.condition, channel=cmd.channel, wanted=wanted,
                              returnable=returnable)
    label = f"RL-{rma_id[-12:].upper()}"
    uow.conn.execute(returns_store.rmas.insert().values(
        id=rma_id, shipment_id=shipment.id, status="authorised",
        lines=[[sku, q] for sku, q in sorted(wanted.items())], condition=condition.value,
        channel=cmd.channel, resolution=resolution.value, reason=cmd.reason[:300],
        label_reference=label, requested_at=uow.now()))
    uow.record(m.ReturnAuthorised(rma_id=rma_id, shipment_id=shipment.id,
                                  label_reference=label))
    return {"rma_id": rma_id, "label_reference": label}


def receive_return(cmd: m.ReceiveReturn, uow: UnitOfWork) -> dict[str, object]:
    rma = returns_store.rma(uow.conn, cmd.rma_id, lock=True)
    if rma is None:
        raise NotFound(f"no return {cmd.rma_id}", code="return_not_found")
    if rma.status != "authorised":
        raise Conflict(f"return {rma.id} is {rma.status} already", code="return_received")
    expected = {str(sku): int(q) for sku, q in rma.lines}
    got: dict[str, int] = {}
    for sku, quantity, outcome in cmd.inspected:
        if quantity <= 0 or outcome not in set(Outcome):
            raise InvalidData(f"inspection of {sku}: quantity > 0 and an outcome of "
                              f"{', '.join(Outcome)}", code="invalid_inspection")
        got[sku] = got.get(sku, 0) + quantity
    if any(q > expected.get(sku, 0) for sku, q in got.items()):
        raise InvalidData(f"more came back than was authorised ({expected})",
                          code="invalid_inspection")
    restocked = written_off = 0
    for sku, quantity, outcome in cmd.inspected:
        if outcome == Outcome.RESTOCK:
            uow.execute(inventory_msg.ReturnStock(sku=sku, location_id=cmd.location_id,
                                                  quantity=quantity, reference=rma.id))
            restocked += quantity
        else:
            written_off += quantity
        uow.conn.execute(returns_store.return_lines.insert().values(
            rma_id=rma.id, sku=sku, outcome=outcome, quantity=quantity))
    shipment = store.shipment(uow.conn, rma.shipment_id)
    value = line_values(Money(shipment.value_minor, shipment.currency),
                        [(str(s), int(q)) for s, q in shipment.lines], got)
    now = uow.now()
    uow.conn.execute(returns_store.rmas.update().where(returns_store.rmas.c.id == rma.id).values(
        status="received", received_at=now, location_id=cmd.location_id, amount=value.amount,
        currency=value.currency))
    uow.record(m.ReturnReceived(
        rma_id=rma.id, shipment_id=shipment.id, order_id=shipment.order_id,
        customer=shipment.customer, resolution=rma.resolution, amount=value.amount,
        currency=value.currency, restocked=restocked, written_off=written_off,
        lines=[[s, q, o] for s, q, o in cmd.inspected]))
    return {"rma_id": rma.id, "amount": value.amount, "currency": value.currency,
            "restocked": restocked, "written_off": written_off, "resolution": rma.resolution}
