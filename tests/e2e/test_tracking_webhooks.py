"""Tracking webhooks over real HTTP: three providers, signatures, duplicates and order, and
the admin API that registers shipments and reads incidents and credit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from hansa.adapters.tracking import samples
from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock
from tests.e2e.server import serving
from tests.integration.logistics_helpers import stock_up

SECRETS = {"tracking_easypost_secret": "ep-secret", "tracking_aftership_secret": "as-secret",
           "tracking_ups_secret": "ups-cred"}
ADMIN = {"Authorization": "Bearer hansa-admin"}
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def app(db_url: str) -> Iterator[Hansa]:
    clock = VirtualClock(T0)
    hansa = bootstrap(Settings(db=db_url, bus="memory", **SECRETS), clock=clock, migrate=True)
    yield hansa
    hansa.close()


@pytest.fixture
def client(app: Hansa) -> Iterator[httpx.Client]:
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def register(client: httpx.Client, origin: str, shipment_id: str, code: str,
             carrier: str) -> None:
    reply = client.post("/admin/logistics/shipments", headers=ADMIN, json={
        "shipment_id": shipment_id, "order_id": f"o-{shipment_id}", "customer": "bo@example.com",
        "origin_location_id": origin, "carrier": carrier, "service": "ground",
        "tracking_code": code, "destination_postal_code": "10001", "destination_country": "US",
        "promised_date": "2026-01-12", "lines": [{"sku": "MUG-1", "quantity": 1}],
        "value_minor": 8000, "currency": "USD"})
    assert reply.status_code == 201, reply.text


def post(client: httpx.Client, provider: str, message: tuple[bytes, dict[str, str]]
         ) -> httpx.Response:
    body, headers = message
    return client.post(f"/webhooks/tracking/{provider}", content=body, headers=headers)


def iso(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def test_each_provider_updates_its_shipment_once_and_in_carrier_order(
        app: Hansa, client: httpx.Client) -> None:
    ids = stock_up(app)
    register(client, ids["CHI"], "a", "EZ1", "ups")
    register(client, ids["CHI"], "b", "AS1", "fedex")
    register(client, ids["CHI"], "c", "1ZC", "ups")
    later = {"status": "in_transit", "datetime": iso(10), "city": "Toledo", "zip": "43604"}
    first = {"status": "pre_transit", "datetime": iso(1), "city": "Chicago", "zip": "60601"}
    easypost = samples.easypost("EZ1", [later, first], "ep-secret")

    replies = [post(client, "easypost", easypost) for _ in range(3)]
    aftership = post(client, "aftership", samples.aftership("AS1", [
        {"tag": "OutForDelivery", "subtag": "OutForDelivery_001", "checkpoint_time": iso(20),
         "city": "New York", "zip": "10001"}], "as-secret", slug="fedex"))
    ups = post(client, "ups", samples.ups("1ZC", [
        {"type": "X", "description": "Severe weather", "at": T0 + timedelta(hours=5),
         "city": "Denver", "postal": "80202"}], "ups-cred"))

    assert [r.json()["outcomes"] for r in replies] == [
        {"applied": 2}, {"duplicate": 2}, {"duplicate": 2}]
    assert (aftership.json()["outcomes"], ups.json()["outcomes"]) == (
        {"applied": 1}, {"applied": 1})
    a = client.get("/admin/logistics/shipments/a", headers=ADMIN).json()
    c = client.get("/admin/logistics/shipments/c", headers=ADMIN).json()
    assert (a["status"], a["last_city"], len(a["scans"])) == ("in_transit", "Toledo", 2)
    assert (c["status"], c["substatus"]) == ("exception", "weather_delay")
    assert client.get("/admin/logistics/shipments/b", headers=ADMIN).json()["status"] == (
        "out_for_delivery")


def test_bad_signatures_and_unknown_providers_are_refused_and_change_nothing(
        app: Hansa, client: httpx.Client) -> None:
    ids = stock_up(app)
    register(client, ids["CHI"], "a", "EZ1", "ups")
    scan = [{"status": "delivered", "datetime": iso(30), "city": "New York", "zip": "10001"}]

    forged = post(client, "easypost", samples.easypost("EZ1", scan, "wrong"))
    unsigned = client.post("/webhooks/tracking/aftership", content=b"{}")
    unknown = client.post("/webhooks/tracking/dhl", content=b"{}")
    garbage_body, garbage_headers = samples.ups("1Z", [], "ups-cred")
    garbage = client.post("/webhooks/tracking/ups", content=b"not json",
                          headers=garbage_headers)

    assert [forged.status_code, unsigned.status_code, unknown.status_code,
            garbage.status_code] == [403, 403, 404, 422]
    assert forged.json()["error"]["code"] == "bad_signature"
    assert client.get("/admin/logistics/shipments/a", headers=ADMIN).json()["status"] == (
        "unknown")
    assert garbage_body  # the well-formed body would have been accepted


def test_the_admin_api_sets_a_policy_and_reads_incidents_lanes_and_credit(
        app: Hansa, client: httpx.Client) -> None:
    ids = stock_up(app)
    policy = client.put("/admin/logistics/policies/default", headers=ADMIN,
                        json={"bands": [[100000, 6]], "credit_basis_points": 2000})
    register(client, ids["CHI"], "a", "EZ1", "ups")
    assert isinstance(app.clock, VirtualClock)
    app.clock.advance(timedelta(hours=37))  # the first scan was due within 24 + 2 x 6 h
    app.worker.run_until_idle()

    [incident] = client.get("/admin/logistics/incidents", headers=ADMIN).json()
    credit = client.get("/admin/support/credits/BO@example.com", headers=ADMIN).json()
    lane = client.get("/admin/logistics/lanes/available", headers=ADMIN,
                      params={"carrier": "ups", "lane": f"{ids['CHI']}>US-100"}).json()

    assert policy.status_code == 200
    assert (incident["status"], incident["reship_status"]) == ("open", "reserved")
    assert credit["balance"] == {"amount": 1600, "currency": "USD"}  # 20% of 80.00
    assert lane["available"] is True
    assert client.get("/admin/logistics/incidents").status_code == 403
