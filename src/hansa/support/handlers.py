"""Support use cases: tickets, customer messages, store credit issue and redemption."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import InvalidData
from hansa.kernel.ids import new_id
from hansa.kernel.money import Money
from hansa.support import messages as m
from hansa.support import store
from hansa.support.model import (
    CreditKind,
    CustomerMessage,
    MessageChannel,
    Ticket,
    balance,
    normalise_customer,
    redeemable,
)
from hansa.support.ports import Helpdesk, MessageTransport


def _key(given: str, fallback: str) -> str:
    return given or fallback


def open_ticket(cmd: m.OpenTicket, uow: UnitOfWork, helpdesk: Helpdesk) -> str:
    key = _key(cmd.idempotency_key, f"ticket:{cmd.reference}")
    known = store.id_by_key(uow.conn, store.tickets, key)
    if known is not None:
        return known
    ticket = Ticket(id=new_id(), reference=cmd.reference, subject=cmd.subject[:300],
                    body=cmd.body, customer=normalise_customer(cmd.customer), status="open",
                    opened_at=uow.now())
    ticket_id = helpdesk.open(uow.conn, ticket, key)
    uow.record(m.TicketOpened(ticket_id=ticket_id, reference=cmd.reference,
                              customer=ticket.customer))
    return ticket_id


def queue_customer_message(cmd: m.QueueCustomerMessage, uow: UnitOfWork) -> str:
    try:
        channel = MessageChannel(cmd.channel)
    except ValueError:
        raise InvalidData(f"unknown message channel {cmd.channel!r}",
                          code="invalid_channel") from None
    key = _key(cmd.idempotency_key, f"message:{cmd.reference}:{channel.value}")
    known = store.id_by_key(uow.conn, store.messages, key)
    if known is not None:
        return known
    message_id = new_id()
    uow.conn.execute(store.messages.insert().values(
        id=message_id, reference=cmd.reference, channel=channel.value, recipient=cmd.recipient,
        subject=cmd.subject[:300], body=cmd.body, status="queued", idempotency_key=key,
        queued_at=uow.now()))
    uow.record(m.CustomerMessageQueued(message_id=message_id, reference=cmd.reference,
                                       channel=channel.value, recipient=cmd.recipient))
    return message_id


def deliver_message(event: m.CustomerMessageQueued, uow: UnitOfWork,
                    transports: dict[str, MessageTransport]) -> None:
    """Consumer: hand a queued message to its channel's transport, then mark it sent."""
    row = uow.conn.execute(sa.select(store.messages)
                           .where(store.messages.c.id == event.message_id)).first()
    if row is None or row.status != "queued":
        return
    transport = transports.get(row.channel) or transports["default"]
    transport.send(CustomerMessage(id=row.id, reference=row.reference,
                                   channel=MessageChannel(row.channel), recipient=row.recipient,
                                   subject=row.subject, body=row.body, status=row.status))
    uow.conn.execute(store.messages.update().where(store.messages.c.id == row.id)
                     .values(status="sent", sent_at=uow.now(), transport=transport.name))


def _post_credit(uow: UnitOfWork, customer: str, kind: CreditKind, amount: Money,
                 reference: str, reason: str, key: str) -> None:
    uow.conn.execute(store.credit_entries.insert().values(
        id=new_id(), customer=customer, kind=kind.value, amount=amount.amount,
        currency=amount.currency, reference=reference, reason=reason[:300],
        idempotency_key=key, at=uow.now()))


def issue_credit(cmd: m.IssueCredit, uow: UnitOfWork) -> str:
    if cmd.amount.amount <= 0:
        raise InvalidData("a credit must be positive", code="invalid_amount")
    key = _key(cmd.idempotency_key, f"credit:{cmd.reference}")
    known = store.id_by_key(uow.conn, store.credit_entries, key)
    if known is not None:
        return known
    customer = normalise_customer(cmd.customer)
    _post_credit(uow, customer, CreditKind.ISSUE, cmd.amount, cmd.reference, cmd.reason, key)
    uow.record(m.CreditIssued(customer=customer, amount=cmd.amount.amount,
                              currency=cmd.amount.currency, reference=cmd.reference))
    return key


def _lock_customer(uow: UnitOfWork, customer: str) -> None:
    """Serialise redemptions of one customer (PostgreSQL row locks; SQLite has one writer)."""
    if uow.conn.dialect.name == "postgresql":
        uow.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": customer})


def redeem_credit(cmd: m.RedeemCredit, uow: UnitOfWork) -> Money:
    customer = normalise_customer(cmd.customer)
    key = f"redeem:{cmd.order_reference}"
    _lock_customer(uow, customer)
    done = uow.conn.execute(sa.select(store.credit_entries.c.amount)
                            .where(store.credit_entries.c.idempotency_key == key)).scalar()
    if done is not None:
        return Money(-int(done), cmd.amount.currency)
    rows = store.credit_rows(uow.conn, customer, cmd.amount.currency)
    taken = redeemable(balance(((r.amount, r.currency) for r in rows), cmd.amount.currency),
                       cmd.amount)
    if taken.amount <= 0:
        return Money.zero(cmd.amount.currency)
    _post_credit(uow, customer, CreditKind.REDEEM, -taken, cmd.order_reference,
                 "redeemed at checkout", key)
    uow.record(m.CreditRedeemed(customer=customer, amount=taken.amount,
                                currency=taken.currency, order_reference=cmd.order_reference))
    return taken


def reverse_redemption(cmd: m.ReverseRedemption, uow: UnitOfWork) -> Money | None:
    row = uow.conn.execute(sa.select(store.credit_entries).where(
        store.credit_entries.c.idempotency_key == f"redeem:{cmd.order_reference}")).first()
    key = f"reverse:{cmd.order_reference}"
    if row is None or store.id_by_key(uow.conn, store.credit_entries, key) is not None:
        return None
    amount = Money(-int(row.amount), row.currency)
    _post_credit(uow, row.customer, CreditKind.REVERSE, amount, cmd.order_reference,
                 "redemption reversed", key)
    return amount
