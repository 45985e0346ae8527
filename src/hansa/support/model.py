"""Pure support domain: tickets, customer messages and store-credit balances."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from hansa.kernel.errors import InvalidData
from hansa.kernel.money import Money

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MessageChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"


class CreditKind(enum.StrEnum):
    ISSUE = "issue"
    REDEEM = "redeem"
    REVERSE = "reverse"  # a redemption given back (the order was cancelled)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    reference: str
    subject: str
    body: str
    customer: str
    status: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    id: str
    reference: str
    channel: MessageChannel
    recipient: str
    subject: str
    body: str
    status: str  # queued, sent


def normalise_customer(email: str) -> str:
    """Credits and tickets key on the lower-cased email."""
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidData(f"{email!r} is not an email address", code="invalid_email")
    return value


def balance(entries: Iterable[tuple[int, str]], currency: str) -> Money:
    """A customer's credit balance from its signed ledger entries (amount, currency)."""
    return Money(sum(a for a, c in entries if c == currency), currency)


def redeemable(available: Money, wanted: Money) -> Money:
    """What a checkout may take from the balance: never more than is there, never negative."""
    if wanted.amount <= 0:
        raise InvalidData("a redemption must be positive", code="invalid_amount")
    return Money(min(available.amount, wanted.amount), wanted.currency)
