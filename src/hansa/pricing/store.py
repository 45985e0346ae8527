"""Pricing tables and the repository that maps them to the pure model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hansa.db.metadata import Json, UtcDateTime, metadata
from hansa.kernel.money import Money
from hansa.pricing.model import PriceList, PriceTier, Promotion, PromotionKind

price_lists = sa.Table(
    "pricing_price_lists",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

prices = sa.Table(
    "pricing_prices",
    metadata,
    sa.Column("price_list_id", sa.String(36), sa.ForeignKey("pricing_price_lists.id"),
              primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("min_quantity", sa.Integer(), primary_key=True),
    sa.Column("amount", sa.BigInteger(), nullable=False),  # minor units of the list's currency
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

costs = sa.Table(
    "pricing_costs",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("amount", sa.BigInteger(), nullable=False),  # minor units of `currency`
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

promotions = sa.Table(
    "pricing_promotions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("price_list_id", sa.String(36), sa.ForeignKey("pricing_price_lists.id"),
              nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("all_skus", sa.Boolean(), nullable=False, default=True),
    sa.Column("skus", Json, nullable=False),  # [] when all_skus
    sa.Column("ended_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_pricing_promotions_window", "price_list_id", "ends_at"),
)


def _price_list(row: sa.Row) -> PriceList:
    return PriceList(id=row.id, name=row.name, currency=row.currency)


# Read statements on the checkout path, built once (SQLAlchemy then skips rebuilding them and
# recomputing their cache keys per call).
_PRICE_LIST = sa.select(price_lists).where(price_lists.c.id == sa.bindparam("price_list_id"))
_PRICE_LIST_LOCKED = _PRICE_LIST.with_for_update()
_TIERS = (
    sa.select(prices.c.sku, prices.c.min_quantity, prices.c.amount)
    .where(prices.c.price_list_id == sa.bindparam("price_list_id"),
           prices.c.sku.in_(sa.bindparam("skus", expanding=True)))
    .order_by(prices.c.sku, prices.c.min_quantity)
)
_BASE_TIERS = _TIERS.where(prices.c.min_quantity == 1)
# One SKU's tiers (a quote, a feed row): no expanding IN list to render on every call.
_SKU_TIERS = (
    sa.select(prices.c.min_quantity, prices.c.amount)
    .where(prices.c.price_list_id == sa.bindparam("price_list_id"),
           prices.c.sku == sa.bindparam("sku"))
    .order_by(prices.c.min_quantity)
)
_DELETE_TIERS = prices.delete().where(prices.c.price_list_id == sa.bindparam("price_list_id"),
                                      prices.c.sku == sa.bindparam("sku"))


def load_price_list(conn: Connection, price_list_id: str, *,
                    for_update: bool = False) -> PriceList | None:
    """One price list; `for_update` locks its row so price writes to it queue up (PostgreSQL)."""
    query = _PRICE_LIST_LOCKED if for_update else _PRICE_LIST
    row = conn.execute(query, {"price_list_id": price_list_id}).first()
    return None if row is None else _price_list(row)


_SKU_COUNT = (sa.select(sa.func.count(sa.distinct(prices.c.sku)))
              .where(prices.c.price_list_id == sa.bindparam("price_list_id")))


def count_skus(conn: Connection, price_list_id: str) -> int:
    return int(conn.execute(_SKU_COUNT, {"price_list_id": price_list_id}).scalar() or 0)


def load_price_lists(conn: Connection) -> list[PriceList]:
    rows = conn.execute(sa.select(price_lists).order_by(price_lists.c.name))
    return [_price_list(r) for r in rows]


def price_list_name_taken(conn: Connection, name: str) -> bool:
    query = sa.select(price_lists.c.id).where(price_lists.c.name == name)
    return conn.execute(query).first() is not None


def insert_price_list(conn: Connection, price_list: PriceList, at: datetime) -> None:
    conn.execute(price_lists.insert().values(
        id=price_list.id, name=price_list.name, currency=price_list.currency, created_at=at))


def load_tiers(conn: Connection, price_list_id: str, skus: Iterable[str], *,
               base_only: bool = False) -> dict[str, tuple[PriceTier, ...]]:
    """SKU -> its tiers in min_quantity order, for the SKUs that have a price on the list."""
    query = _BASE_TIERS if base_only else _TIERS
    found: dict[str, list[PriceTier]] = {}
    for row in conn.execute(query, {"price_list_id": price_list_id, "skus": list(skus)}):
        found.setdefault(row.sku, []).append(PriceTier(row.min_quantity, row.amount))
    return {sku: tuple(tiers) for sku, tiers in found.items()}


def load_sku_tiers(conn: Connection, price_list_id: str, sku: str) -> tuple[PriceTier, ...]:
    """One SKU's tiers in min_quantity order; empty when it has no price on the list."""
    return tuple(PriceTier(q, amount) for q, amount in
                 conn.execute(_SKU_TIERS, {"price_list_id": price_list_id, "sku": sku}))


