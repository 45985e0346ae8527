"""The storefront API over real HTTP: channel scope, listing and its cache, carts, checkout."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hansa.bootstrap import Hansa
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.channels.messages import AssortmentSpec, CreateChannel
from hansa.kernel.clock import VirtualClock
from hansa.orders import queries as orders
from hansa.pricing.messages import CreatePriceList, NewTier, SetPrices
from tests.e2e.merchant import ADDRESS, CHANNEL_KEY, Merchant, checkout_body, make_merchant
from tests.e2e.server import serving

WHOLESALE_KEY = "b2b-test"
ADMIN = {"Authorization": "Bearer hansa-admin"}
STORE = {"X-Channel-Key": CHANNEL_KEY}
WHOLESALE = {"X-Channel-Key": WHOLESALE_KEY}


@dataclass(frozen=True)
class Shop:
    merchant: Merchant
    client: httpx.Client


def _usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def _variant(sku: str, price: dict[str, Any], available: int) -> dict[str, Any]:
    return {"sku": sku, "title": "Standard", "gtin": None, "options": {}, "price": price,
            "list_price": price, "promotion_id": None, "available": available,
            "in_stock": available > 0}


@pytest.fixture
def shop(hansa: Hansa) -> Iterator[Shop]:
    """dtc-test sells MUG-1 (7 units) and TEE-1 (3 + 2 units) at 25.00 USD; b2b-test sells
    only the lighting category in EUR (LAMP-1, 0 units), though MUG-1 is on its price list."""
    merchant = make_merchant(hansa, {"MUG-1": {"NJ-WH": 7}, "TEE-1": {"NJ-WH": 3, "TN-DC": 2}})
    bus = hansa.bus
    bus.execute(CreateProduct(handle="lamp-1", title="Desk lamp", category="lighting",
                              variants=[NewVariant(sku="LAMP-1", title="Standard")]))
    eur = bus.execute(CreatePriceList(name="Wholesale", currency="EUR"))
    bus.execute(SetPrices(price_list_id=eur, prices={"LAMP-1": [NewTier(1, 1990)],
                                                     "MUG-1": [NewTier(1, 1200)]}))
    bus.execute(CreateChannel(key=WHOLESALE_KEY, name="Wholesale", kind="b2b", currency="EUR",
                              locale="de-DE", price_list_id=eur,
                              assortment=AssortmentSpec(categories=["lighting"])))
    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield Shop(merchant=merchant, client=client)


def _listing(shop: Shop, headers: dict[str, str] = STORE) -> dict[str, Any]:
    response = shop.client.get("/store/products", headers=headers)
    assert response.status_code == 200
    return response.json()


def _variants_by_sku(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["sku"]: v for p in listing["products"] for v in p["variants"]}


def _checkout(shop: Shop, body: dict[str, Any], key: str,
              channel: dict[str, str] = STORE) -> httpx.Response:
    return shop.client.post("/store/checkout", json=body,
                            headers=channel | {"Idempotency-Key": key})


# channel scoping ----------------------------------------------------------------------------
def test_a_request_without_a_channel_key_is_refused(shop: Shop) -> None:
    response = shop.client.get("/store/products")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "channel_key_required"


def test_an_unknown_channel_key_is_not_found(shop: Shop) -> None:
    response = shop.client.get("/store/products", headers={"X-Channel-Key": "nope-shop"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "channel_not_found"


# listing -------------------------------------------------------------------------------------
def test_the_listing_shows_the_channels_currency_prices_and_availability(shop: Shop) -> None:
    listing = _listing(shop)

    assert {k: listing[k] for k in ("channel", "currency", "total", "limit", "offset")} == {
        "channel": CHANNEL_KEY, "currency": "USD", "total": 2, "limit": 20, "offset": 0}
    assert [p["handle"] for p in listing["products"]] == ["mug-1", "tee-1"]
    assert _variants_by_sku(listing) == {
        "MUG-1": _variant("MUG-1", _usd(2500), 7),
        "TEE-1": _variant("TEE-1", _usd(2500), 5),
    }


def test_the_listing_pages_with_limit_and_offset(shop: Shop) -> None:
    response = shop.client.get("/store/products", params={"limit": 1, "offset": 1},
                               headers=STORE)

    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 1, 1)
    assert [p["handle"] for p in body["products"]] == ["tee-1"]


def test_products_outside_the_assortment_are_absent(shop: Shop) -> None:
    wholesale = _listing(shop, WHOLESALE)
    retail = _listing(shop, STORE)

    assert wholesale["currency"] == "EUR"
    assert [p["handle"] for p in wholesale["products"]] == ["lamp-1"]
    assert _variants_by_sku(wholesale)["LAMP-1"]["price"] == {"amount": 1990, "currency": "EUR"}
    assert _variants_by_sku(wholesale)["LAMP-1"]["in_stock"] is False
    assert "lamp-1" not in [p["handle"] for p in retail["products"]]  # not on its price list
    missing = shop.client.get("/store/products/mug-1", headers=WHOLESALE)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "product_not_found"


def test_a_stock_receipt_shows_in_the_next_listing(shop: Shop) -> None:
    assert _variants_by_sku(_listing(shop))["MUG-1"]["available"] == 7  # now cached

    receipt = shop.client.post("/admin/stock/receipts", headers=ADMIN, json={
        "sku": "MUG-1", "location_id": shop.merchant.locations["NJ-WH"], "quantity": 5})

    assert receipt.status_code == 201
    assert _variants_by_sku(_listing(shop))["MUG-1"]["available"] == 12


def test_a_price_change_shows_in_the_next_listing(shop: Shop) -> None:
    assert _variants_by_sku(_listing(shop))["TEE-1"]["price"] == _usd(2500)  # now cached

    changed = shop.client.put(
        f"/admin/price-lists/{shop.merchant.price_list_id}/prices", headers=ADMIN,
        json={"prices": [{"sku": "TEE-1", "tiers": [{"min_quantity": 1, "amount": 2199}]}]})

    assert changed.status_code == 200
    assert _variants_by_sku(_listing(shop))["TEE-1"] == _variant("TEE-1", _usd(2199), 5)


def test_a_promotion_shows_the_price_and_the_list_price(shop: Shop, clock: VirtualClock) -> None:
    _listing(shop)
    now = clock.now()

    created = shop.client.post(
        f"/admin/price-lists/{shop.merchant.price_list_id}/promotions", headers=ADMIN,
        json={"name": "Mug week", "kind": "percentage", "value": 2000, "skus": ["MUG-1"],
              "starts_at": (now - timedelta(hours=1)).isoformat(),
              "ends_at": (now + timedelta(days=7)).isoformat()})

    assert created.status_code == 201
    variants = _variants_by_sku(_listing(shop))
    assert variants["MUG-1"] == _variant("MUG-1", _usd(2000), 7) | {
        "list_price": _usd(2500), "promotion_id": created.json()["id"]}
    assert variants["TEE-1"] == _variant("TEE-1", _usd(2500), 5)


def test_a_promotion_window_opening_and_closing_shows_without_any_write(
        shop: Shop, clock: VirtualClock) -> None:
    now = clock.now()
    promotion_id = shop.client.post(
        f"/admin/price-lists/{shop.merchant.price_list_id}/promotions", headers=ADMIN,
        json={"name": "Later", "kind": "fixed", "value": 500, "skus": ["TEE-1"],
              "starts_at": (now + timedelta(hours=1)).isoformat(),
              "ends_at": (now + timedelta(hours=3)).isoformat()}).json()["id"]
    before = _variants_by_sku(_listing(shop))["TEE-1"]

    clock.advance(timedelta(hours=2))
    during = _variants_by_sku(_listing(shop))["TEE-1"]
    clock.advance(timedelta(hours=2))
    after = _variants_by_sku(_listing(shop))["TEE-1"]

    assert before == after == _variant("TEE-1", _usd(2500), 5)
    assert during == _variant("TEE-1", _usd(2000), 5) | {"list_price": _usd(2500),
                                                        "promotion_id": promotion_id}


def test_a_product_by_handle(shop: Shop) -> None:
    found = shop.client.get("/store/products/tee-1", headers=STORE)
    unknown = shop.client.get("/store/products/no-such-thing", headers=STORE)

    assert found.status_code == 200
    assert {k: found.json()[k] for k in ("handle", "title", "category", "inventory_model")} == {
        "handle": "tee-1", "title": "Product TEE-1", "category": "general",
        "inventory_model": "mts"}
    assert found.json()["variants"] == [_variant("TEE-1", _usd(2500), 5)]
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "product_not_found"


def test_availability_per_sku_with_the_split_by_location(shop: Shop) -> None:
    locations = shop.merchant.locations

    response = shop.client.get("/store/availability", headers=STORE,
                               params=[("sku", "tee-1"), ("sku", "MUG-1"), ("sku", "NOPE-1")])

    assert response.status_code == 200
    assert response.json() == {"channel": CHANNEL_KEY, "skus": {
        "TEE-1": {"available": 5, "inventory_model": "mts",
                  "by_location": {locations["NJ-WH"]: 3, locations["TN-DC"]: 2}},
        "MUG-1": {"available": 7, "inventory_model": "mts",
                  "by_location": {locations["NJ-WH"]: 7}},
        "NOPE-1": None,
    }}


def test_availability_reports_a_sku_the_channel_does_not_sell_like_an_unknown_one(
        shop: Shop) -> None:
    response = shop.client.get("/store/availability", headers=WHOLESALE,
                               params=[("sku", "MUG-1"), ("sku", "LAMP-1")])

    assert response.json() == {"channel": WHOLESALE_KEY, "skus": {
        "MUG-1": None,
        "LAMP-1": {"available": 0, "inventory_model": "mts", "by_location": {}},
    }}


# carts ---------------------------------------------------------------------------------------
def test_a_cart_is_created_filled_read_and_checked_out(shop: Shop) -> None:
    created = shop.client.post("/store/carts", headers=STORE)
    cart_id = created.json()["id"]

    set_line = shop.client.put(f"/store/carts/{cart_id}/lines/mug-1", headers=STORE,
                               json={"quantity": 2})
    shop.client.put(f"/store/carts/{cart_id}/lines/TEE-1", headers=STORE, json={"quantity": 1})
    removed = shop.client.put(f"/store/carts/{cart_id}/lines/TEE-1", headers=STORE,
                              json={"quantity": 0})
    read = shop.client.get(f"/store/carts/{cart_id}", headers=STORE)

    assert created.status_code == 201
    assert created.json() == {"id": cart_id, "lines": []}
    assert set_line.json() == {"id": cart_id, "status": "open",
                               "lines": [{"sku": "MUG-1", "quantity": 2}]}
    assert removed.json()["lines"] == [{"sku": "MUG-1", "quantity": 2}]
    assert read.json() == set_line.json()

    order = _checkout(shop, {"email": "ada@example.com", "address": ADDRESS,
                             "cart_id": cart_id}, "cart-checkout-1")

    assert order.status_code == 201
    assert (order.json()["total"], order.json()["currency"]) == (5000, "USD")
    assert [(ln["sku"], ln["quantity"]) for ln in order.json()["lines"]] == [("MUG-1", 2)]
    assert shop.client.get(f"/store/carts/{cart_id}", headers=STORE).json()["status"] == "ordered"
    assert _variants_by_sku(_listing(shop))["MUG-1"]["available"] == 5
    late = shop.client.put(f"/store/carts/{cart_id}/lines/TEE-1", headers=STORE,
                           json={"quantity": 1})
    assert (late.status_code, late.json()["error"]["code"]) == (409, "cart_closed")


def test_a_cart_is_invisible_from_another_channel(shop: Shop) -> None:
    cart_id = shop.client.post("/store/carts", headers=STORE).json()["id"]

    read = shop.client.get(f"/store/carts/{cart_id}", headers=WHOLESALE)
    write = shop.client.put(f"/store/carts/{cart_id}/lines/LAMP-1", headers=WHOLESALE,
                            json={"quantity": 1})

    assert (read.status_code, write.status_code) == (404, 404)
    assert read.json()["error"]["code"] == write.json()["error"]["code"] == "cart_not_found"


def test_a_cart_line_for_a_sku_the_channel_does_not_sell_is_refused(shop: Shop) -> None:
    cart_id = shop.client.post("/store/carts", headers=WHOLESALE).json()["id"]

    response = shop.client.put(f"/store/carts/{cart_id}/lines/MUG-1", headers=WHOLESALE,
                               json={"quantity": 1})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sku_not_sold_here"
    assert shop.client.get(f"/store/carts/{cart_id}", headers=WHOLESALE).json()["lines"] == []


# checkout ------------------------------------------------------------------------------------
def test_checkout_without_an_idempotency_key_is_refused(shop: Shop, hansa: Hansa) -> None:
    response = shop.client.post("/store/checkout", json=checkout_body("MUG-1"), headers=STORE)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_required"
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == 0


def test_checkout_of_an_unknown_sku_is_not_found(shop: Shop) -> None:
    response = _checkout(shop, checkout_body("GHOST-1"), "unknown-sku-1")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sku_not_found"
    assert response.json()["error"]["details"] == {"skus": ["GHOST-1"]}


def test_checkout_beyond_the_stock_is_a_conflict(shop: Shop, hansa: Hansa) -> None:
    response = _checkout(shop, checkout_body("TEE-1", 6), "too-many-1")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "out_of_stock"
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == 0
    assert _variants_by_sku(_listing(shop))["TEE-1"]["available"] == 5


def test_an_order_is_visible_to_its_channel_only(shop: Shop) -> None:
    placed = _checkout(shop, checkout_body("TEE-1", 5), "all-tees-1")
    order_id = placed.json()["id"]

    own = shop.client.get(f"/store/orders/{order_id}", headers=STORE)
    other = shop.client.get(f"/store/orders/{order_id}", headers=WHOLESALE)

    assert placed.status_code == 201
    assert own.status_code == 200
    assert own.json() == placed.json()
    assert (own.json()["status"], own.json()["total"]) == ("placed", 12500)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "order_not_found"
    assert _variants_by_sku(_listing(shop))["TEE-1"] == _variant("TEE-1", _usd(2500), 0)
