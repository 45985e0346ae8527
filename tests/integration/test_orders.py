"""Orders use cases against the real databases: carts, checkout, payment, cancellation, expiry."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.e2e.merchant import ADDRESS, Merchant, make_merchant

from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.channels.messages import AssortmentSpec, CreateChannel
from hansa.inventory import queries as inventory
from hansa.inventory.store import ledger
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.orders import queries
from hansa.orders.messages import CancelOrder, CapturePayment, CreateCart, PlaceOrder, SetCartLine
from hansa.orders.model import Address
from hansa.orders.store import idempotency_keys
from hansa.pricing.messages import CreatePromotion, NewTier, SetPrices

TTL = timedelta(minutes=60)  # Settings.reservation_ttl_minutes default
ORDER_NUMBER = r"H-[0-9A-HJKMNP-TV-Z]{10}"


def _shop(hansa: Hansa) -> Merchant:
    """TEE-M (10 at NJ-WH, 5 at TN-DC) and the parts of KIT-1, all at 25.00 USD."""
    return make_merchant(hansa, {"TEE-M": {"NJ-WH": 10, "TN-DC": 5},
                                 "PART-A": {"NJ-WH": 10}, "PART-B": {"NJ-WH": 3}})


def _checkout(hansa: Hansa, shop: Merchant, lines: list[tuple[str, int]] | None = None,
              key: str = "checkout-0001", cart_id: str | None = None) -> str:
    done = hansa.bus.execute(PlaceOrder(
        channel_id=shop.channel_id, idempotency_key=key, email="ada@example.com",
        address=Address(**ADDRESS), cart_id=cart_id, lines=lines or []))
    order_id: str = done.order_id
    return order_id


def _order(hansa: Hansa, order_id: str) -> dict[str, Any]:
    with hansa.db.read() as conn:
        return queries.order(conn, order_id)


def _held(hansa: Hansa, reference: str) -> list[tuple[object, ...]]:
    """(sku, location code, quantity, status) of a reference's reservation rows."""
    with hansa.db.read() as conn:
        codes = {loc.id: loc.code for loc in inventory.locations(conn)}
        rows = inventory.reservations_for(conn, reference)
    return sorted((r["sku"], codes[str(r["location_id"])], r["quantity"], r["status"])
                  for r in rows)


def _expiry(hansa: Hansa, reference: str) -> set[object]:
    with hansa.db.read() as conn:
        return {r["expires_at"] for r in inventory.reservations_for(conn, reference)}


def _reserved(hansa: Hansa, *skus: str) -> int:
    with hansa.db.read() as conn:
        return sum(lv.reserved for lv in inventory.levels(conn, skus))


def _count(hansa: Hansa, table: sa.Table) -> int:
    with hansa.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _events(hansa: Hansa, context: str = "orders") -> list[str]:
    with hansa.db.read() as conn:
        types = conn.execute(sa.select(outbox.c.type).order_by(outbox.c.position)).scalars()
        return [t for t in types if t.startswith(f"hansa.{context}.")]


def _nothing_was_ordered(hansa: Hansa, ledger_rows: int) -> None:
    with hansa.db.read() as conn:
        assert queries.order_count(conn) == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM inventory_reservations").scalar_one() == 0
    assert _count(hansa, idempotency_keys) == 0
    assert _count(hansa, ledger) == ledger_rows
    assert _events(hansa) == []


