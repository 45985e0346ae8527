"""Catalog tables and the repository that maps them to the pure model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.catalog.model import Component, InventoryModel, Product, Variant
from hansa.db.metadata import Json, UtcDateTime, metadata

products = sa.Table(
    "catalog_products",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("handle", sa.String(120), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("category", sa.String(120), nullable=False, index=True),
    sa.Column("inventory_model", sa.String(8), nullable=False),
    sa.Column("lead_time_hours", sa.Integer()),
    sa.Column("attributes", Json, nullable=False),
    sa.Column("media", Json, nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, default=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

variants = sa.Table(
    "catalog_variants",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("product_id", sa.String(36), sa.ForeignKey("catalog_products.id"), nullable=False,
              index=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("gtin", sa.String(14), unique=True),
    sa.Column("options", Json, nullable=False),
    sa.Column("weight_grams", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
)

components = sa.Table(
    "catalog_components",
    metadata,
    sa.Column("product_id", sa.String(36), sa.ForeignKey("catalog_products.id"), primary_key=True),
    sa.Column("component_sku", sa.String(64), primary_key=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
)


def _variant(row: sa.Row) -> Variant:
    return Variant(sku=row.sku, title=row.title, gtin=row.gtin, options=dict(row.options),
                   weight_grams=row.weight_grams)


# Built once: SQLAlchemy then skips constructing them and computing their cache keys per call.
_ALL_PRODUCTS = sa.select(products).order_by(products.c.handle)
_PRODUCTS_BY_ID = _ALL_PRODUCTS.where(products.c.id.in_(sa.bindparam("ids", expanding=True)))
_VARIANTS_OF = (sa.select(variants)
                .where(variants.c.product_id.in_(sa.bindparam("ids", expanding=True)))
                .order_by(variants.c.product_id, variants.c.position, variants.c.sku))
_COMPONENTS_OF = sa.select(components).where(
    components.c.product_id.in_(sa.bindparam("ids", expanding=True)))


def load_products(conn: Connection, ids: Iterable[str] | None = None) -> list[Product]:
    """Products with their variants and components, in handle order."""
    rows = list(conn.execute(_ALL_PRODUCTS) if ids is None
                else conn.execute(_PRODUCTS_BY_ID, {"ids": list(ids)}))
    if not rows:
        return []
    wanted = [r.id for r in rows]
    by_product: dict[str, list[Variant]] = {pid: [] for pid in wanted}
    for v in conn.execute(_VARIANTS_OF, {"ids": wanted}):
        by_product[v.product_id].append(_variant(v))
    parts: dict[str, list[Component]] = {pid: [] for pid in wanted}
    for c in conn.execute(_COMPONENTS_OF, {"ids": wanted}):
        parts[c.product_id].append(Component(sku=c.component_sku, quantity=c.quantity))
    return [
        Product(
            id=r.id, handle=r.handle, title=r.title, description=r.description,
            category=r.category, inventory_model=InventoryModel(r.inventory_model),
            variants=tuple(by_product[r.id]), attributes=dict(r.attributes),
            media=tuple(r.media), lead_time_hours=r.lead_time_hours,
            components=tuple(sorted(parts[r.id], key=lambda c: c.sku)), active=r.active,
        )
        for r in rows
    ]


def insert_product(conn: Connection, product: Product, at: datetime) -> None:
    conn.execute(products.insert().values(
        id=product.id, handle=product.handle, title=product.title,
        description=product.description, category=product.category,
        inventory_model=product.inventory_model.value, lead_time_hours=product.lead_time_hours,
        attributes=product.attributes, media=list(product.media), active=product.active,
        created_at=at, updated_at=at,
    ))
    insert_variants(conn, product.id, product.variants, start=0)
    if product.components:
        conn.execute(components.insert(), [
            {"product_id": product.id, "component_sku": c.sku, "quantity": c.quantity}
            for c in product.components
        ])


def insert_variants(conn: Connection, product_id: str, new: Iterable[Variant], start: int) -> None:
    rows = [
        {"sku": v.sku, "product_id": product_id, "title": v.title, "gtin": v.gtin,
         "options": v.options, "weight_grams": v.weight_grams, "position": start + i}
        for i, v in enumerate(new)
    ]
    if rows:
        conn.execute(variants.insert(), rows)


_UPDATE_PRODUCT = products.update().where(products.c.id == sa.bindparam("product_id")).values(
    {name: sa.bindparam(name) for name in ("title", "description", "category", "attributes",
                                           "media", "lead_time_hours", "active", "updated_at")})


def update_product(conn: Connection, product: Product, at: datetime) -> None:
    conn.execute(_UPDATE_PRODUCT, {
        "product_id": product.id, "title": product.title, "description": product.description,
        "category": product.category, "attributes": product.attributes,
        "media": list(product.media), "lead_time_hours": product.lead_time_hours,
        "active": product.active, "updated_at": at})


def existing_skus(conn: Connection, skus: Iterable[str]) -> set[str]:
    return set(conn.execute(sa.select(variants.c.sku).where(variants.c.sku.in_(list(skus))))
               .scalars())


def existing_gtins(conn: Connection, gtins: Iterable[str]) -> set[str]:
    wanted = [g for g in gtins if g]
    if not wanted:
        return set()
    return set(conn.execute(sa.select(variants.c.gtin).where(variants.c.gtin.in_(wanted)))
               .scalars())
