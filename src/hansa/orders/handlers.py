"""Orders use cases: carts and an idempotent checkout that never oversells."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.catalog import queries as catalog
from hansa.catalog.model import InventoryModel
from hansa.catalog.queries import SaleFacts
from hansa.channels import queries as channels
from hansa.channels.model import Channel, in_assortment
from hansa.inventory.messages import (
    ConfirmReservation,
    ReleaseReservation,
    ReservationExpired,
    ReserveStock,
)
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.geo import us_zip_position
from hansa.kernel.ids import new_id
from hansa.kernel.money import Money
from hansa.orders import messages as m
from hansa.orders import queries, store
from hansa.orders.model import (
    OrderStatus,
    PaymentStatus,
    PricedLine,
    fingerprint,
    order_number,
    totals,
    transition,
    validate_contact,
    validate_idempotency_key,
    validate_lines,
)
from hansa.orders.ports import PaymentProvider
from hansa.pricing import queries as pricing

_KEY_LOOKUP = sa.select(store.idempotency_keys).where(
    store.idempotency_keys.c.channel_id == sa.bindparam("channel_id"),
    store.idempotency_keys.c.key == sa.bindparam("key"),
)


def create_cart(cmd: m.CreateCart, uow: UnitOfWork) -> str:
    channels.channel(uow.conn, cmd.channel_id)
    cart_id = new_id()
    now = uow.now()
    uow.conn.execute(store.carts.insert().values(id=cart_id, channel_id=cmd.channel_id,
                                                 status="open", created_at=now, updated_at=now))
    return cart_id


def _open_cart(uow: UnitOfWork, cart_id: str, channel_id: str) -> None:
    row = uow.conn.execute(sa.select(store.carts.c.status).where(
        store.carts.c.id == cart_id, store.carts.c.channel_id == channel_id)).first()
    if row is None:
        raise NotFound(f"no cart {cart_id}", code="cart_not_found")
    if row.status != "open":
        raise Conflict(f"cart {cart_id} was already checked out", code="cart_closed")


def set_cart_line(cmd: m.SetCartLine, uow: UnitOfWork) -> None:
    _open_cart(uow, cmd.cart_id, cmd.channel_id)
    sku = cmd.sku.strip().upper()
    key = (store.cart_lines.c.cart_id == cmd.cart_id) & (store.cart_lines.c.sku == sku)
    uow.conn.execute(store.cart_lines.delete().where(key))
    if cmd.quantity < 0:
        raise InvalidData("quantity cannot be negative", code="invalid_quantity")
    if cmd.quantity > 0:
        validate_lines([(sku, cmd.quantity)])
        _sellable(uow, channels.channel(uow.conn, cmd.channel_id), [sku])
        uow.conn.execute(store.cart_lines.insert().values(cart_id=cmd.cart_id, sku=sku,
                                                          quantity=cmd.quantity))
    uow.conn.execute(store.carts.update().where(store.carts.c.id == cmd.cart_id)
                     .values(updated_at=uow.now()))


def _sellable(uow: UnitOfWork, channel: Channel, skus: list[str]) -> dict[str, SaleFacts]:
    """SKU -> its product's facts, for SKUs that exist, are active and sold on the channel."""
    facts = catalog.sale_facts(uow.conn, skus)
    missing = sorted(set(skus) - set(facts))
    if missing:
        raise NotFound(f"unknown SKU: {', '.join(missing)}", code="sku_not_found", skus=missing)
    for sku, fact in facts.items():
        if not fact.active or not in_assortment(channel, fact.product_id, fact.category):
            raise NotFound(f"{sku} is not sold on {channel.key}", code="sku_not_sold_here",
                           sku=sku)
    return facts


def _stock_lines(lines: list[tuple[str, int]],
                 products: dict[str, SaleFacts]) -> list[tuple[str, int]]:
    """What to reserve: MTS lines themselves, CTO lines as their components, MTO nothing."""
    wanted: list[tuple[str, int]] = []
    for sku, quantity in lines:
        product = products[sku]
        if product.inventory_model is InventoryModel.MTS:
            wanted.append((sku, quantity))
        elif product.inventory_model is InventoryModel.CTO:
            wanted.extend((c.sku, c.quantity * quantity) for c in product.components)
    return wanted


