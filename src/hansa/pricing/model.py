"""Pure pricing domain: price lists with quantity tiers, COGS, promotions and price resolution.

ETHICS RULE (non-negotiable): a price depends only on the price list, the SKU, the quantity
and the moment. Price resolution never takes anything about the customer -- not who they are,
where they are, their device, history, segment or any inferred personal attribute -- so
everyone asking the same price list at the same moment sees the same price. Do not add a
customer parameter to any function here; per-customer value belongs in explicit, consented
credits elsewhere, never in the price.

Floor: a promotion never takes a unit price below 1 minor unit. It does not look at COGS:
selling below cost is a merchant decision that the guards (hard bounds, change <= X%) watch,
not something price resolution silently prevents.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from hansa.kernel.errors import InvalidData
from hansa.kernel.money import Money, is_currency

SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,63}$")  # the catalog's SKU shape
MIN_UNIT_PRICE = 1  # minor units: the floor under every promoted price
MAX_BASIS_POINTS = 10_000  # 100%


@dataclass(frozen=True, slots=True)
class PriceList:
    id: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class PriceTier:
    """From `min_quantity` units up, each unit costs `amount` minor units."""

    min_quantity: int
    amount: int


class PromotionKind(enum.StrEnum):
    """How a promotion lowers a unit price."""

    PERCENT_OFF = "percent_off"  # value: basis points, 1..10000 (1500 = 15%)
    AMOUNT_OFF = "amount_off"  # value: minor units of the price list's currency, off each unit


@dataclass(frozen=True, slots=True)
class Promotion:
    """A discount on one price list during [starts_at, ends_at), for all SKUs or a list."""

    id: str
    price_list_id: str
    name: str
    kind: PromotionKind
    value: int
    starts_at: datetime
    ends_at: datetime
    skus: tuple[str, ...] | None = None  # None: every SKU of the price list
    ended_at: datetime | None = None  # set when a person ended it early

    @property
    def effective_end(self) -> datetime:
        """When it really stops: its planned end, or earlier if ended by hand."""
        if self.ended_at is None:
            return self.ends_at
        return min(self.ends_at, max(self.ended_at, self.starts_at))

    def is_active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.effective_end

    def applies_to(self, sku: str) -> bool:
        return self.skus is None or sku in self.skus


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of `quantity` units of a SKU at one moment."""

    sku: str
    quantity: int
    list_unit_price: Money  # the tier price, before any promotion
    unit_price: Money  # after the best promotion for the customer
    promotion_id: str | None
    line_total: Money  # unit_price * quantity

    @property
    def unit_discount(self) -> Money:
        return self.list_unit_price - self.unit_price


def normalise_sku(sku: str) -> str:
    """Upper-case, trimmed, and shaped like a catalog SKU."""
    clean = sku.strip().upper()
    if not SKU_PATTERN.match(clean):
        raise InvalidData(
            f"SKU {sku!r} must be 2-64 characters of A-Z, 0-9, '.', '_' or '-'",
            code="invalid_sku", sku=sku,
        )
    return clean


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_currency(currency: str) -> None:
    if not is_currency(currency):
        raise InvalidData(f"{currency!r} is not an ISO 4217 currency code",
                          code="invalid_currency", currency=currency)


def validate_price_list(price_list: PriceList) -> None:
    if not price_list.name.strip():
        raise InvalidData("a price list needs a name", code="invalid_name")
    validate_currency(price_list.currency)


def normalise_tiers(sku: str, tiers: Iterable[PriceTier]) -> tuple[PriceTier, ...]:
    """Tiers sorted by min_quantity, checked: min 1 present, quantities unique, amounts > 0."""
    ordered = tuple(sorted(tiers, key=lambda t: t.min_quantity))
    if not ordered:
        raise InvalidData(f"{sku}: a price needs at least one tier", code="no_tiers", sku=sku)
    for tier in ordered:
        if not _is_int(tier.min_quantity) or tier.min_quantity < 1:
            raise InvalidData(f"{sku}: a tier's minimum quantity must be a whole number >= 1",
                              code="invalid_min_quantity", sku=sku)
        if not _is_int(tier.amount) or tier.amount <= 0:
            raise InvalidData(f"{sku}: a tier price must be > 0 minor units, got {tier.amount!r}",
                              code="invalid_amount", sku=sku)
    if ordered[0].min_quantity != 1:
        raise InvalidData(f"{sku}: the tiers need one starting at quantity 1",
                          code="missing_base_tier", sku=sku)
    for lower, higher in pairwise(ordered):
        if higher.min_quantity <= lower.min_quantity:
            raise InvalidData(f"{sku}: two tiers start at quantity {higher.min_quantity}",
                              code="duplicate_tier", sku=sku)
    return ordered


