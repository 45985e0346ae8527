"""Ports of the orders context: what it needs from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hansa.kernel.money import Money
from hansa.orders.model import PaymentStatus


@dataclass(frozen=True, slots=True)
class PaymentResult:
    status: PaymentStatus
    reference: str


class PaymentProvider(Protocol):
    """A payment service provider. Calls are idempotent per `idempotency_key`."""

    name: str

    def authorize(self, order_id: str, amount: Money, idempotency_key: str) -> PaymentResult: ...

    def capture(self, reference: str, amount: Money) -> PaymentResult: ...

    def void(self, reference: str) -> PaymentResult: ...
