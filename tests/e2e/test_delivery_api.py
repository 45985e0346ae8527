"""Delivery promise and checkout delivery options over real HTTP: the promise moves when stock
moves; a supplier's drop-ship centre unlocks threshold delivery only within its radius."""

from __future__ import annotations

import httpx

from hansa.bootstrap import Hansa
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.fulfillment.messages import ConfigureNode
from hansa.inventory.messages import AdjustStock, CreateLocation, ReceiveStock
from hansa.pricing.messages import NewTier, SetPrices
from hansa.shipping.messages import SetCheckoutRule
from tests.e2e.merchant import CHANNEL_KEY, make_merchant
from tests.e2e.server import serving
from tests.integration.o2c_helpers import configure_network

HEADERS = {"X-Channel-Key": CHANNEL_KEY}
NEAR_DROPSHIP = ('cart.bulky && network.dropship.exists(d, d.within && '
                 'cart.items.all(i, !i.bulky || i.sku in d.skus))')


def _shop(hansa: Hansa) -> dict[str, str]:
    merchant = make_merchant(hansa, {"TEE-M": {"NY-MFC": 2, "TN-DC": 5}})
    hansa.bus.execute(CreateProduct(
        handle="sofa", title="Sofa", attributes={"bulky": "true"},
        variants=[NewVariant(sku="SOFA", title="Grey", weight_grams=60_000)]))
    hansa.bus.execute(SetPrices(price_list_id=merchant.price_list_id,
                                prices={"SOFA": [NewTier(1, 89_900)]}))
    hansa.bus.execute(ReceiveStock(sku="SOFA", location_id=merchant.locations["TN-DC"],
                                   quantity=3))
    configure_network(hansa, merchant.locations)
    for name, condition, code, price in (
            ("parcel", "!cart.bulky", "parcel", 599),
            ("freight", "cart.bulky", "freight", 7_900),
            ("threshold-near-dropship", NEAR_DROPSHIP, "threshold", 2_900)):
        hansa.bus.execute(SetCheckoutRule(name=name, condition=condition, option={
            "code": code, "label": code.title(), "carrier": "HEAVYHAUL",
            "service": "HH-THRESHOLD", "price": price, "currency": "USD"}))
    return merchant.locations


def _promise(client: httpx.Client, handle: str, postal_code: str) -> dict[str, object]:
    response = client.get(f"/store/products/{handle}/promise",
                          params={"postal_code": postal_code})
    assert response.status_code == 200, response.text
    [variant] = response.json()["variants"]
    return dict(variant)


def _options(client: httpx.Client, sku: str, postal_code: str) -> list[tuple[str, int]]:
    response = client.post("/store/delivery-options", json={
        "postal_code": postal_code, "country": "US", "lines": [{"sku": sku, "quantity": 1}]})
    assert response.status_code == 200, response.text
    return [(o["code"], o["price"]) for o in response.json()["options"]]


def test_the_promise_comes_from_the_zone_cache_and_moves_when_stock_moves(hansa: Hansa) -> None:
    locations = _shop(hansa)
    with serving(hansa) as base, httpx.Client(base_url=base, headers=HEADERS) as client:
        first = _promise(client, "tee-m", "10001")
        again = _promise(client, "tee-m", "10001")
        hansa.bus.execute(AdjustStock(sku="TEE-M", location_id=locations["NY-MFC"], delta=-2,
                                      reason="damaged"))
        moved = _promise(client, "tee-m", "10001")

    assert first["fastest"] == again["fastest"]
    assert first["fastest"]["from"] == "NY-MFC"  # type: ignore[index]
    assert (first["fastest"]["service"], first["fastest"]["days"]) == ("PC-SAME", 0)  # type: ignore[index]
    assert moved["fastest"]["from"] == "TN-DC"  # type: ignore[index]
    assert (moved["fastest"]["service"], moved["fastest"]["days"]) == ("PC-2DAY", 2)  # type: ignore[index]
    assert moved["cheapest"]["service"] == "PC-GND"  # type: ignore[index]
    promises = hansa.extras["promises"]
    assert (promises.hits, promises.misses) == (1, 2)  # type: ignore[attr-defined]


def test_a_new_dropship_centre_unlocks_threshold_delivery_only_within_its_radius(
        hansa: Hansa) -> None:
    _shop(hansa)
    with serving(hansa) as base, httpx.Client(base_url=base, headers=HEADERS) as client:
        before = _options(client, "SOFA", "10001")
        site = hansa.bus.execute(CreateLocation(
            code="DS-NEWARK", name="Supplier drop-ship centre", kind="supplier_dropship",
            lat=40.73, lon=-74.17, country="US", postal_code="07102"))
        hansa.bus.execute(ReceiveStock(sku="SOFA", location_id=site, quantity=10))
        hansa.bus.execute(ConfigureNode(
            location_id=site, code="DS-NEWARK", kind="dropship", lat=40.73, lon=-74.17,
            country="US", capabilities=["bulky"], supplier_id="sup-1", radius_km=80,
            handling_days=1))
        near = _options(client, "SOFA", "10001")  # Manhattan: about 15 km away
        far = _options(client, "SOFA", "60601")  # Chicago
        small = _options(client, "TEE-M", "10001")
        sofa_near = _promise(client, "sofa", "10001")

    assert before == [("freight", 7_900)]
    assert near == [("threshold", 2_900), ("freight", 7_900)]
    assert far == [("freight", 7_900)]
    assert small == [("parcel", 599)]
    assert sofa_near["fastest"]["from"] == "DS-NEWARK"  # type: ignore[index]


def test_a_rule_that_does_not_compile_is_refused(hansa: Hansa) -> None:
    _shop(hansa)
    with serving(hansa) as base, httpx.Client(base_url=base) as client:
        response = client.put("/admin/shipping/rules/broken", headers={
            "Authorization": f"Bearer {hansa.settings.admin_token}"},
            json={"condition": "cart.bulky &&", "option": {
                "code": "x", "label": "X", "carrier": "HEAVYHAUL", "service": "HH-THRESHOLD",
                "price": 1, "currency": "USD"}})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_rule"
