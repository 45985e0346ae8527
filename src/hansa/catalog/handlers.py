"""Catalog use cases: create and change products, record what changed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.catalog import store
from hansa.catalog.messages import (
    AddVariant,
    CreateProduct,
    NewVariant,
    ProductAttributesChanged,
    ProductCreated,
    ProductUpdated,
    UpdateProduct,
    VariantAdded,
)
from hansa.catalog.model import (
    Component,
    InventoryModel,
    Product,
    Variant,
    attribute_changes,
    validate_product,
)
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.ids import new_id


def _variant(new: NewVariant) -> Variant:
    return Variant(sku=new.sku.strip().upper(), title=new.title, gtin=new.gtin or None,
                   options=dict(new.options), weight_grams=new.weight_grams)


def _check_unique(uow: UnitOfWork, variants: tuple[Variant, ...]) -> None:
    taken = store.existing_skus(uow.conn, [v.sku for v in variants])
    if taken:
        raise Conflict(f"SKU already in the catalog: {', '.join(sorted(taken))}",
                       code="sku_taken", skus=sorted(taken))
    gtins = store.existing_gtins(uow.conn, [v.gtin for v in variants if v.gtin])
    if gtins:
        raise Conflict(f"GTIN already in the catalog: {', '.join(sorted(gtins))}",
                       code="gtin_taken")


def create_product(cmd: CreateProduct, uow: UnitOfWork) -> str:
    try:
        model = InventoryModel(cmd.inventory_model)
    except ValueError:
        raise InvalidData(
            f"inventory model must be one of mts, mto, cto; got {cmd.inventory_model!r}",
            code="invalid_inventory_model") from None
    product = Product(
        id=cmd.product_id or new_id(),
        handle=cmd.handle,
        title=cmd.title,
        description=cmd.description,
        category=cmd.category,
        inventory_model=model,
        variants=tuple(_variant(v) for v in cmd.variants),
        attributes=dict(cmd.attributes),
        media=tuple(cmd.media),
        lead_time_hours=cmd.lead_time_hours,
        components=tuple(Component(sku=s.strip().upper(), quantity=q) for s, q in cmd.components),
    )
    validate_product(product)
    if uow.conn.execute(sa.select(store.products.c.id).where(
            store.products.c.handle == product.handle)).first():
        raise Conflict(f"handle {product.handle!r} is taken", code="handle_taken")
    _check_unique(uow, product.variants)
    store.insert_product(uow.conn, product, uow.now())
    uow.record(ProductCreated(product_id=product.id, handle=product.handle,
                              skus=[v.sku for v in product.variants],
                              inventory_model=product.inventory_model.value))
    return product.id


def _load(uow: UnitOfWork, product_id: str) -> Product:
    found = store.load_products(uow.conn, [product_id])
    if not found:
        raise NotFound(f"no product {product_id}", code="product_not_found")
    return found[0]


def update_product(cmd: UpdateProduct, uow: UnitOfWork) -> None:
    before = _load(uow, cmd.product_id)
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("title", cmd.title), ("description", cmd.description), ("category", cmd.category),
            ("attributes", cmd.attributes), ("lead_time_hours", cmd.lead_time_hours),
            ("active", cmd.active),
        )
        if value is not None
    }
    if cmd.media is not None:
        changes["media"] = tuple(cmd.media)
    after = replace(before, **changes)
    validate_product(after)
    changed = sorted(k for k in changes if getattr(before, k) != getattr(after, k))
    if not changed:
        return
    store.update_product(uow.conn, after, uow.now())
    uow.record(ProductUpdated(product_id=after.id, changed=changed))
    diff = attribute_changes(before.attributes, after.attributes)
    if diff:
        uow.record(ProductAttributesChanged(product_id=after.id, changes=diff))


def add_variant(cmd: AddVariant, uow: UnitOfWork) -> str:
    product = _load(uow, cmd.product_id)
    variant = _variant(cmd.variant)
    _check_unique(uow, (variant,))
    validate_product(replace(product, variants=(*product.variants, variant)))
    store.insert_variants(uow.conn, product.id, [variant], start=len(product.variants))
    uow.record(VariantAdded(product_id=product.id, sku=variant.sku))
    return variant.sku