@dataclasses.dataclass(frozen=True, slots=True)
class Checkout:
    """What a checkout did: the order, and whether it was made now or by an earlier retry."""

    order_id: str
    replayed: bool
    view: dict[str, Any] | None = None  # the new order's public shape (None on a replay)


def place_order(cmd: m.PlaceOrder, uow: UnitOfWork, *, payments: PaymentProvider,
                reservation_ttl: timedelta) -> Checkout:
    """Check out; the same key with the same request returns the first order again."""
    validate_idempotency_key(cmd.idempotency_key)
    validate_contact(cmd.email, cmd.address)
    address = dataclasses.replace(cmd.address, country=cmd.address.country.upper())
    request = {"cart_id": cmd.cart_id, "email": cmd.email.strip(),
               "lines": sorted((sku.strip().upper(), qty) for sku, qty in cmd.lines),
               "address": dataclasses.asdict(address)}
    print_ = fingerprint(request)
    existing = uow.conn.execute(_KEY_LOOKUP, {"channel_id": cmd.channel_id,
                                              "key": cmd.idempotency_key}).first()
    if existing is not None:
        if existing.fingerprint != print_:
            raise Conflict("this Idempotency-Key was used for a different request",
                           code="idempotency_key_reused")
        return Checkout(order_id=str(existing.order_id), replayed=True)

    channel = channels.channel(uow.conn, cmd.channel_id)
    order_id = new_id()
    now = uow.now()
    # Claim the key first: a concurrent duplicate blocks here and then fails on the key.
    uow.conn.execute(store.idempotency_keys.insert(), {
        "channel_id": channel.id, "key": cmd.idempotency_key, "fingerprint": print_,
        "order_id": order_id, "created_at": now})

    if cmd.cart_id is not None:
        if cmd.lines:
            raise InvalidData("give a cart or lines, not both", code="cart_and_lines")
        _open_cart(uow, cmd.cart_id, channel.id)
        raw_lines = store.cart_lines_of(uow.conn, cmd.cart_id)
    else:
        raw_lines = [(sku.strip().upper(), qty) for sku, qty in cmd.lines]
    validate_lines(raw_lines)
    merged: dict[str, int] = {}
    for sku, qty in raw_lines:
        merged[sku] = merged.get(sku, 0) + qty
    lines = sorted(merged.items())
    validate_lines(lines)  # again: repeated SKUs can merge above the per-line maximum
    products = _sellable(uow, channel, [sku for sku, _ in lines])

    quotes = pricing.quotes_for(uow.conn, channel.price_list_id, dict(lines), now)
    priced = []
    for sku, quantity in lines:
        quote = quotes[sku]
        if quote.unit_price.amount <= 0:  # belt and braces: pricing never quotes <= 0
            raise Conflict(f"{sku} is quoted at {quote.unit_price.amount} minor units; no order "
                           "is taken at a price <= 0", code="bad_price", sku=sku)
        priced.append(PricedLine(sku=sku, product_id=products[sku].product_id, quantity=quantity,
                                 list_unit_price=quote.list_unit_price.amount,
                                 unit_price=quote.unit_price.amount,
                                 promotion_id=quote.promotion_id))
    total = totals(priced)

    stock = _stock_lines(lines, products)
    expires_at = now + reservation_ttl
    if stock:
        zip_position = (us_zip_position(cmd.address.postal_code)
                        if cmd.address.country.upper() == "US" else None)
        uow.execute(ReserveStock(
            reference=order_id, lines=stock, expires_at=expires_at,
            destination=(zip_position.lat, zip_position.lon) if zip_position else None))

    payment = payments.authorize(order_id, Money(total.total, channel.currency),
                                 f"{channel.id}:{cmd.idempotency_key}")
    number = order_number(order_id)
    values = {
        "id": order_id, "number": number, "channel_id": channel.id, "cart_id": cmd.cart_id,
        "status": OrderStatus.PLACED.value, "payment_status": payment.status.value,
        "payment_provider": payments.name, "payment_reference": payment.reference,
        "currency": channel.currency, "subtotal": total.subtotal, "discount": total.discount,
        "total": total.total, "email": cmd.email,
        "shipping_address": dataclasses.asdict(address), "placed_at": now,
        "updated_at": now}
    uow.conn.execute(store.orders.insert(), values)
    store.insert_lines(uow.conn, order_id, priced)
    if cmd.cart_id is not None:
        uow.conn.execute(store.carts.update().where(store.carts.c.id == cmd.cart_id)
                         .values(status="ordered", updated_at=now))
    uow.record(m.OrderPlaced(
        order_id=order_id, number=number, channel_id=channel.id, currency=channel.currency,
        total=total.total, postal_code=cmd.address.postal_code,
        country=cmd.address.country.upper(),
        lines=[{"sku": ln.sku, "quantity": ln.quantity, "unit_price": ln.unit_price,
                "product_id": ln.product_id} for ln in priced]))
    return Checkout(order_id=order_id, replayed=False,
                    view=queries.order_view(values | {"cancel_reason": None}, priced))


