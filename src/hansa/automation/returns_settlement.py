"""Settles received returns that the customer chose to take as store credit.

A refund resolution stays a `ReturnReceived` event for the payments side to pay out; a credit
resolution becomes an `IssueCredit` in the store-credit ledger, once per return.
"""

from __future__ import annotations

from hansa.bus.messagebus import MessageBus
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.money import Money
from hansa.logistics.return_messages import ReturnReceived
from hansa.support.messages import IssueCredit


def on_return_received(event: ReturnReceived, uow: UnitOfWork) -> None:
    if event.resolution != "credit" or event.amount <= 0:
        return
    uow.execute(IssueCredit(customer=event.customer, amount=Money(event.amount, event.currency),
                            reason="return credited", reference=event.rma_id,
                            idempotency_key=f"return:{event.rma_id}"))


def install(bus: MessageBus) -> None:
    bus.subscribe(ReturnReceived, "automation.returns.settle_credit", on_return_received)
