"""Support commands and events: tickets, customer messages, store credit."""

from __future__ import annotations

from dataclasses import dataclass

from hansa.kernel.messages import Command, Event
from hansa.kernel.money import Money


@dataclass(frozen=True, slots=True)
class OpenTicket(Command):
    """Open a support ticket (once per idempotency key); returns the ticket id."""

    reference: str
    subject: str
    body: str
    customer: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class QueueCustomerMessage(Command):
    """Queue a message to a customer (once per idempotency key); delivery follows the commit."""

    reference: str
    channel: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class IssueCredit(Command):
    """Credit a customer's store-credit ledger (once per idempotency key)."""

    customer: str
    amount: Money
    reason: str
    reference: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class RedeemCredit(Command):
    """Take store credit at checkout for `order_reference`; returns the amount taken (may be
    less than asked, down to zero). Idempotent per order reference."""

    customer: str
    amount: Money
    order_reference: str


@dataclass(frozen=True, slots=True)
class ReverseRedemption(Command):
    """Give back what `order_reference` redeemed (the order was cancelled)."""

    order_reference: str


@dataclass(frozen=True)
class TicketOpened(Event):
    context = "support"
    ticket_id: str
    reference: str
    customer: str

    def subject(self) -> str:
        return self.ticket_id


@dataclass(frozen=True)
class CustomerMessageQueued(Event):
    context = "support"
    message_id: str
    reference: str
    channel: str
    recipient: str

    def subject(self) -> str:
        return self.message_id


@dataclass(frozen=True)
class CreditIssued(Event):
    context = "support"
    customer: str
    amount: int
    currency: str
    reference: str

    def subject(self) -> str:
        return self.customer


@dataclass(frozen=True)
class CreditRedeemed(Event):
    context = "support"
    customer: str
    amount: int
    currency: str
    order_reference: str

    def subject(self) -> str:
        return self.customer
