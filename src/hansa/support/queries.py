"""Support read side: tickets, messages and credit balances (checkout asks `credit_balance`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.kernel.money import Money
from hansa.support import store
from hansa.support.model import balance, normalise_customer


def credit_balance(conn: Connection, customer: str, currency: str) -> Money:
    """Store credit a customer can redeem at checkout, in `currency`."""
    rows = store.credit_rows(conn, normalise_customer(customer), currency)
    return balance(((r.amount, r.currency) for r in rows), currency)


def credit_entries(conn: Connection, customer: str) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in store.credit_rows(conn, normalise_customer(customer))]


def tickets(conn: Connection, reference: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(store.tickets).order_by(store.tickets.c.opened_at, store.tickets.c.id)
    if reference is not None:
        query = query.where(store.tickets.c.reference == reference)
    return [dict(r._mapping) for r in conn.execute(query)]


def messages(conn: Connection, reference: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(store.messages).order_by(store.messages.c.queued_at, store.messages.c.id)
    if reference is not None:
        query = query.where(store.messages.c.reference == reference)
    return [dict(r._mapping) for r in conn.execute(query)]


def credits_issued(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        sa.select(store.credit_entries).where(store.credit_entries.c.kind == "issue")
        .order_by(store.credit_entries.c.at))]
