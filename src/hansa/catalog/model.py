"""Pure catalog domain: products with variants and an inventory model (MTS, MTO, CTO)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from hansa.kernel.errors import InvalidData

SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,63}$")
HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
MAX_LEAD_TIME_HOURS = 24 * 365


class InventoryModel(enum.StrEnum):
    """How a product becomes available: from stock, made to order, or configured from components."""

    MTS = "mts"  # made to stock: sell what is on hand
    MTO = "mto"  # made to order: the supplier makes it within lead_time_hours
    CTO = "cto"  # configure to order: availability computed from the components


@dataclass(frozen=True, slots=True)
class Component:
    """One line of a CTO product's bill of components."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Variant:
    sku: str
    title: str
    gtin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    weight_grams: int = 0


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    handle: str
    title: str
    description: str
    category: str
    inventory_model: InventoryModel
    variants: tuple[Variant, ...]
    attributes: dict[str, str] = field(default_factory=dict)
    media: tuple[str, ...] = ()
    lead_time_hours: int | None = None
    components: tuple[Component, ...] = ()
    active: bool = True


def gtin_is_valid(gtin: str) -> bool:
    """GTIN-8/12/13/14 with a correct GS1 check digit."""
    from stdnum import ean  # python-stdnum: GS1 check digits

    return len(gtin) in (8, 12, 13, 14) and ean.is_valid(gtin)


def validate_variant(variant: Variant) -> None:
    if not SKU_PATTERN.match(variant.sku):
        raise InvalidData(
            f"SKU {variant.sku!r} must be 2-64 characters of A-Z, 0-9, '.', '_' or '-'",
            code="invalid_sku", sku=variant.sku,
        )
    if variant.gtin is not None and not gtin_is_valid(variant.gtin):
        raise InvalidData(
            f"GTIN {variant.gtin!r} of {variant.sku} fails its GS1 check digit",
            code="invalid_gtin", sku=variant.sku, gtin=variant.gtin,
        )
    if variant.weight_grams < 0:
        raise InvalidData(f"{variant.sku}: weight cannot be negative", code="invalid_weight")
    if not variant.title.strip():
        raise InvalidData(f"{variant.sku}: a variant needs a title", code="invalid_title")


def validate_product(product: Product) -> None:
    """Every invariant of a product, checked before it is stored."""
    if not HANDLE_PATTERN.match(product.handle):
        raise InvalidData(
            f"handle {product.handle!r} must be lowercase letters, digits and '-'",
            code="invalid_handle",
        )
    if not product.title.strip():
        raise InvalidData("a product needs a title", code="invalid_title")
    if not product.variants:
        raise InvalidData(f"{product.handle}: a product needs at least one variant",
                          code="no_variants")
    skus = [v.sku for v in product.variants]
    if len(set(skus)) != len(skus):
        raise InvalidData(f"{product.handle}: SKUs repeat within the product", code="duplicate_sku")
    for variant in product.variants:
        validate_variant(variant)
    _validate_inventory_model(product)


def _validate_inventory_model(product: Product) -> None:
    model = product.inventory_model
    if model is InventoryModel.MTO:
        lead = product.lead_time_hours
        if lead is None or not 0 < lead <= MAX_LEAD_TIME_HOURS:
            raise InvalidData(
                f"{product.handle}: made-to-order needs a lead time of 1..{MAX_LEAD_TIME_HOURS} h",
                code="invalid_lead_time",
            )
    if model is InventoryModel.CTO:
        if not product.components:
            raise InvalidData(f"{product.handle}: configure-to-order needs components",
                              code="no_components")
        for component in product.components:
            if component.quantity <= 0:
                raise InvalidData(
                    f"{product.handle}: component {component.sku} quantity must be > 0",
                    code="invalid_component")
            if component.sku in {v.sku for v in product.variants}:
                raise InvalidData(f"{product.handle}: a product cannot be its own component",
                                  code="invalid_component")
    elif product.components:
        raise InvalidData(f"{product.handle}: only configure-to-order products have components",
                          code="invalid_component")


def attribute_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str | None]]:
    """Which attributes changed, as {name: [old, new]} (None for added or removed)."""
    names = sorted(set(before) | set(after))
    return {n: [before.get(n), after.get(n)] for n in names if before.get(n) != after.get(n)}