# placing orders ------------------------------------------------------------------------------
def test_an_order_from_lines_is_priced_reserved_and_recorded(
        hansa: Hansa, clock: VirtualClock) -> None:
    shop = _shop(hansa)

    order_id = _checkout(hansa, shop, [("tee-m", 2), ("PART-A", 1), ("TEE-M", 1)])

    order = _order(hansa, order_id)
    assert re.fullmatch(ORDER_NUMBER, order["number"])
    assert (order["status"], order["payment_status"], order["currency"]) == (
        "placed", "pending", "USD")
    assert (order["subtotal"], order["discount"], order["total"]) == (10_000, 0, 10_000)
    assert [(ln["sku"], ln["quantity"], ln["unit_price"], ln["line_total"])
            for ln in order["lines"]] == [("PART-A", 1, 2500, 2500), ("TEE-M", 3, 2500, 7500)]
    assert _held(hansa, order_id) == [("PART-A", "NJ-WH", 1, "active"),
                                      ("TEE-M", "NJ-WH", 3, "active")]
    assert _expiry(hansa, order_id) == {clock.now() + TTL}
    assert _events(hansa) == ["hansa.orders.order_placed.v1"]
    with hansa.db.read() as conn:
        assert queries.order_for_key(conn, shop.channel_id, "checkout-0001") == order_id


def test_an_order_from_a_cart_takes_the_carts_lines_and_closes_it(hansa: Hansa) -> None:
    shop = _shop(hansa)
    cart_id = hansa.bus.execute(CreateCart(channel_id=shop.channel_id))
    for sku, quantity in [("TEE-M", 2), ("PART-B", 1), ("part-a", 4), ("PART-B", 0)]:
        hansa.bus.execute(SetCartLine(cart_id=cart_id, channel_id=shop.channel_id, sku=sku,
                                      quantity=quantity))

    order_id = _checkout(hansa, shop, cart_id=cart_id)

    order = _order(hansa, order_id)
    assert [(ln["sku"], ln["quantity"]) for ln in order["lines"]] == [("PART-A", 4), ("TEE-M", 2)]
    assert order["total"] == 15_000
    assert _held(hansa, order_id) == [("PART-A", "NJ-WH", 4, "active"),
                                      ("TEE-M", "NJ-WH", 2, "active")]
    with hansa.db.read() as conn:
        assert queries.cart(conn, cart_id, channel_id=shop.channel_id)["status"] == "ordered"
    with pytest.raises(Conflict) as err:
        hansa.bus.execute(SetCartLine(cart_id=cart_id, channel_id=shop.channel_id, sku="TEE-M",
                                      quantity=1))
    assert err.value.code == "cart_closed"


def test_tier_and_active_promotion_set_the_line_price(hansa: Hansa, clock: VirtualClock) -> None:
    shop = _shop(hansa)
    hansa.bus.execute(SetPrices(price_list_id=shop.price_list_id,
                                prices={"TEE-M": [NewTier(1, 2500), NewTier(10, 2000)]}))
    promotion_id = hansa.bus.execute(CreatePromotion(
        price_list_id=shop.price_list_id, name="Spring 15%", starts_at=clock.now(),
        ends_at=clock.now() + timedelta(days=7), percent_off_bp=1500, skus=["TEE-M"]))

    order_id = _checkout(hansa, shop, [("TEE-M", 10), ("PART-A", 1)])

    order = _order(hansa, order_id)
    assert [(ln["sku"], ln["list_unit_price"], ln["unit_price"], ln["promotion_id"])
            for ln in order["lines"]] == [("PART-A", 2500, 2500, None),
                                          ("TEE-M", 2000, 1700, promotion_id)]
    assert (order["subtotal"], order["discount"], order["total"]) == (22_500, 3000, 19_500)


def test_the_same_key_and_request_replays_the_first_order(hansa: Hansa) -> None:
    shop = _shop(hansa)
    first = _checkout(hansa, shop, [("TEE-M", 1)])

    again = hansa.bus.execute(PlaceOrder(
        channel_id=shop.channel_id, idempotency_key="checkout-0001", email="ada@example.com",
        address=Address(**ADDRESS), lines=[("TEE-M", 1)]))
    with pytest.raises(Conflict) as err:
        _checkout(hansa, shop, [("TEE-M", 2)])

    assert (again.order_id, again.replayed) == (first, True)
    assert err.value.code == "idempotency_key_reused"
    assert _reserved(hansa, "TEE-M") == 1
    assert _events(hansa) == ["hansa.orders.order_placed.v1"]


