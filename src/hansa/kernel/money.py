"""Money as integer minor units plus an ISO 4217 currency; never floats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from functools import lru_cache

# ISO 4217 minor-unit exponents that differ from the usual 2.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            *("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"),
            *("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"),
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


@lru_cache(maxsize=512)
def is_currency(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code."""
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        return False
    import pycountry  # deferred: its database loads on first use

    return pycountry.currencies.get(alpha_3=code) is not None


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency, 2)


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: `amount` minor units of `currency` (e.g. Money(1999, "USD") is $19.99)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be an int of minor units, got {self.amount!r}")
        if not is_currency(self.currency):
            raise ValueError(f"unknown ISO 4217 currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str | Decimal, currency: str) -> Money:
        """Parse a decimal amount ("19.99") exactly; more decimals than the currency has fail."""
        try:
            value = Decimal(str(text).strip())
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a decimal amount") from None
        if not value.is_finite():
            raise ValueError(f"{text!r} is not a finite amount")
        with localcontext() as ctx:  # wide enough that scaling never rounds away decimals
            ctx.prec = max(ctx.prec, len(value.as_tuple().digits))
            scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{text} has more decimals than {currency} allows")
        return cls(int(scaled), currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by an int; use scale() for ratios")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def scale(self, ratio: Decimal | int | str) -> Money:
        """Multiply by an exact ratio, rounding half to even to whole minor units."""
        result = (Decimal(self.amount) * Decimal(str(ratio))).to_integral_value(ROUND_HALF_EVEN)
        return Money(int(result), self.currency)

    def percent_off(self, basis_points: int) -> Money:
        """The amount after a discount of `basis_points` / 100 percent (1250 = 12.5%)."""
        if not 0 <= basis_points <= 10_000:
            raise ValueError("a percentage discount lies between 0 and 100%")
        return self - self.scale(Decimal(basis_points) / Decimal(10_000))

    def allocate(self, ratios: Sequence[int]) -> list[Money]:
        """Split in proportion to `ratios`; leftover units go to the largest remainders first.

        The parts always add up to the whole, to the minor unit.
        """
        if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
            raise ValueError("ratios must be non-negative and not all zero")
        total = sum(ratios)
        sign = -1 if self.amount < 0 else 1
        whole = abs(self.amount)
        shares = [whole * r // total for r in ratios]
        remainders = [(whole * r % total, -i) for i, r in enumerate(ratios)]
        left = whole - sum(shares)
        for _, neg_index in sorted(remainders, reverse=True)[:left]:
            shares[-neg_index] += 1
        return [Money(sign * s, self.currency) for s in shares]

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def format(self) -> str:
        """Plain text like "19.99 USD"; heads localise with babel if they wish."""
        digits = exponent(self.currency)
        return f"{self.to_decimal():.{digits}f} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    def as_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}
