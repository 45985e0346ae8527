"""Support ports: the helpdesk that holds tickets and the transport that delivers messages."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Connection

from hansa.support.model import CustomerMessage, Ticket


class Helpdesk(Protocol):
    """Where tickets live. The built-in one is a table; an external desk would sync from it."""

    name: str

    def open(self, conn: Connection, ticket: Ticket, idempotency_key: str) -> str:
        """Store the ticket (inside the caller's transaction) and return its id."""
        ...


class MessageTransport(Protocol):
    """Delivers one queued customer message (email, SMS or chat). At least once: the message id
    goes along so that the far side can drop a repeat."""

    name: str

    def send(self, message: CustomerMessage) -> None: ...
