"""The admin API over real HTTP: the bearer token, catalog, stock, orders, dead letters, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hansa.bootstrap import Hansa
from tests.e2e.merchant import checkout_body
from tests.e2e.server import serving

ADMIN = {"Authorization": "Bearer hansa-admin"}
NEWARK = {"code": "nj-wh", "name": "Edison warehouse", "kind": "warehouse", "lat": 40.52,
          "lon": -74.41, "country": "us", "postal_code": "08817", "service_radius_km": 400}


@pytest.fixture
def client(hansa: Hansa) -> Iterator[httpx.Client]:
    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(path, json=body, headers=ADMIN)


def _product(handle: str, sku: str, gtin: str | None = None) -> dict[str, Any]:
    return {"handle": handle, "title": handle.title(), "category": "home",
            "variants": [{"sku": sku, "title": "Standard", "gtin": gtin}]}


def _shop(client: httpx.Client, stock: int) -> tuple[str, str]:
    """One product CUP-1 at 9.50 USD with `stock` units, sold on channel `admin-shop`.
    Returns (channel key, location id)."""
    _post(client, "/admin/products", _product("cup", "CUP-1"))
    price_list = _post(client, "/admin/price-lists", {"name": "Retail", "currency": "USD"})
    client.put(f"/admin/price-lists/{price_list.json()['id']}/prices", headers=ADMIN, json={
        "prices": [{"sku": "CUP-1", "tiers": [{"min_quantity": 1, "amount": 950}]}]})
    _post(client, "/admin/channels", {
        "key": "admin-shop", "name": "Admin shop", "kind": "dtc", "currency": "USD",
        "locale": "en-US", "price_list_id": price_list.json()["id"]})
    location_id = _post(client, "/admin/locations", NEWARK).json()["id"]
    _post(client, "/admin/stock/receipts",
          {"sku": "CUP-1", "location_id": location_id, "quantity": stock})
    return "admin-shop", location_id


def _place(client: httpx.Client, key: str, idempotency_key: str, quantity: int) -> str:
    response = client.post("/store/checkout", json=checkout_body("CUP-1", quantity),
                           headers={"X-Channel-Key": key, "Idempotency-Key": idempotency_key})
    assert response.status_code == 201
    return str(response.json()["id"])


def _stock(client: httpx.Client, sku: str) -> list[dict[str, Any]]:
    response = client.get(f"/admin/stock/{sku}", headers=ADMIN)
    assert response.status_code == 200
    return list(response.json()["levels"])


# auth ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "hansa-admin"},
    {"Authorization": "Basic aGFuc2EtYWRtaW4="},
], ids=["none", "wrong", "no-scheme", "basic"])
def test_the_admin_api_refuses_a_missing_or_wrong_token(client: httpx.Client,
                                                        headers: dict[str, str]) -> None:
    response = client.get("/admin/products", headers=headers)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_token_required"


def test_the_admin_api_accepts_the_configured_token(client: httpx.Client) -> None:
    response = client.get("/admin/products", headers=ADMIN)

    assert response.status_code == 200
    assert response.json() == {"total": 0, "products": []}


# catalog -------------------------------------------------------------------------------------
def test_a_product_with_a_bad_gtin_is_refused(client: httpx.Client) -> None:
    response = _post(client, "/admin/products", _product("kettle", "KET-1", "4006381333932"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_gtin"
    assert response.json()["error"]["details"] == {"sku": "KET-1", "gtin": "4006381333932"}
    assert client.get("/admin/products", headers=ADMIN).json()["total"] == 0


def test_a_product_is_created_and_read_back(client: httpx.Client) -> None:
    created = _post(client, "/admin/products", _product("kettle", "ket-1", "4006381333931"))

    read = client.get(f"/admin/products/{created.json()['id']}", headers=ADMIN)

    assert created.status_code == 201
    assert read.json() == created.json()
    assert {k: created.json()[k] for k in ("handle", "title", "category", "inventory_model",
                                           "active")} == {
        "handle": "kettle", "title": "Kettle", "category": "home", "inventory_model": "mts",
        "active": True}
    assert [(v["sku"], v["gtin"]) for v in created.json()["variants"]] == [
        ("KET-1", "4006381333931")]


def test_a_deactivated_product_leaves_the_storefront(client: httpx.Client) -> None:
    key, _ = _shop(client, stock=3)
    product_id = client.get("/admin/products", headers=ADMIN).json()["products"][0]["id"]
    store = {"X-Channel-Key": key}
    assert client.get("/store/products", headers=store).json()["total"] == 1

    patched = client.patch(f"/admin/products/{product_id}", headers=ADMIN,
                           json={"active": False})

    assert patched.json()["active"] is False
    assert client.get("/store/products", headers=store).json()["total"] == 0


# stock ---------------------------------------------------------------------------------------
def test_stock_is_received_adjusted_read_and_the_ledger_balances(client: httpx.Client) -> None:
    location = _post(client, "/admin/locations", NEWARK)
    location_id = location.json()["id"]

    received = _post(client, "/admin/stock/receipts",
                     {"sku": "BOX-1", "location_id": location_id, "quantity": 10,
                      "reference": "PO-17"})
    adjusted = _post(client, "/admin/stock/adjustments",
                     {"sku": "BOX-1", "location_id": location_id, "delta": -3,
                      "reason": "damaged in transit"})

    assert location.status_code == 201
    assert {k: location.json()[k] for k in ("code", "kind", "country", "position")} == {
        "code": "NJ-WH", "kind": "warehouse", "country": "US",
        "position": {"lat": 40.52, "lon": -74.41}}
    assert received.status_code == adjusted.status_code == 201
    level = {"sku": "BOX-1", "location_id": location_id, "reserved": 0}
    assert received.json() == level | {"on_hand": 10, "available": 10}
    assert adjusted.json() == level | {"on_hand": 7, "available": 7}
    assert _stock(client, "box-1") == [level | {"on_hand": 7, "available": 7}]
    assert client.get("/admin/ledger/check", headers=ADMIN).json() == {
        "balanced": True, "imbalances": []}


def test_a_receipt_for_a_lowercase_sku_counts_for_that_sku(client: httpx.Client) -> None:
    location_id = _post(client, "/admin/locations", NEWARK).json()["id"]

    _post(client, "/admin/stock/receipts",
          {"sku": "BOX-2", "location_id": location_id, "quantity": 4})
    lower = _post(client, "/admin/stock/receipts",
                  {"sku": "box-2", "location_id": location_id, "quantity": 1})
    adjusted = _post(client, "/admin/stock/adjustments",
                     {"sku": " box-2 ", "location_id": location_id, "delta": -2,
                      "reason": "recount"})

    assert lower.json()["on_hand"] == 5
    assert adjusted.json()["on_hand"] == 3
    assert [lv["on_hand"] for lv in _stock(client, "BOX-2")] == [3]


def test_an_adjustment_below_the_reserved_units_is_a_conflict(client: httpx.Client) -> None:
    key, location_id = _shop(client, stock=5)
    _place(client, key, "reserve-four-1", 4)

    response = _post(client, "/admin/stock/adjustments",
                     {"sku": "CUP-1", "location_id": location_id, "delta": -2,
                      "reason": "shrinkage"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert _stock(client, "CUP-1")[0] == {
        "sku": "CUP-1", "location_id": location_id, "on_hand": 5, "reserved": 4,
        "available": 1}


# orders --------------------------------------------------------------------------------------
def test_orders_are_listed_captured_and_cancelled(client: httpx.Client) -> None:
    key, location_id = _shop(client, stock=10)
    paid_id = _place(client, key, "order-paid-1", 2)
    cancelled_id = _place(client, key, "order-cancel-1", 3)
    assert _stock(client, "CUP-1")[0]["reserved"] == 5

    listed = client.get("/admin/orders", headers=ADMIN)
    captured = client.post(f"/admin/orders/{paid_id}/capture", headers=ADMIN)
    cancelled = _post(client, f"/admin/orders/{cancelled_id}/cancel",
                      {"reason": "customer changed their mind"})

    assert listed.json()["total"] == 2
    assert {o["id"] for o in listed.json()["orders"]} == {paid_id, cancelled_id}
    assert (captured.status_code, captured.json()["status"],
            captured.json()["payment_status"]) == (200, "paid", "captured")
    assert (cancelled.status_code, cancelled.json()["status"],
            cancelled.json()["cancel_reason"]) == (200, "cancelled",
                                                   "customer changed their mind")
    assert _stock(client, "CUP-1") == [{"sku": "CUP-1", "location_id": location_id,
                                        "on_hand": 10, "reserved": 2, "available": 8}]
    by_status = client.get("/admin/orders", params={"status": "cancelled"}, headers=ADMIN)
    assert [o["id"] for o in by_status.json()["orders"]] == [cancelled_id]
    detail = client.get(f"/admin/orders/{cancelled_id}", headers=ADMIN).json()
    assert [r["status"] for r in detail["reservations"]] == ["released"]
    assert client.get("/admin/ledger/check", headers=ADMIN).json()["balanced"] is True


def test_a_cancelled_order_cannot_be_captured(client: httpx.Client) -> None:
    key, _ = _shop(client, stock=2)
    order_id = _place(client, key, "cancel-then-capture", 1)
    _post(client, f"/admin/orders/{order_id}/cancel", {"reason": "fraud check"})

    response = client.post(f"/admin/orders/{order_id}/capture", headers=ADMIN)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_an_unknown_order_is_not_found(client: httpx.Client) -> None:
    response = client.post("/admin/orders/no-such-order/capture", headers=ADMIN)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"


# bus -----------------------------------------------------------------------------------------
def test_no_dead_letters_and_replaying_an_unknown_one_is_not_found(client: httpx.Client) -> None:
    listed = client.get("/admin/dead-letters", headers=ADMIN)
    replayed = client.post("/admin/dead-letters/no-such-letter/replay", headers=ADMIN)

    assert (listed.status_code, listed.json()) == (200, [])
    assert replayed.status_code == 404
    assert replayed.json()["error"]["code"] == "not_found"


# request validation --------------------------------------------------------------------------
def test_a_body_that_breaks_the_schema_names_the_fields(client: httpx.Client) -> None:
    response = _post(client, "/admin/locations", {
        "code": "X-1", "kind": "warehouse", "lat": 91, "lon": 0, "country": "US",
        "colour": "blue"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert sorted(p["field"] for p in error["details"]["problems"]) == [
        "body.colour", "body.lat", "body.name"]


def test_a_query_parameter_out_of_range_names_the_parameter(client: httpx.Client) -> None:
    response = client.get("/admin/orders", params={"limit": 0}, headers=ADMIN)

    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["details"]["problems"]] == [
        "query.limit"]


def test_a_body_that_is_not_json_is_an_invalid_request(client: httpx.Client) -> None:
    response = client.post("/admin/price-lists", content=b"{not json",
                           headers=ADMIN | {"Content-Type": "application/json"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
