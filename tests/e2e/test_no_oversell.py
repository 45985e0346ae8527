"""200 buyers race for 10 units through the real HTTP API: exactly 10 orders, ledger balanced."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hansa.bootstrap import Hansa
from hansa.inventory import queries as inventory
from hansa.orders import queries as orders
from tests.e2e.merchant import CHANNEL_KEY, checkout_body, make_merchant
from tests.e2e.server import serving

BUYERS = 200


def _race(base: str, sku: str) -> Counter[int]:
    """BUYERS threads released at once, each checking out one unit with its own key."""
    gate = threading.Barrier(BUYERS)

    def buy(_: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as client:
            gate.wait()
            response = client.post(
                "/store/checkout", json=checkout_body(sku),
                headers={"X-Channel-Key": CHANNEL_KEY, "Idempotency-Key": uuid.uuid4().hex})
            return response.status_code

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        return Counter(pool.map(buy, range(BUYERS)))


def _assert_sold_exactly(hansa: Hansa, sku: str, units: int, statuses: Counter[int]) -> None:
    assert statuses == Counter({201: units, 409: BUYERS - units})
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == units
        levels = inventory.levels(conn, [sku])
        assert sum(lv.reserved for lv in levels) == units
        assert all(lv.available == 0 for lv in levels)
        assert inventory.ledger_imbalances(conn) == []


@pytest.mark.slow
def test_200_concurrent_checkouts_for_10_units_make_exactly_10_orders(hansa: Hansa) -> None:
    make_merchant(hansa, {"HOT-1": {"NJ-WH": 10}})

    with serving(hansa) as base:
        statuses = _race(base, "HOT-1")

    _assert_sold_exactly(hansa, "HOT-1", 10, statuses)


@pytest.mark.slow
def test_stock_split_5_and_5_over_two_locations_sells_exactly_10(hansa: Hansa) -> None:
    make_merchant(hansa, {"HOT-2": {"NJ-WH": 5, "TN-DC": 5}})

    with serving(hansa) as base:
        statuses = _race(base, "HOT-2")

    _assert_sold_exactly(hansa, "HOT-2", 10, statuses)
    with hansa.db.read() as conn:
        assert sorted(lv.reserved for lv in inventory.levels(conn, ["HOT-2"])) == [5, 5]


def test_the_same_checkout_sent_twice_with_one_key_makes_one_order(hansa: Hansa) -> None:
    make_merchant(hansa, {"CALM-1": {"NJ-WH": 10}})
    headers = {"X-Channel-Key": CHANNEL_KEY, "Idempotency-Key": "retry-" + uuid.uuid4().hex}

    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as client:
        first = client.post("/store/checkout", json=checkout_body("CALM-1"), headers=headers)
        second = client.post("/store/checkout", json=checkout_body("CALM-1"), headers=headers)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == 1
        assert sum(lv.reserved for lv in inventory.levels(conn, ["CALM-1"])) == 1


def test_concurrent_duplicates_of_one_key_make_one_order(hansa: Hansa) -> None:
    make_merchant(hansa, {"CALM-2": {"NJ-WH": 10}})
    headers = {"X-Channel-Key": CHANNEL_KEY, "Idempotency-Key": "dup-" + uuid.uuid4().hex}
    gate = threading.Barrier(8)

    def send(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=base, timeout=30) as client:
            gate.wait()
            r = client.post("/store/checkout", json=checkout_body("CALM-2"), headers=headers)
            return r.status_code, r.json()["id"]

    with serving(hansa) as base, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(8)))

    assert sorted(code for code, _ in results) == [200] * 7 + [201]
    assert len({order_id for _, order_id in results}) == 1
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == 1


def test_a_reused_key_with_a_different_body_is_refused(hansa: Hansa) -> None:
    make_merchant(hansa, {"CALM-3": {"NJ-WH": 10}})
    headers = {"X-Channel-Key": CHANNEL_KEY, "Idempotency-Key": "reuse-" + uuid.uuid4().hex}

    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as client:
        client.post("/store/checkout", json=checkout_body("CALM-3", 1), headers=headers)
        clash = client.post("/store/checkout", json=checkout_body("CALM-3", 2), headers=headers)

    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "idempotency_key_reused"
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == 1
