"""Request bodies of the HTTP API (pydantic at the edge only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(Body):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=300)
    line2: str = Field(default="", max_length=300)
    city: str = Field(min_length=1, max_length=120)
    region: str = Field(default="", max_length=120)
    postal_code: str = Field(min_length=1, max_length=16)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")


class LineIn(Body):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class CheckoutIn(Body):
    email: str = Field(min_length=3, max_length=320)
    address: AddressIn
    cart_id: str | None = None
    lines: list[LineIn] = Field(default_factory=list, max_length=200)


class CartLineIn(Body):
    quantity: int = Field(ge=0, le=10_000)


class VariantIn(Body):
    sku: str = Field(min_length=2, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    gtin: str | None = Field(default=None, max_length=14)
    options: dict[str, str] = Field(default_factory=dict)
    weight_grams: int = Field(default=0, ge=0)


class ComponentIn(Body):
    sku: str
    quantity: int = Field(ge=1)


class ProductIn(Body):
    handle: str
    title: str
    description: str = ""
    category: str = "general"
    inventory_model: str = Field(default="mts", pattern="^(mts|mto|cto)$")
    lead_time_hours: int | None = Field(default=None, ge=1)
    attributes: dict[str, str] = Field(default_factory=dict)
    media: list[str] = Field(default_factory=list)
    variants: list[VariantIn] = Field(min_length=1)
    components: list[ComponentIn] = Field(default_factory=list)


class ProductPatch(Body):
    title: str | None = None
    description: str | None = None
    category: str | None = None
    attributes: dict[str, str] | None = None
    media: list[str] | None = None
    lead_time_hours: int | None = Field(default=None, ge=1)
    active: bool | None = None


class LocationIn(Body):
    code: str
    name: str
    kind: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    country: str = Field(min_length=2, max_length=2)
    postal_code: str = ""
    service_radius_km: float = Field(default=0, ge=0)


class StockReceiptIn(Body):
    sku: str
    location_id: str
    quantity: int = Field(ge=1)
    reference: str = ""


class StockAdjustmentIn(Body):
    sku: str
    location_id: str
    delta: int
    reason: str = Field(min_length=1, max_length=200)


class TierIn(Body):
    min_quantity: int = Field(ge=1)
    amount: int = Field(ge=1, description="minor units of the price list's currency")


class PriceIn(Body):
    sku: str
    tiers: list[TierIn] = Field(min_length=1)


class PriceListIn(Body):
    name: str
    currency: str = Field(min_length=3, max_length=3)


class PricesIn(Body):
    prices: list[PriceIn] = Field(min_length=1, max_length=5000)


class PromotionIn(Body):
    name: str
    kind: str = Field(pattern="^(percentage|fixed)$")
    value: int = Field(ge=1, description="basis points for percentage, minor units for fixed")
    starts_at: datetime
    ends_at: datetime
    skus: list[str] | None = None


class CostIn(Body):
    amount: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)


class ChannelIn(Body):
    key: str
    name: str
    kind: str
    currency: str = Field(min_length=3, max_length=3)
    locale: str
    price_list_id: str
    assortment_product_ids: list[str] | None = None
    assortment_categories: list[str] | None = None


class CancelIn(Body):
    reason: str = Field(min_length=1, max_length=300)
