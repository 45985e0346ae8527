"""JSON purchase orders to an API supplier's endpoint, behind an error-rate breaker.

Consumer `suppliers.deliver_po` POSTs each sent or changed PO, signed with the supplier's
secret. A failing call raises, so the bus retries it with back-off and dead-letters it after
the last attempt; every attempt's outcome also counts towards breaker
`supplier:<code>:endpoint` (the failure through the consumer's failure hook, which outlives
the rolled-back attempt). When more than half of at least five calls within the hour failed,
the breaker opens (alert `BreakerTripped`): the supplier's POs are then held, not sent, and
tried again once the cool-down ends (`PurchaseOrderDeliveryDue`); the first call through the
half-open breaker closes it (`BreakerClosed`) or opens it again. EDI documents travel by the
supplier's file transfer, not from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.guards import breakers, outcomes
from hansa.guards.messages import BreakerClosed, BreakerTripped
from hansa.guards.outcomes import ErrorRate
from hansa.suppliers import jsonfeed, store
from hansa.suppliers.messages import PurchaseOrderDeliveryDue, PurchaseOrderSent

DEFAULT_RATE = ErrorRate()


class PoSender(Protocol):
    """Port: POST `body` to `url` with `headers`; raise unless the answer is 2xx."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int: ...


def breaker_name(supplier_code: str) -> str:
    return f"supplier:{supplier_code.strip().upper()}:endpoint"


def deliver_purchase_order(event: PurchaseOrderSent | PurchaseOrderDeliveryDue,
                           uow: UnitOfWork, *, sender: PoSender,
                           rate: ErrorRate = DEFAULT_RATE) -> None:
    """POST the PO unless it is gone, superseded, not a JSON one, or its endpoint's breaker
    is open (then it is held until the cool-down ends)."""
    po = store.purchase_orders
    row = uow.conn.execute(sa.select(po).where(po.c.po_number == event.po_number)).first()
    if row is None or row.channel != "json" or row.revision != event.revision:
        return  # gone, not an API supplier, or superseded by a newer revision
    if row.status != "sent":
        return  # delivered already (a held copy and a retry can both come)
    api = uow.conn.execute(sa.select(store.secrets).where(
        store.secrets.c.supplier_id == row.supplier_id)).first()
    if api is None or not api.endpoint:
        return
    name, now = breaker_name(event.supplier_code), uow.now()
    reopens = outcomes.reopens_at(uow.conn, name, now)
    if reopens is not None:
        _hold(uow, event, name, reopens, now)
        return
    body = row.document.encode()
    stamp = str(int(now.timestamp()))
    sender.post(api.endpoint, body, {
        "Content-Type": "application/json", "X-Hansa-Timestamp": stamp,
        "X-Hansa-Signature": jsonfeed.sign(api.secret, stamp, body),
        "Idempotency-Key": f"{row.po_number}:{row.revision}"})
    uow.conn.execute(po.update().where(po.c.po_number == row.po_number,
                                       po.c.status == "sent").values(status="delivered"))
    if outcomes.record(uow.conn, name, True, now, rate).closed:
        uow.record(BreakerClosed(breaker=name, how="recovered"))


def _hold(uow: UnitOfWork, event: PurchaseOrderSent | PurchaseOrderDeliveryDue, name: str,
          until: datetime, now: datetime) -> None:
    breaker = breakers.load(uow.conn, name)
    assert breaker is not None
    breakers.log_verdict(uow.conn, breakers.gate_of(breaker, now), event.po_number, now)
    uow.record(PurchaseOrderDeliveryDue(po_number=event.po_number,
                                        supplier_code=event.supplier_code,
                                        revision=event.revision), deliver_at=until)


def delivery_failed(event: PurchaseOrderSent | PurchaseOrderDeliveryDue, exc: Exception,
                    uow: UnitOfWork, *, rate: ErrorRate = DEFAULT_RATE) -> None:
    """The failure hook of the delivery consumers: count the failed call; alert on a trip."""
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return  # our database failed, not the supplier's endpoint
    name = breaker_name(event.supplier_code)
    tripped = outcomes.record(uow.conn, name, False, uow.now(), rate).tripped
    if tripped is not None:
        uow.record(BreakerTripped(breaker=name, reason=tripped.reason,
                                  detector=tripped.detector, dry_run=tripped.dry_run,
                                  details=tripped.details | {"error": str(exc)[:300]}))
