"""Orders read side."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.kernel.errors import NotFound
from hansa.orders import store

_ORDER_FIELDS = ("id", "number", "channel_id", "status", "payment_status", "currency",
                 "subtotal", "discount", "total", "email", "shipping_address", "placed_at",
                 "cancel_reason")


def order_view(values: Mapping[str, Any], lines: Iterable[Any]) -> dict[str, Any]:
    """The public shape of an order, from its row (or the values just inserted) and lines."""
    view = {name: values.get(name) for name in _ORDER_FIELDS}
    view["lines"] = [
        {"sku": ln.sku, "product_id": ln.product_id, "quantity": ln.quantity,
         "list_unit_price": ln.list_unit_price, "unit_price": ln.unit_price,
         "line_total": ln.unit_price * ln.quantity, "promotion_id": ln.promotion_id}
        for ln in sorted(lines, key=lambda ln: ln.sku)
    ]
    return view


def order(conn: Connection, order_id: str, *, channel_id: str | None = None) -> dict[str, Any]:
    """An order with its lines; scoped to a channel when `channel_id` is given."""
    row = store.order_row(conn, order_id)
    if row is None or (channel_id is not None and row.channel_id != channel_id):
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order_view(dict(row._mapping), store.line_rows(conn, order_id))


def orders(conn: Connection, *, status: str | None = None, limit: int = 50,
           offset: int = 0) -> list[dict[str, Any]]:
    query = (sa.select(store.orders.c.id, store.orders.c.number, store.orders.c.status,
                       store.orders.c.payment_status, store.orders.c.currency,
                       store.orders.c.total, store.orders.c.placed_at, store.orders.c.channel_id)
             .order_by(store.orders.c.placed_at.desc(), store.orders.c.id.desc())
             .limit(limit).offset(offset))
    if status is not None:
        query = query.where(store.orders.c.status == status)
    return [dict(r._mapping) for r in conn.execute(query)]


def order_count(conn: Connection, *, status: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(store.orders)
    if status is not None:
        query = query.where(store.orders.c.status == status)
    return conn.execute(query).scalar_one()


def cart(conn: Connection, cart_id: str, *, channel_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(store.carts).where(
        store.carts.c.id == cart_id, store.carts.c.channel_id == channel_id)).first()
    if row is None:
        raise NotFound(f"no cart {cart_id}", code="cart_not_found")
    return {"id": row.id, "status": row.status,
            "lines": [{"sku": s, "quantity": q} for s, q in store.cart_lines_of(conn, cart_id)]}


def order_for_key(conn: Connection, channel_id: str, key: str) -> str | None:
    return conn.execute(sa.select(store.idempotency_keys.c.order_id).where(
        store.idempotency_keys.c.channel_id == channel_id,
        store.idempotency_keys.c.key == key)).scalar_one_or_none()


def hold_reason(conn: Connection, order_id: str) -> str | None:
    """Why an order is held, or None when it is not."""
    row = conn.execute(sa.select(store.orders.c.hold_reason)
                       .where(store.orders.c.id == order_id)).first()
    if row is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return row.hold_reason
