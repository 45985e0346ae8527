"""Outbound purchase orders: rendered in the supplier's channel, tracked until acknowledged.

X12 suppliers get an 850 (860 for a change), EDIFACT suppliers an ORDERS (BGM function 5 for
a change), API suppliers the JSON body. Supplier answers (855, ORDRSP, JSON acks, 997 for the
interchange, ship notices and invoices) move the tracked state.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.money import is_currency
from hansa.suppliers import store
from hansa.suppliers.edi import edifact, x12_out
from hansa.suppliers.messages import (
    ChangePurchaseOrder,
    PoLine,
    PurchaseOrderAcknowledged,
    PurchaseOrderSent,
    SendPurchaseOrder,
)
from hansa.suppliers.model import AckRecord, DocumentError, NoticeRecord, Record, Supplier
from hansa.suppliers.queries import supplier_by_code

EDIFACT_SUPPLIERS_KEY = "edi_syntax"  # a mapping profile named this says {"syntax": "edifact"}


def _syntax(uow: UnitOfWork, supplier: Supplier) -> str:
    """x12, edifact or json: EDI suppliers use X12 unless their profile says EDIFACT."""
    if supplier.integration.value == "api":
        return "json"
    if supplier.integration.value == "csv":
        return "json"
    spec = uow.conn.execute(sa.select(store.profiles.c.spec).where(
        store.profiles.c.supplier_id == supplier.id,
        store.profiles.c.name == EDIFACT_SUPPLIERS_KEY)).scalar()
    return "edifact" if spec and spec.get("syntax") == "edifact" else "x12"


def _next_control(uow: UnitOfWork) -> int:
    po = store.purchase_orders
    count = uow.conn.execute(sa.select(sa.func.count()).select_from(po)).scalar_one()
    return 100_000 + int(count) + 1


def _their_skus(uow: UnitOfWork, supplier: Supplier, skus: list[str]) -> dict[str, str]:
    it = store.items
    rows = uow.conn.execute(sa.select(it.c.sku, it.c.supplier_sku).where(
        it.c.supplier_id == supplier.id, it.c.sku.in_(skus)))
    return {r.sku: r.supplier_sku for r in rows}


def _render(uow: UnitOfWork, supplier: Supplier, syntax: str, po_number: str,
            lines: tuple[PoLine, ...], currency: str, ship_to: str, control: int,
            change: bool) -> tuple[str, str]:
    if not lines or any(line.quantity < 0 or line.unit_cost < 0 for line in lines):
        raise InvalidData("a PO has lines with quantities and costs >= 0", code="invalid_po")
    theirs = _their_skus(uow, supplier, [line.sku.upper() for line in lines])
    rows = [(line.sku.upper(), theirs.get(line.sku.upper()), line.quantity, line.unit_cost)
            for line in lines]
    at = uow.now()
    if syntax == "x12":
        if change:
            return "860", x12_out.po_860(po_number=po_number, lines=rows, currency=currency,
                                         receiver=supplier.code, control=control, at=at)
        return "850", x12_out.po_850(po_number=po_number, lines=rows, currency=currency,
                                     ship_to=ship_to, receiver=supplier.code, control=control,
                                     at=at)
    if syntax == "edifact":
        return "ORDERS", edifact.orders(po_number=po_number, lines=rows, currency=currency,
                                        recipient=supplier.code, reference=str(control), at=at,
                                        change=change)
    body = {"po_number": po_number, "change": change, "currency": currency, "ship_to": ship_to,
            "lines": [{"sku": s, "supplier_sku": t, "quantity": q, "unit_cost": c}
                      for s, t, q, c in rows]}
    return "json", orjson.dumps(body).decode()


def send_purchase_order(cmd: SendPurchaseOrder, uow: UnitOfWork) -> str:
    """Record and render a new PO; returns the document text (the sender delivers it)."""
    supplier = supplier_by_code(uow.conn, cmd.supplier_code)
    if not is_currency(cmd.currency):
        raise InvalidData(f"unknown currency {cmd.currency!r}", code="invalid_currency")
    po = store.purchase_orders
    if uow.conn.execute(sa.select(po.c.po_number).where(po.c.po_number == cmd.po_number)).first():
        raise Conflict(f"purchase order {cmd.po_number} exists", code="po_exists")
    syntax, control = _syntax(uow, supplier), _next_control(uow)
    doc_type, text = _render(uow, supplier, syntax, cmd.po_number, cmd.lines, cmd.currency,
                             cmd.ship_to, control, change=False)
    uow.conn.execute(po.insert().values(
        po_number=cmd.po_number, supplier_id=supplier.id, revision=0, channel=syntax,
        lines=[[ln.sku.upper(), ln.quantity, ln.unit_cost, cmd.currency] for ln in cmd.lines],
        document=text, control_number=str(control), status="sent", sent_at=uow.now()))
    uow.record(PurchaseOrderSent(po_number=cmd.po_number, supplier_code=supplier.code,
                                 revision=0, doc_type=doc_type))
    return text


def change_purchase_order(cmd: ChangePurchaseOrder, uow: UnitOfWork) -> str:
    po = store.purchase_orders
    row = uow.conn.execute(sa.select(po).where(po.c.po_number == cmd.po_number)).first()
    if row is None:
        raise NotFound(f"no purchase order {cmd.po_number}", code="po_not_found")
    supplier = supplier_by_code(uow.conn, _code_of(uow, row.supplier_id))
    currency = row.lines[0][3]
    control = _next_control(uow)
    doc_type, text = _render(uow, supplier, row.channel, row.po_number, cmd.lines, currency, "",
                             control, change=True)
    uow.conn.execute(po.update().where(po.c.po_number == row.po_number).values(
        revision=row.revision + 1, document=text, control_number=str(control),
        lines=[[ln.sku.upper(), ln.quantity, ln.unit_cost, currency] for ln in cmd.lines],
        status="sent", sent_at=uow.now(), acknowledged_at=None))
    uow.record(PurchaseOrderSent(po_number=row.po_number, supplier_code=supplier.code,
                                 revision=row.revision + 1, doc_type=doc_type))
    return text


def _code_of(uow: UnitOfWork, supplier_id: str) -> str:
    return str(uow.conn.execute(sa.select(store.suppliers.c.code)
                                .where(store.suppliers.c.id == supplier_id)).scalar_one())


def apply_supplier_answer(uow: UnitOfWork, supplier: Supplier, record: Record, *,
                          via: str) -> None:
    """An ack, ship notice, invoice or 997 from the supplier moves its PO's tracked state."""
    po = store.purchase_orders
    if isinstance(record, NoticeRecord) and record.kind.startswith("functional_ack"):
        status = record.kind.split(":", 1)[1]
        uow.conn.execute(po.update().where(po.c.supplier_id == supplier.id,
                                           po.c.control_number == record.reference,
                                           po.c.status == "sent")
                         .values(status="received" if status == "accepted" else "refused"))
        return
    if isinstance(record, NoticeRecord) and record.kind in ("order", "order_change"):
        raise DocumentError("suppliers send us no purchase orders", line=record.line,
                            code="unexpected_document")
    number = record.po_number if isinstance(record, AckRecord | NoticeRecord) else None
    if not number:
        if isinstance(record, NoticeRecord):
            return  # a ship notice or invoice without a PO reference is kept on the document
        raise DocumentError("the acknowledgment names no PO", line=record.line,
                            code="unknown_po")
    row = uow.conn.execute(sa.select(po).where(po.c.po_number == number,
                                               po.c.supplier_id == supplier.id)).first()
    if row is None:
        raise DocumentError(f"PO {number} is not one of ours with {supplier.code}",
                            line=record.line, code="unknown_po")
    detail: dict[str, Any] = dict(row.ack_detail or {})
    if isinstance(record, AckRecord):
        status = {"accepted": "acknowledged"}.get(record.status, record.status)
        detail["ack"] = {"status": record.status, "via": via,
                         "lines": [list(x) for x in record.lines]}
        uow.conn.execute(po.update().where(po.c.po_number == number).values(
            status=status, acknowledged_at=uow.now(), ack_detail=detail))
        uow.record(PurchaseOrderAcknowledged(po_number=number, status=record.status, via=via))
    elif isinstance(record, NoticeRecord):
        detail[record.kind] = {"reference": record.reference,
                               "lines": [list(x) for x in record.lines], "total": record.total}
        uow.conn.execute(po.update().where(po.c.po_number == number).values(
            status="shipped" if record.kind == "shipment" else "invoiced", ack_detail=detail))


def purchase_order(conn: Any, po_number: str) -> dict[str, Any]:
    po = store.purchase_orders
    row = conn.execute(sa.select(po).where(po.c.po_number == po_number)).first()
    if row is None:
        raise NotFound(f"no purchase order {po_number}", code="po_not_found")
    return dict(row._mapping)
