"""Pure order domain: carts, orders, totals, state transitions, request fingerprints."""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from hansa.kernel.errors import Conflict, InvalidData

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")  # ISO 3166 alpha-2; str.isalpha() admits any script
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,120}$")
MAX_LINE_QUANTITY = 10_000
MAX_LINES = 200
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # awaiting the money (manual provider: bank transfer, invoice)
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A checked-out line: prices are minor units of the order's currency."""

    sku: str
    product_id: str
    quantity: int
    list_unit_price: int
    unit_price: int
    promotion_id: str | None

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def discount(self) -> int:
        return (self.list_unit_price - self.unit_price) * self.quantity


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: int  # at list prices
    discount: int
    total: int


def totals(lines: list[PricedLine]) -> Totals:
    subtotal = sum(line.list_unit_price * line.quantity for line in lines)
    discount = sum(line.discount for line in lines)
    return Totals(subtotal=subtotal, discount=discount, total=subtotal - discount)


def validate_lines(lines: list[tuple[str, int]]) -> None:
    if not lines:
        raise InvalidData("an order needs at least one line", code="empty_order")
    if len(lines) > MAX_LINES:
        raise InvalidData(f"at most {MAX_LINES} lines per order", code="too_many_lines")
    for sku, quantity in lines:
        if not 0 < quantity <= MAX_LINE_QUANTITY:
            raise InvalidData(f"{sku}: quantity must be 1..{MAX_LINE_QUANTITY}",
                              code="invalid_quantity")


def validate_contact(email: str, address: Address) -> None:
    if not EMAIL.fullmatch(email):  # fullmatch: `$` alone lets a trailing newline through
        raise InvalidData(f"{email!r} is not an email address", code="invalid_email")
    if not COUNTRY.fullmatch(address.country):
        raise InvalidData("country must be ISO 3166 alpha-2", code="invalid_country")
    for name in ("name", "line1", "city", "postal_code"):
        if not getattr(address, name).strip():
            raise InvalidData(f"address {name.replace('_', ' ')} is required",
                              code="invalid_address")


def validate_idempotency_key(key: str) -> None:
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidData("Idempotency-Key must be 8-120 characters of letters, digits, ._:-",
                          code="invalid_idempotency_key")


def fingerprint(payload: dict[str, Any]) -> str:
    """A stable hash of a checkout request, to tell a retry from a reused key."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def order_number(order_id: str) -> str:
    """A short, readable order number from the random part of the id (50 bits)."""
    value = int(order_id.replace("-", "")[-13:], 16)
    chars = []
    for _ in range(10):
        value, digit = divmod(value, 32)
        chars.append(_NUMBER_ALPHABET[digit])
    return "H-" + "".join(reversed(chars))


_TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    OrderStatus.PLACED: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.FULFILLED, OrderStatus.CANCELLED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.FULFILLED: set(),
}


def transition(current: OrderStatus, to: OrderStatus) -> OrderStatus:
    if to not in _TRANSITIONS[current]:
        raise Conflict(f"an order that is {current.value} cannot become {to.value}",
                       code="invalid_transition", status=current.value)
    return to
