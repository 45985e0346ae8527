"""Catalog commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class NewVariant:
    sku: str
    title: str
    gtin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    weight_grams: int = 0


@dataclass(frozen=True, slots=True)
class CreateProduct(Command):
    handle: str
    title: str
    variants: list[NewVariant]
    description: str = ""
    category: str = "general"
    inventory_model: str = "mts"
    lead_time_hours: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    media: list[str] = field(default_factory=list)
    components: list[tuple[str, int]] = field(default_factory=list)
    product_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateProduct(Command):
    """Change some fields of a product; fields left None stay as they are."""

    product_id: str
    title: str | None = None
    description: str | None = None
    category: str | None = None
    attributes: dict[str, str] | None = None
    media: list[str] | None = None
    lead_time_hours: int | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class AddVariant(Command):
    product_id: str
    variant: NewVariant


@dataclass(frozen=True)
class ProductCreated(Event):
    context = "catalog"
    product_id: str
    handle: str
    skus: list[str]
    inventory_model: str

    def subject(self) -> str:
        return self.product_id


@dataclass(frozen=True)
class ProductUpdated(Event):
    context = "catalog"
    product_id: str
    changed: list[str]

    def subject(self) -> str:
        return self.product_id


@dataclass(frozen=True)
class ProductAttributesChanged(Event):
    """E.g. material composition "100% cotton" -> "98% organic cotton, 2% elastane"."""

    context = "catalog"
    product_id: str
    changes: dict[str, Any]

    def subject(self) -> str:
        return self.product_id


@dataclass(frozen=True)
class VariantAdded(Event):
    context = "catalog"
    product_id: str
    sku: str

    def subject(self) -> str:
        return self.product_id
