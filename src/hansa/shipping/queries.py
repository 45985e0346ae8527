"""Shipping read side: carriers and active checkout rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from hansa.shipping import store
from hansa.shipping.model import Carrier, carrier_from_doc


def carriers(conn: Connection) -> list[Carrier]:
    return [carrier_from_doc(doc) for doc in store.carrier_docs(conn)]


def active_rules(conn: Connection) -> list[Any]:
    return store.rule_rows(conn)
