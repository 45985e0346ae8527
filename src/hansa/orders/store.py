"""Orders tables: carts, orders and lines, payments, idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.metadata import Json, UtcDateTime, metadata
from hansa.orders.model import PricedLine

carts = sa.Table(
    "orders_carts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("channel_id", sa.String(36), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # open, ordered
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

cart_lines = sa.Table(
    "orders_cart_lines",
    metadata,
    sa.Column("cart_id", sa.String(36), sa.ForeignKey("orders_carts.id"), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
)

orders = sa.Table(
    "orders_orders",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("number", sa.String(16), nullable=False, unique=True),
    sa.Column("channel_id", sa.String(36), nullable=False, index=True),
    sa.Column("cart_id", sa.String(36)),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("payment_status", sa.String(12), nullable=False),
    sa.Column("payment_provider", sa.String(32), nullable=False),
    sa.Column("payment_reference", sa.String(120), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("subtotal", sa.BigInteger(), nullable=False),
    sa.Column("discount", sa.BigInteger(), nullable=False),
    sa.Column("total", sa.BigInteger(), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("shipping_address", Json, nullable=False),
    sa.Column("placed_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("cancel_reason", sa.String(300)),
    sa.Column("hold_reason", sa.String(300)),  # set while held: capture is refused
)

order_lines = sa.Table(
    "orders_lines",
    metadata,
    sa.Column("order_id", sa.String(36), sa.ForeignKey("orders_orders.id"), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("product_id", sa.String(36), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("list_unit_price", sa.BigInteger(), nullable=False),
    sa.Column("unit_price", sa.BigInteger(), nullable=False),
    sa.Column("promotion_id", sa.String(36)),
)

idempotency_keys = sa.Table(
    "orders_idempotency_keys",
    metadata,
    sa.Column("channel_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(120), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("order_id", sa.String(36), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)


def cart_lines_of(conn: Connection, cart_id: str) -> list[tuple[str, int]]:
    rows = conn.execute(sa.select(cart_lines.c.sku, cart_lines.c.quantity)
                        .where(cart_lines.c.cart_id == cart_id).order_by(cart_lines.c.sku))
    return [(r.sku, r.quantity) for r in rows]


def insert_lines(conn: Connection, order_id: str, lines: Sequence[PricedLine]) -> None:
    conn.execute(order_lines.insert(), [
        {"order_id": order_id, "sku": ln.sku, "product_id": ln.product_id,
         "quantity": ln.quantity, "list_unit_price": ln.list_unit_price,
         "unit_price": ln.unit_price, "promotion_id": ln.promotion_id}
        for ln in lines
    ])


_UPDATE_ORDER = orders.update().where(orders.c.id == sa.bindparam("k_id"))
_ORDER = sa.select(orders).where(orders.c.id == sa.bindparam("id"))
_ORDER_LOCKED = _ORDER.with_for_update()
_LINES = sa.select(order_lines).where(order_lines.c.order_id == sa.bindparam("id"))


def order_row(conn: Connection, order_id: str, *, lock: bool = False) -> sa.Row | None:
    """The order's row; `lock` takes its row lock on PostgreSQL (SQLite has one writer)."""
    locked = lock and conn.dialect.name == "postgresql"
    return conn.execute(_ORDER_LOCKED if locked else _ORDER, {"id": order_id}).first()


def line_rows(conn: Connection, order_id: str) -> sa.CursorResult:
    return conn.execute(_LINES, {"id": order_id})


def set_status(conn: Connection, order_id: str, at: datetime, **values: object) -> None:
    """Set the given columns and `updated_at` (the SET clause follows the parameters)."""
    conn.execute(_UPDATE_ORDER, {"k_id": order_id, "updated_at": at, **values})