def _load(uow: UnitOfWork, order_id: str) -> sa.Row:
    row = store.order_row(uow.conn, order_id, lock=True)
    if row is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return row


def capture_payment(cmd: m.CapturePayment, uow: UnitOfWork, *,
                    payments: PaymentProvider) -> None:
    row = _load(uow, cmd.order_id)
    if row.payment_status == PaymentStatus.CAPTURED.value:
        return
    if row.hold_reason is not None:
        raise Conflict(f"order {row.number} is on hold: {row.hold_reason}", code="order_on_hold",
                       order_id=row.id)
    status = transition(OrderStatus(row.status), OrderStatus.PAID)
    # Confirm first: a hold that already expired refuses, before any money is taken.
    uow.execute(ConfirmReservation(reference=row.id))
    result = payments.capture(row.payment_reference, Money(row.total, row.currency))
    store.set_status(uow.conn, row.id, uow.now(), status=status.value,
                     payment_status=result.status.value)
    uow.record(m.OrderPaid(order_id=row.id, amount=row.total, currency=row.currency))


def hold_order(cmd: m.HoldOrder, uow: UnitOfWork) -> str | None:
    row = _load(uow, cmd.order_id)
    reason = cmd.reason.strip()[:300]
    if not reason:
        raise InvalidData("a hold needs a reason", code="hold_reason_required")
    if row.hold_reason != reason:
        store.set_status(uow.conn, row.id, uow.now(), hold_reason=reason)
        uow.record(m.OrderHeld(order_id=row.id, reason=reason))
    return row.hold_reason


def release_order_hold(cmd: m.ReleaseOrderHold, uow: UnitOfWork) -> str | None:
    row = _load(uow, cmd.order_id)
    if row.hold_reason is not None:
        store.set_status(uow.conn, row.id, uow.now(), hold_reason=None)
        uow.record(m.OrderHoldReleased(order_id=row.id))
    return row.hold_reason


def cancel_order(cmd: m.CancelOrder, uow: UnitOfWork, *, payments: PaymentProvider) -> None:
    row = _load(uow, cmd.order_id)
    status = transition(OrderStatus(row.status), OrderStatus.CANCELLED)
    payment_status = row.payment_status
    if payment_status in (PaymentStatus.PENDING.value, PaymentStatus.AUTHORIZED.value):
        payment_status = payments.void(row.payment_reference).status.value
    store.set_status(uow.conn, row.id, uow.now(), status=status.value,
                     payment_status=payment_status, cancel_reason=cmd.reason[:300])
    uow.execute(ReleaseReservation(reference=row.id, reason=f"order cancelled: {cmd.reason}"))
    uow.record(m.OrderCancelled(order_id=row.id, reason=cmd.reason))


def on_reservation_expired(event: ReservationExpired, uow: UnitOfWork, *,
                           payments: PaymentProvider) -> None:
    """An unpaid order whose stock hold ran out is cancelled."""
    row = uow.conn.execute(sa.select(store.orders.c.status)
                           .where(store.orders.c.id == event.reference)).first()
    if row is None or row.status != OrderStatus.PLACED.value:
        return
    cancel_order(m.CancelOrder(order_id=event.reference, reason="unpaid: reservation expired"),
                 uow, payments=payments)
