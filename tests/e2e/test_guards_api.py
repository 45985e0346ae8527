"""Guards for operators: the admin API over real HTTP and `hansa guards ...` on the same data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hansa.bootstrap import Hansa
from hansa.cli import app as cli
from hansa.guards.messages import ResetBreaker
from hansa.pricing.messages import SetCost
from hansa.suppliers.messages import ApplySupplierPrice, RegisterSupplier
from hansa.suppliers.price_feed import FeedResult
from tests.e2e.merchant import CHANNEL_KEY, make_merchant
from tests.e2e.server import serving

ADMIN = {"Authorization": "Bearer hansa-admin"}
HERO = "HERO-1"


@pytest.fixture
def shop(hansa: Hansa) -> str:
    """HERO-1 at 25.00, cost 12.00, supplier ACME; the price list id."""
    merchant = make_merchant(hansa, {HERO: {"NJ-WH": 5}})
    hansa.bus.execute(SetCost(sku=HERO, amount=1200, currency="USD"))
    hansa.bus.execute(RegisterSupplier(code="ACME", name="Acme", country="CN", currency="USD",
                                       integration="api", lead_time_hours=72))
    return merchant.price_list_id


@pytest.fixture
def client(hansa: Hansa, shop: str) -> Iterator[httpx.Client]:
    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30, headers=ADMIN) as http:
        yield http


def _feed(hansa: Hansa, price_list_id: str, amount: int | None) -> FeedResult:
    result: FeedResult = hansa.bus.execute(ApplySupplierPrice(
        supplier_code="ACME", price_list_id=price_list_id, sku=HERO, amount=amount, cost=1200,
        currency="USD"))
    return result


def _price(client: httpx.Client) -> int:
    listing = client.get("/store/products", headers={"X-Channel-Key": CHANNEL_KEY}).json()
    return int(listing["products"][0]["variants"][0]["price"]["amount"])


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# the API -------------------------------------------------------------------------------------
def test_every_guards_route_needs_the_admin_token(client: httpx.Client) -> None:
    bare = httpx.Client(base_url=str(client.base_url))

    responses = [bare.get("/admin/guards/breakers"), bare.get("/admin/guards/quarantine"),
                 bare.post("/admin/guards/kill-switches",
                           json={"scope": "global", "engaged": True, "reason": "x"})]

    assert [_error(r) for r in responses] == [(403, "admin_token_required")] * 3


def test_a_trip_shows_in_breakers_quarantine_and_verdicts(hansa: Hansa, shop: str,
                                                         client: httpx.Client) -> None:
    held = _feed(hansa, shop, 0)

    breakers = client.get("/admin/guards/breakers").json()
    pending = client.get("/admin/guards/quarantine").json()
    verdicts = client.get("/admin/guards/verdicts", params={"guard": "feed:ACME:price"}).json()

    assert breakers == [{
        "name": "feed:ACME:price", "state": "open", "reason": "price 0: value 0 is not > 0",
        "opened_at": "2026-01-05T09:00:00+00:00", "half_open_at": "2026-01-05T09:15:00+00:00",
        "cooldown_seconds": 900, "trips": 1, "dry_run": False}]
    assert [(q["id"], q["source"], q["subject_key"], q["field"], q["value"], q["last_good"],
             q["reason"]) for q in pending] == [
        (held.quarantine_id, "feed:ACME", HERO, "price", 0, 2500, "price 0: value 0 is not > 0")]
    assert [(v["detector"], v["allowed"], v["subject_key"]) for v in verdicts] == [
        ("positive", False, HERO)]


def test_resetting_a_breaker_closes_it_and_an_unknown_one_is_not_found(
        hansa: Hansa, shop: str, client: httpx.Client) -> None:
    _feed(hansa, shop, 125)

    reset = client.post("/admin/guards/breakers/feed:ACME:price/reset", json={"actor": "ada"})
    again = client.post("/admin/guards/breakers/feed:ACME:price/reset")
    unknown = client.post("/admin/guards/breakers/feed:NOBODY:price/reset")

    assert (reset.json()["state"], reset.json()["closed_now"]) == ("closed", True)
    assert again.json()["closed_now"] is False
    assert _error(unknown) == (404, "breaker_not_found")
    assert _feed(hansa, shop, 2450).applied is True


def test_approve_applies_the_value_reject_keeps_the_last_good_one(hansa: Hansa, shop: str,
                                                                 client: httpx.Client) -> None:
    rejected = _feed(hansa, shop, 125)
    client.post("/admin/guards/breakers/feed:ACME:price/reset")
    approved = _feed(hansa, shop, 7500)

    reject = client.post(f"/admin/guards/quarantine/{rejected.quarantine_id}/reject")
    price_after_reject = _price(client)
    approve = client.post(f"/admin/guards/quarantine/{approved.quarantine_id}/approve",
                          json={"actor": "ada"})
    twice = client.post(f"/admin/guards/quarantine/{approved.quarantine_id}/approve")
    unknown = client.post("/admin/guards/quarantine/no-such-entry/reject")
    everything = client.get("/admin/guards/quarantine", params={"status": "all"}).json()

    assert (reject.status_code, reject.json()["status"]) == (200, "rejected")
    assert price_after_reject == 2500
    assert (approve.json()["status"], approve.json()["decided_by"]) == ("approved", "ada")
    assert _price(client) == 7500
    assert _error(twice) == (409, "quarantine_decided")
    assert _error(unknown) == (404, "quarantine_not_found")
    assert sorted(q["status"] for q in everything) == ["approved", "rejected"]
    assert client.get("/admin/guards/quarantine").json() == []


def test_kill_switches_are_engaged_listed_and_released(hansa: Hansa, shop: str,
                                                        client: httpx.Client) -> None:
    engaged = client.post("/admin/guards/kill-switches", json={
        "scope": "feed:ACME", "engaged": True, "reason": "ERP migration", "actor": "ops"})
    held = _feed(hansa, shop, 2450)
    released = client.post("/admin/guards/kill-switches",
                           json={"scope": "feed:ACME", "engaged": False})
    listed = client.get("/admin/guards/kill-switches").json()

    assert (engaged.json()["engaged"], engaged.json()["reason"]) == (True, "ERP migration")
    assert held.verdict is not None
    assert held.verdict.reason == "kill switch feed:ACME engaged by ops: ERP migration"
    assert [(s["scope"], s["engaged"]) for s in listed] == [("feed:ACME", False)]
    assert released.json()["actor"] == "admin"
    assert _feed(hansa, shop, 2450).applied is True


@pytest.mark.parametrize(("body", "code"), [
    ({"scope": "feed:ACME", "engaged": True}, "reason_required"),
    ({"scope": "everything", "engaged": True, "reason": "x"}, "invalid_scope"),
    ({"scope": "global", "engaged": True, "reason": "x", "colour": "red"}, "invalid_request"),
], ids=["no-reason", "bad-scope", "unknown-field"])
def test_a_bad_kill_switch_request_is_refused_and_changes_nothing(
        client: httpx.Client, body: dict[str, Any], code: str) -> None:
    response = client.post("/admin/guards/kill-switches", json=body)

    assert _error(response) == (422, code)
    assert client.get("/admin/guards/kill-switches").json() == []


# the CLI -------------------------------------------------------------------------------------
def _hansa_guards(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["guards", *args, "--db", db_url],
                                env={"COLUMNS": "300"})
    cells = result.output.translate(str.maketrans("│┃", "  "))  # table rules out of the way
    return result.exit_code, " ".join(cells.split())


def test_the_cli_lists_decides_and_switches(hansa: Hansa, shop: str, db_url: str) -> None:
    held = _feed(hansa, shop, 0)
    hansa.bus.execute(ResetBreaker(name="feed:ACME:price"))
    kept = _feed(hansa, shop, 125)

    listed = _hansa_guards(db_url, "quarantine")
    breakers = _hansa_guards(db_url, "breakers")
    rejected = _hansa_guards(db_url, "reject", str(kept.quarantine_id), "--actor", "ada")
    refused = _hansa_guards(db_url, "approve", str(held.quarantine_id))
    killed = _hansa_guards(db_url, "kill", "feed:ACME", "--reason", "ERP migration")
    switches = _hansa_guards(db_url, "switches")
    released = _hansa_guards(db_url, "release", "feed:ACME")
    bad_scope = _hansa_guards(db_url, "kill", "everything", "--reason", "x")

    assert listed[0] == 0
    assert f"{held.quarantine_id} feed:ACME HERO-1 price 0 2500 price 0: value 0 is not > 0" in (
        listed[1])
    assert "price 125: drop of 95.0% against the last good value 2500" in listed[1]
    # The CLI runs on the wall clock, long past the virtual cool-down: state not asserted.
    assert breakers[0] == 0 and "price 125: drop of 95.0% against" in breakers[1]
    assert "feed:ACME:price" in breakers[1]
    assert rejected == (0, f"rejected {kept.quarantine_id}")
    assert refused[0] == 1 and "(invalid_amount)" in refused[1]
    assert killed == (0, "kill switch feed:ACME engaged")
    assert "feed:ACME ENGAGED ERP migration" in switches[1]
    assert released == (0, "kill switch feed:ACME released")
    assert bad_scope[0] == 1 and "(invalid_scope)" in bad_scope[1]

