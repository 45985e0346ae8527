"""The canonical failure over real HTTP: a supplier sends 0.00, a 95% drop or a blank price
for the hero product; no listing, checkout or order ever shows anything but the last good price.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from hansa.bootstrap import Hansa
from hansa.orders import queries as orders
from hansa.pricing.messages import SetCost
from hansa.suppliers.messages import ApplySupplierPrice, RegisterSupplier
from hansa.suppliers.price_feed import FeedResult
from tests.e2e.merchant import CHANNEL_KEY, checkout_body, make_merchant
from tests.e2e.server import serving

HERO = "HERO-1"
GOOD = 2500
ADMIN = {"Authorization": "Bearer hansa-admin"}
STORE = {"X-Channel-Key": CHANNEL_KEY}
BUYERS = 100
BAD = {"zero": 0, "95% drop": 125, "blank": None}


def _shop(hansa: Hansa, units: int) -> str:
    """HERO-1 at 25.00 with `units` in stock, cost 12.00, supplier ACME; the price list id."""
    merchant = make_merchant(hansa, {HERO: {"NJ-WH": units}})
    hansa.bus.execute(SetCost(sku=HERO, amount=1200, currency="USD"))
    hansa.bus.execute(RegisterSupplier(code="ACME", name="Acme", country="CN", currency="USD",
                                       integration="api", lead_time_hours=72))
    return merchant.price_list_id


def _glitch(hansa: Hansa, price_list_id: str, amount: int | None) -> FeedResult:
    result: FeedResult = hansa.bus.execute(ApplySupplierPrice(
        supplier_code="ACME", price_list_id=price_list_id, sku=HERO, amount=amount, cost=1200,
        currency="USD"))
    return result


def _listed_price(client: httpx.Client) -> int:
    listing = client.get("/store/products", headers=STORE).json()
    [variant] = [v for p in listing["products"] for v in p["variants"] if v["sku"] == HERO]
    return int(variant["price"]["amount"])


def _checkout(client: httpx.Client) -> httpx.Response:
    return client.post("/store/checkout", json=checkout_body(HERO),
                       headers=STORE | {"Idempotency-Key": uuid.uuid4().hex})


def _unit_prices(hansa: Hansa) -> Counter[int]:
    with hansa.db.read() as conn:
        placed = orders.orders(conn, limit=1000)
        return Counter(line["unit_price"] for o in placed
                       for line in orders.order(conn, o["id"])["lines"])


@pytest.mark.parametrize("amount", BAD.values(), ids=BAD.keys())
def test_listing_checkout_and_admin_show_the_last_good_price_and_the_alert(
        hansa: Hansa, amount: int | None) -> None:
    price_list_id = _shop(hansa, units=10)

    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert _listed_price(client) == GOOD
        result = _glitch(hansa, price_list_id, amount)
        listed = _listed_price(client)
        detail = client.get(f"/store/products/{HERO.lower()}", headers=STORE).json()
        order = _checkout(client)
        held = client.get("/admin/guards/quarantine", headers=ADMIN).json()
        breakers = client.get("/admin/guards/breakers", headers=ADMIN).json()

    assert result.applied is False
    assert listed == detail["variants"][0]["price"]["amount"] == GOOD
    assert order.status_code == 201
    assert [(ln["unit_price"], ln["line_total"]) for ln in order.json()["lines"]] == [(GOOD, GOOD)]
    assert order.json()["total"] == GOOD
    assert [(q["id"], q["value"], q["last_good"], q["status"]) for q in held] == [
        (result.quarantine_id, amount, GOOD, "pending")]
    assert [(b["name"], b["state"], b["trips"]) for b in breakers] == [
        ("feed:ACME:price", "open", 1)]


@pytest.mark.slow
@pytest.mark.parametrize("amount", BAD.values(), ids=BAD.keys())
def test_100_checkouts_racing_the_bad_update_all_sell_at_the_last_good_price(
        hansa: Hansa, amount: int | None) -> None:
    price_list_id = _shop(hansa, units=BUYERS * 2)
    gate = threading.Barrier(BUYERS + 1)

    def buy(_: int) -> tuple[int, Any]:
        with httpx.Client(base_url=base, timeout=60) as client:
            gate.wait()
            response = _checkout(client)
            return response.status_code, response.json()

    def send_the_glitch() -> FeedResult:
        gate.wait()
        return _glitch(hansa, price_list_id, amount)

    with serving(hansa) as base, ThreadPoolExecutor(max_workers=BUYERS + 1) as pool:
        glitch = pool.submit(send_the_glitch)
        responses = list(pool.map(buy, range(BUYERS)))

    assert glitch.result().applied is False
    assert Counter(status for status, _ in responses) == Counter({201: BUYERS})
    assert {line["unit_price"] for _, body in responses for line in body["lines"]} == {GOOD}
    assert _unit_prices(hansa) == Counter({GOOD: BUYERS})
