"""Shipping read side: carriers and active checkout rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from hansa.db.decoded import DecodedByText
from hansa.shipping import store
from hansa.shipping.model import Carrier, carrier_from_doc

_carrier = DecodedByText(carrier_from_doc, kept=1_000)


def carriers(conn: Connection) -> list[Carrier]:
    """Every carrier, by code; each document is built into a `Carrier` once per process."""
    return [_carrier(text) for text in store.carrier_texts(conn)]


def active_rules(conn: Connection) -> list[Any]:
    return store.rule_rows(conn)
