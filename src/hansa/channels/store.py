"""Channel tables and the repository that maps them to the pure model."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.channels.model import Assortment, Channel, ChannelKind
from hansa.db.metadata import Json, UtcDateTime, metadata

channels = sa.Table(
    "channels_channels",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("locale", sa.String(35), nullable=False),
    sa.Column("price_list_id", sa.String(36), nullable=False, index=True),  # pricing's; no FK
    sa.Column("all_products", sa.Boolean(), nullable=False, default=True),
    sa.Column("product_ids", Json, nullable=False),
    sa.Column("categories", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


def _channel(row: sa.Row) -> Channel:
    return Channel(
        id=row.id, key=row.key, name=row.name, kind=ChannelKind(row.kind),
        currency=row.currency, locale=row.locale, price_list_id=row.price_list_id,
        assortment=Assortment(all_products=row.all_products,
                              product_ids=tuple(row.product_ids),
                              categories=tuple(row.categories)),
    )


def _columns(channel: Channel) -> dict[str, object]:
    return {
        "name": channel.name, "locale": channel.locale, "price_list_id": channel.price_list_id,
        "all_products": channel.assortment.all_products,
        "product_ids": list(channel.assortment.product_ids),
        "categories": list(channel.assortment.categories),
    }


_CHANNEL = sa.select(channels).where(channels.c.id == sa.bindparam("channel_id"))
_CHANNEL_LOCKED = _CHANNEL.with_for_update()


def load_channel(conn: Connection, channel_id: str, *, for_update: bool = False) -> Channel | None:
    query = _CHANNEL_LOCKED if for_update else _CHANNEL
    row = conn.execute(query, {"channel_id": channel_id}).first()
    return None if row is None else _channel(row)


def load_channel_by_key(conn: Connection, key: str) -> Channel | None:
    row = conn.execute(sa.select(channels).where(channels.c.key == key)).first()
    return None if row is None else _channel(row)


def load_channels(conn: Connection) -> list[Channel]:
    return [_channel(r) for r in conn.execute(sa.select(channels).order_by(channels.c.key))]


def insert_channel(conn: Connection, channel: Channel, at: datetime) -> None:
    conn.execute(channels.insert().values(
        id=channel.id, key=channel.key, kind=channel.kind.value, currency=channel.currency,
        created_at=at, updated_at=at, **_columns(channel),
    ))


def update_channel(conn: Connection, channel: Channel, at: datetime) -> None:
    conn.execute(channels.update().where(channels.c.id == channel.id).values(
        updated_at=at, **_columns(channel)))