def replace_tiers(conn: Connection, price_list_id: str, sku: str,
                  tiers: Iterable[PriceTier], at: datetime) -> None:
    delete_tiers(conn, price_list_id, sku)
    conn.execute(prices.insert(), [
        {"price_list_id": price_list_id, "sku": sku, "min_quantity": t.min_quantity,
         "amount": t.amount, "updated_at": at}
        for t in tiers
    ])


def delete_tiers(conn: Connection, price_list_id: str, sku: str) -> int:
    """Remove every tier of a SKU from a price list; how many rows went."""
    return conn.execute(_DELETE_TIERS, {"price_list_id": price_list_id, "sku": sku}).rowcount


_COSTS_OF = sa.select(costs).where(costs.c.sku.in_(sa.bindparam("skus", expanding=True)))


def _cost_upsert(dialect: Any) -> Any:
    insert = dialect.insert(costs)
    return insert.on_conflict_do_update(index_elements=[costs.c.sku], set_={
        "amount": insert.excluded.amount, "currency": insert.excluded.currency,
        "updated_at": insert.excluded.updated_at})


_UPSERT_COST = {"postgresql": _cost_upsert(postgresql), "sqlite": _cost_upsert(sqlite)}


def load_costs(conn: Connection, skus: Iterable[str]) -> dict[str, Money]:
    rows = conn.execute(_COSTS_OF, {"skus": list(skus)})
    return {r.sku: Money(r.amount, r.currency) for r in rows}


def upsert_cost(conn: Connection, sku: str, cost: Money, at: datetime) -> None:
    """Insert or overwrite a SKU's cost in one statement, safe under concurrent writers."""
    conn.execute(_UPSERT_COST[conn.dialect.name], {
        "sku": sku, "amount": cost.amount, "currency": cost.currency, "updated_at": at})


def _promotion(row: sa.Row) -> Promotion:
    return Promotion(
        id=row.id, price_list_id=row.price_list_id, name=row.name,
        kind=PromotionKind(row.kind), value=row.value, starts_at=row.starts_at,
        ends_at=row.ends_at, skus=None if row.all_skus else tuple(row.skus),
        ended_at=row.ended_at,
    )


def insert_promotion(conn: Connection, promotion: Promotion, at: datetime) -> None:
    conn.execute(promotions.insert().values(
        id=promotion.id, price_list_id=promotion.price_list_id, name=promotion.name,
        kind=promotion.kind.value, value=promotion.value, starts_at=promotion.starts_at,
        ends_at=promotion.ends_at, all_skus=promotion.skus is None,
        skus=list(promotion.skus or ()), ended_at=promotion.ended_at, created_at=at,
    ))


def load_promotion(conn: Connection, promotion_id: str) -> Promotion | None:
    row = conn.execute(sa.select(promotions).where(promotions.c.id == promotion_id)).first()
    return None if row is None else _promotion(row)


_RUNNING_PROMOTIONS = (
    sa.select(promotions)
    .where(
        promotions.c.price_list_id == sa.bindparam("price_list_id"),
        promotions.c.starts_at <= sa.bindparam("at"),
        promotions.c.ends_at > sa.bindparam("at"),
        sa.or_(promotions.c.ended_at.is_(None), promotions.c.ended_at > sa.bindparam("at")),
    )
    .order_by(promotions.c.starts_at, promotions.c.id)
)


def load_promotions(conn: Connection, price_list_id: str, *,
                    running_after: datetime | None = None,
                    started_by: datetime | None = None) -> list[Promotion]:
    """A list's promotions by start; those running after `running_after`, begun by `started_by`."""
    if running_after is not None and running_after == started_by:
        rows = conn.execute(_RUNNING_PROMOTIONS, {"price_list_id": price_list_id,
                                                  "at": running_after})
        return [_promotion(r) for r in rows]
    query = (
        sa.select(promotions).where(promotions.c.price_list_id == price_list_id)
        .order_by(promotions.c.starts_at, promotions.c.id)
    )
    if started_by is not None:
        query = query.where(promotions.c.starts_at <= started_by)
    if running_after is not None:
        query = query.where(
            promotions.c.ends_at > running_after,
            sa.or_(promotions.c.ended_at.is_(None), promotions.c.ended_at > running_after),
        )
    return [_promotion(r) for r in conn.execute(query)]


def mark_promotion_ended(conn: Connection, promotion_id: str, at: datetime) -> None:
    conn.execute(promotions.update().where(promotions.c.id == promotion_id).values(ended_at=at))