# refused checkouts ---------------------------------------------------------------------------
def test_an_unknown_sku_is_not_found_and_nothing_is_reserved(hansa: Hansa) -> None:
    shop = _shop(hansa)
    ledger_rows = _count(hansa, ledger)

    with pytest.raises(NotFound) as err:
        _checkout(hansa, shop, [("TEE-M", 1), ("GHOST-1", 1)])

    assert (err.value.code, err.value.details) == ("sku_not_found", {"skus": ["GHOST-1"]})
    assert _reserved(hansa, "TEE-M") == 0
    _nothing_was_ordered(hansa, ledger_rows)


def test_a_sku_outside_the_channels_assortment_is_not_found(hansa: Hansa) -> None:
    shop = _shop(hansa)
    tools_only = hansa.bus.execute(CreateChannel(
        key="b2b-tools", name="Tools", kind="b2b", currency="USD", locale="en-US",
        price_list_id=shop.price_list_id, assortment=AssortmentSpec(categories=["tools"])))
    ledger_rows = _count(hansa, ledger)

    with pytest.raises(NotFound) as err:
        _checkout(hansa, Merchant(tools_only, shop.price_list_id, shop.locations),
                  [("TEE-M", 1)])

    assert (err.value.code, err.value.details) == ("sku_not_sold_here", {"sku": "TEE-M"})
    assert _reserved(hansa, "TEE-M") == 0
    _nothing_was_ordered(hansa, ledger_rows)


def test_out_of_stock_is_a_conflict_and_leaves_no_trace(hansa: Hansa) -> None:
    shop = _shop(hansa)
    ledger_rows = _count(hansa, ledger)

    with pytest.raises(Conflict) as err:
        _checkout(hansa, shop, [("PART-A", 2), ("TEE-M", 16)])

    assert err.value.code == "out_of_stock"
    assert err.value.details == {"sku": "TEE-M", "wanted": 16, "available": 15}
    assert _reserved(hansa, "TEE-M", "PART-A") == 0
    _nothing_was_ordered(hansa, ledger_rows)


def test_a_line_merged_above_the_line_maximum_is_invalid(hansa: Hansa) -> None:
    shop = _shop(hansa)

    with pytest.raises(InvalidData) as err:
        _checkout(hansa, shop, [("TEE-M", 6000), ("tee-m", 6000)])

    assert err.value.code == "invalid_quantity"
    _nothing_was_ordered(hansa, _count(hansa, ledger))


# inventory models ----------------------------------------------------------------------------
def test_cto_reserves_its_components_and_mto_reserves_nothing(hansa: Hansa) -> None:
    shop = _shop(hansa)
    hansa.bus.execute(CreateProduct(handle="kit", title="Kit", inventory_model="cto",
                                    variants=[NewVariant(sku="KIT-1", title="Kit")],
                                    components=[("PART-A", 2), ("PART-B", 1)]))
    hansa.bus.execute(CreateProduct(handle="bespoke", title="Bespoke", inventory_model="mto",
                                    lead_time_hours=72,
                                    variants=[NewVariant(sku="MADE-1", title="Made")]))
    hansa.bus.execute(SetPrices(price_list_id=shop.price_list_id,
                                prices={"KIT-1": [NewTier(1, 9900)],
                                        "MADE-1": [NewTier(1, 15_000)]}))

    kit_order = _checkout(hansa, shop, [("KIT-1", 3)], key="checkout-kit")
    made_order = _checkout(hansa, shop, [("MADE-1", 2)], key="checkout-made")

    assert _held(hansa, kit_order) == [("PART-A", "NJ-WH", 6, "active"),
                                       ("PART-B", "NJ-WH", 3, "active")]
    assert [(ln["sku"], ln["quantity"]) for ln in _order(hansa, kit_order)["lines"]] == [
        ("KIT-1", 3)]
    assert _held(hansa, made_order) == []
    assert _order(hansa, made_order)["total"] == 30_000
    with pytest.raises(Conflict) as err:
        _checkout(hansa, shop, [("KIT-1", 1)], key="checkout-kit-2")
    assert err.value.details == {"sku": "PART-B", "wanted": 1, "available": 0}


