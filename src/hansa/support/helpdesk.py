"""The built-in helpdesk: tickets in the support_tickets table, and the in-database transport."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from hansa.support import store
from hansa.support.model import CustomerMessage, Ticket


class BuiltInHelpdesk:
    """Tickets stored in the operational database, one per idempotency key."""

    name = "built-in"

    def open(self, conn: Connection, ticket: Ticket, idempotency_key: str) -> str:
        conn.execute(store.tickets.insert().values(
            id=ticket.id, reference=ticket.reference, subject=ticket.subject, body=ticket.body,
            customer=ticket.customer, status=ticket.status, idempotency_key=idempotency_key,
            opened_at=ticket.opened_at))
        return ticket.id


class InDatabaseTransport:
    """Where no real server is configured: the message stays in the table, marked sent, for
    the chat head or an operator to read. Real transports live in hansa.adapters.messaging."""

    name = "in-database"
    sent: list[str]

    def __init__(self) -> None:
        self.sent = []

    def send(self, message: CustomerMessage) -> None:
        self.sent.append(message.id)
