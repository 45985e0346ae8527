"""The built-in manual provider: invoice, bank transfer or cash; the merchant captures by hand."""

from __future__ import annotations

from hansa.kernel.errors import InvalidData
from hansa.kernel.money import Money
from hansa.orders.model import PaymentStatus
from hansa.orders.ports import PaymentResult


class ManualPaymentProvider:
    """Authorising leaves the payment pending; capture is the merchant saying "the money is in"."""

    name = "manual"

    def authorize(self, order_id: str, amount: Money, idempotency_key: str) -> PaymentResult:
        if amount.amount <= 0:
            raise InvalidData(f"cannot take a payment of {amount}", code="invalid_amount")
        return PaymentResult(PaymentStatus.PENDING, f"manual:{order_id}")

    def capture(self, reference: str, amount: Money) -> PaymentResult:
        return PaymentResult(PaymentStatus.CAPTURED, reference)

    def void(self, reference: str) -> PaymentResult:
        return PaymentResult(PaymentStatus.VOIDED, reference)