# payment, cancellation, expiry ---------------------------------------------------------------
def test_capturing_payment_marks_paid_and_confirms_the_reservation(
        hansa: Hansa, clock: VirtualClock) -> None:
    shop = _shop(hansa)
    order_id = _checkout(hansa, shop, [("TEE-M", 2)])

    hansa.bus.execute(CapturePayment(order_id=order_id))
    hansa.bus.execute(CapturePayment(order_id=order_id))  # a repeat changes nothing
    clock.advance(TTL * 3)
    hansa.worker.run_until_idle()

    order = _order(hansa, order_id)
    assert (order["status"], order["payment_status"]) == ("paid", "captured")
    assert _held(hansa, order_id) == [("TEE-M", "NJ-WH", 2, "active")]
    assert _expiry(hansa, order_id) == {None}
    assert _reserved(hansa, "TEE-M") == 2
    assert _events(hansa) == ["hansa.orders.order_placed.v1", "hansa.orders.order_paid.v1"]
    assert "hansa.inventory.reservation_expired.v1" not in _events(hansa, "inventory")


def test_cancelling_releases_the_reservation_and_voids_the_payment(hansa: Hansa) -> None:
    shop = _shop(hansa)
    order_id = _checkout(hansa, shop, [("TEE-M", 2)])

    hansa.bus.execute(CancelOrder(order_id=order_id, reason="changed mind"))

    order = _order(hansa, order_id)
    assert (order["status"], order["payment_status"], order["cancel_reason"]) == (
        "cancelled", "voided", "changed mind")
    assert _held(hansa, order_id) == [("TEE-M", "NJ-WH", 2, "released")]
    assert _reserved(hansa, "TEE-M") == 0
    assert _events(hansa) == ["hansa.orders.order_placed.v1", "hansa.orders.order_cancelled.v1"]
    with pytest.raises(Conflict) as err:
        hansa.bus.execute(CapturePayment(order_id=order_id))
    assert err.value.code == "invalid_transition"


def test_an_unpaid_order_is_cancelled_once_its_reservation_expires(
        hansa: Hansa, clock: VirtualClock) -> None:
    shop = _shop(hansa)
    order_id = _checkout(hansa, shop, [("TEE-M", 2)])

    clock.advance(TTL - timedelta(seconds=1))
    hansa.worker.run_until_idle()
    before = (_order(hansa, order_id)["status"], _reserved(hansa, "TEE-M"))
    clock.advance(timedelta(seconds=2))
    hansa.worker.run_until_idle()

    assert before == ("placed", 2)
    order = _order(hansa, order_id)
    assert (order["status"], order["payment_status"], order["cancel_reason"]) == (
        "cancelled", "voided", "unpaid: reservation expired")
    assert _held(hansa, order_id) == [("TEE-M", "NJ-WH", 2, "expired")]
    assert _reserved(hansa, "TEE-M") == 0
    assert _events(hansa) == ["hansa.orders.order_placed.v1", "hansa.orders.order_cancelled.v1"]
    with hansa.db.read() as conn:
        assert inventory.ledger_imbalances(conn) == []


def test_payment_after_the_hold_expired_is_refused_and_the_order_is_cancelled(
        hansa: Hansa, clock: VirtualClock) -> None:
    shop = _shop(hansa)
    order_id = _checkout(hansa, shop, [("TEE-M", 2)])
    hansa.worker.run_until_idle()
    clock.advance(TTL + timedelta(seconds=1))
    hansa.worker.run_once()  # inventory expires the hold; orders has not heard of it yet

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(CapturePayment(order_id=order_id))
    hansa.worker.run_until_idle()

    assert err.value.code == "reservation_expired"
    order = _order(hansa, order_id)
    assert (order["status"], order["payment_status"]) == ("cancelled", "voided")
    assert _reserved(hansa, "TEE-M") == 0
    assert "hansa.orders.order_paid.v1" not in _events(hansa)