def validate_promotion(promotion: Promotion) -> None:
    """Every invariant of a promotion, checked before it is stored."""
    if not promotion.name.strip():
        raise InvalidData("a promotion needs a name", code="invalid_name")
    if not _is_int(promotion.value):
        raise InvalidData("a promotion's value is a whole number", code="invalid_promotion_value")
    if promotion.kind is PromotionKind.PERCENT_OFF and not 1 <= promotion.value <= MAX_BASIS_POINTS:
        raise InvalidData("a percentage off lies between 1 and 10000 basis points",
                          code="invalid_promotion_value")
    if promotion.kind is PromotionKind.AMOUNT_OFF and promotion.value <= 0:
        raise InvalidData("an amount off must be > 0 minor units", code="invalid_promotion_value")
    if promotion.starts_at.tzinfo is None or promotion.ends_at.tzinfo is None:
        raise InvalidData("a promotion's window needs timezone-aware times", code="naive_datetime")
    if promotion.starts_at >= promotion.ends_at:
        raise InvalidData("a promotion must start before it ends", code="invalid_window")
    if promotion.skus is not None:
        if not promotion.skus:
            raise InvalidData("a promotion scoped to SKUs needs at least one SKU",
                              code="empty_promotion_scope")
        if len(set(promotion.skus)) != len(promotion.skus):
            raise InvalidData("a promotion's SKUs repeat", code="duplicate_sku")


def tier_for(tiers: Sequence[PriceTier], quantity: int) -> PriceTier:
    """The tier with the largest min_quantity that `quantity` reaches."""
    if not _is_int(quantity) or quantity < 1:
        raise InvalidData(f"quantity must be a whole number >= 1, got {quantity!r}",
                          code="invalid_quantity")
    reached = [t for t in tiers if t.min_quantity <= quantity]
    if not reached:
        raise InvalidData(f"no tier covers quantity {quantity}", code="missing_base_tier")
    return max(reached, key=lambda t: t.min_quantity)


def promoted_amount(amount: int, currency: str, promotion: Promotion) -> int:
    """A unit price after one promotion, never below MIN_UNIT_PRICE."""
    if promotion.kind is PromotionKind.PERCENT_OFF:
        after = Money(amount, currency).percent_off(promotion.value).amount
    else:
        after = amount - promotion.value
    return max(after, MIN_UNIT_PRICE)


def best_promotion(
    amount: int, currency: str, sku: str, promotions: Iterable[Promotion], at: datetime
) -> tuple[int, str | None]:
    """The lowest unit price any promotion active at `at` gives `sku`, and which one gave it.

    Ties go to the smallest promotion id, so the answer never depends on load order.
    """
    best: tuple[int, str | None] = (amount, None)
    for promotion in sorted(promotions, key=lambda p: p.id):
        if not (promotion.is_active(at) and promotion.applies_to(sku)):
            continue
        after = promoted_amount(amount, currency, promotion)
        if after < best[0]:
            best = (after, promotion.id)
    return best


def resolve_quote(
    currency: str, sku: str, tiers: Sequence[PriceTier], quantity: int,
    promotions: Iterable[Promotion], at: datetime,
) -> Quote:
    """Price `quantity` units of `sku` at `at`: tier price, then the best active promotion."""
    tier = tier_for(tiers, quantity)
    unit, promotion_id = best_promotion(tier.amount, currency, sku, promotions, at)
    return Quote(
        sku=sku,
        quantity=quantity,
        list_unit_price=Money(tier.amount, currency),
        unit_price=Money(unit, currency),
        promotion_id=promotion_id,
        line_total=Money(unit * quantity, currency),
    )


def next_price_change(promotions: Iterable[Promotion], at: datetime) -> datetime | None:
    """The first moment after `at` at which a promotion starts or stops, or None.

    Read-model caches keep a price until then; price edits arrive as events instead.
    """
    boundaries = [
        moment
        for p in promotions
        if p.starts_at < p.effective_end  # a promotion ended before it began never acts
        for moment in (p.starts_at, p.effective_end)
        if moment > at
    ]
    return min(boundaries, default=None)
