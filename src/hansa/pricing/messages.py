"""Pricing commands and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class NewTier:
    """From `min_quantity` units up, each unit costs `amount` minor units of the list's currency."""

    min_quantity: int
    amount: int


@dataclass(frozen=True, slots=True)
class CreatePriceList(Command):
    name: str
    currency: str
    price_list_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetPrices(Command):
    """Upsert prices for many SKUs; each listed SKU's tiers replace the ones it had."""

    price_list_id: str
    prices: dict[str, list[NewTier]]


@dataclass(frozen=True, slots=True)
class RemovePrice(Command):
    """Take a SKU off a price list (every tier); it can no longer be sold through that list."""

    price_list_id: str
    sku: str


@dataclass(frozen=True, slots=True)
class SetCost(Command):
    """The cost of goods sold for one unit of a SKU, in minor units of `currency`."""

    sku: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class CreatePromotion(Command):
    """A discount on one price list during [starts_at, ends_at).

    Give exactly one of `percent_off_bp` (basis points, 1500 = 15%) or `amount_off` (minor
    units of the price list's currency, off each unit). `skus` None means every SKU.
    """

    price_list_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    percent_off_bp: int | None = None
    amount_off: int | None = None
    skus: list[str] | None = None
    promotion_id: str | None = None


@dataclass(frozen=True, slots=True)
class EndPromotion(Command):
    """Stop a promotion now, before its planned end."""

    promotion_id: str


@dataclass(frozen=True)
class PriceListCreated(Event):
    context = "pricing"
    price_list_id: str
    name: str
    currency: str

    def subject(self) -> str:
        return self.price_list_id


@dataclass(frozen=True)
class PricesChanged(Event):
    """The tiers of these SKUs changed on this price list (only SKUs that really changed)."""

    context = "pricing"
    price_list_id: str
    skus: list[str]

    def subject(self) -> str:
        return self.price_list_id


@dataclass(frozen=True)
class PriceRemoved(Event):
    context = "pricing"
    price_list_id: str
    sku: str

    def subject(self) -> str:
        return self.price_list_id


@dataclass(frozen=True)
class CostChanged(Event):
    """A SKU's COGS changed; previous_* are None the first time a cost is set."""

    context = "pricing"
    sku: str
    amount: int
    currency: str
    previous_amount: int | None
    previous_currency: str | None

    def subject(self) -> str:
        return self.sku


@dataclass(frozen=True)
class PromotionCreated(Event):
    """`value` is basis points for percent_off, minor units per unit for amount_off."""

    context = "pricing"
    promotion_id: str
    price_list_id: str
    kind: str
    value: int
    starts_at: str  # ISO 8601, UTC
    ends_at: str
    skus: list[str] | None

    def subject(self) -> str:
        return self.promotion_id


@dataclass(frozen=True)
class PromotionEnded(Event):
    context = "pricing"
    promotion_id: str
    price_list_id: str
    ended_at: str  # ISO 8601, UTC

    def subject(self) -> str:
        return self.promotion_id
