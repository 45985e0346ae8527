"""Catalog read side for heads and other contexts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.catalog import store
from hansa.catalog.model import Component, InventoryModel, Product
from hansa.kernel.errors import NotFound


def product(conn: Connection, product_id: str) -> Product:
    found = store.load_products(conn, [product_id])
    if not found:
        raise NotFound(f"no product {product_id}", code="product_not_found")
    return found[0]


def product_by_handle(conn: Connection, handle: str) -> Product:
    pid = conn.execute(
        sa.select(store.products.c.id).where(store.products.c.handle == handle)
    ).scalar_one_or_none()
    if pid is None:
        raise NotFound(f"no product with handle {handle!r}", code="product_not_found")
    return product(conn, pid)


def products(conn: Connection, ids: Iterable[str] | None = None, *,
             active_only: bool = False) -> list[Product]:
    found = store.load_products(conn, ids)
    return [p for p in found if p.active] if active_only else found


def product_ids(conn: Connection, *, category: str | None = None) -> list[str]:
    query = sa.select(store.products.c.id).order_by(store.products.c.handle)
    if category is not None:
        query = query.where(store.products.c.category == category)
    return list(conn.execute(query).scalars())


def product_of_skus(conn: Connection, skus: Iterable[str]) -> dict[str, str]:
    """SKU -> product id, for the SKUs that exist."""
    rows = conn.execute(
        sa.select(store.variants.c.sku, store.variants.c.product_id)
        .where(store.variants.c.sku.in_(list(skus)))
    )
    return {r.sku: r.product_id for r in rows}


def count(conn: Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(store.products)).scalar_one()


@dataclass(frozen=True, slots=True)
class SaleFacts:
    """What checkout needs to know about a SKU's product, without loading the whole product."""

    sku: str
    product_id: str
    category: str
    active: bool
    inventory_model: InventoryModel
    components: tuple[Component, ...]


_SALE_FACTS = (
    sa.select(store.variants.c.sku, store.products.c.id, store.products.c.category,
              store.products.c.active, store.products.c.inventory_model)
    .join(store.products, store.products.c.id == store.variants.c.product_id)
    .where(store.variants.c.sku.in_(sa.bindparam("skus", expanding=True)))
)
_COMPONENTS_OF = sa.select(store.components).where(
    store.components.c.product_id.in_(sa.bindparam("ids", expanding=True))
)


def sale_facts(conn: Connection, skus: Iterable[str]) -> dict[str, SaleFacts]:
    """SKU -> the facts of its product, for the SKUs that exist (two queries at most)."""
    rows = conn.execute(_SALE_FACTS, {"skus": list(skus)}).all()
    configured = [r.id for r in rows if r.inventory_model == InventoryModel.CTO.value]
    parts: dict[str, list[Component]] = {}
    if configured:
        for c in conn.execute(_COMPONENTS_OF, {"ids": configured}):
            parts.setdefault(c.product_id, []).append(Component(c.component_sku, c.quantity))
    return {
        r.sku: SaleFacts(sku=r.sku, product_id=r.id, category=r.category, active=r.active,
                         inventory_model=InventoryModel(r.inventory_model),
                         components=tuple(sorted(parts.get(r.id, []), key=lambda c: c.sku)))
        for r in rows
    }


_SHIPPING_FACTS = (
    sa.select(store.variants.c.sku, store.variants.c.weight_grams, store.products.c.attributes)
    .join(store.products, store.products.c.id == store.variants.c.product_id)
    .where(store.variants.c.sku.in_(sa.bindparam("skus", expanding=True)))
)


def shipping_facts(conn: Connection, skus: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """SKU -> (variant weight in grams, 0 when unknown; whether its product's `bulky`
    attribute says so), for the SKUs that exist: what a rate card needs, in one query."""
    return {r.sku: (int(r.weight_grams or 0),
                    str(r.attributes.get("bulky", "")).lower() in ("true", "yes", "1"))
            for r in conn.execute(_SHIPPING_FACTS, {"skus": list(skus)})}


def skus_in_category(conn: Connection, category: str, *, active_only: bool = True
                     ) -> list[str]:
    """The SKUs of the products in `category` (case-insensitive), in SKU order."""
    p, v = store.products, store.variants
    query = (sa.select(v.c.sku).join(p, p.c.id == v.c.product_id)
             .where(sa.func.lower(p.c.category) == category.strip().lower())
             .order_by(v.c.sku))
    if active_only:
        query = query.where(p.c.active.is_(True))
    return list(conn.execute(query).scalars())
