"""The admin flows API over real HTTP: create (422 with the CEL position), list, dry run, audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hansa.bootstrap import Hansa
from hansa.orders.messages import OrderPlaced
from tests.e2e.server import serving
from tests.integration.automation_helpers import publish

ADMIN = {"Authorization": "Bearer hansa-admin"}
BIG = (Path(__file__).resolve().parents[2] / "examples" / "flows" / "big-orders.yaml").read_text()
ORDER = {"order_id": "o-1", "number": "H-1", "channel_id": "c", "currency": "USD",
         "total": 25000, "lines": [], "postal_code": "10001", "country": "US"}


@pytest.fixture
def client(hansa: Hansa) -> Iterator[httpx.Client]:
    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30, headers=ADMIN) as http:
        yield http


def test_a_bad_condition_answers_422_with_its_line_and_column(client: httpx.Client) -> None:
    response = client.post("/admin/flows", json={"definition": BIG.replace(
        "event.total > 10000", "event.total >"), "format": "yaml"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["line"], error["details"]["field"]) == (
        "invalid_condition", 1, "condition")
    assert client.get("/admin/flows/big-orders").status_code == 404


def test_create_list_disable_dry_run_and_audit(client: httpx.Client, hansa: Hansa) -> None:
    created = client.post("/admin/flows", json={"definition": BIG, "format": "yaml"})
    assert created.status_code == 201 and len(created.json()["webhook_secret"]) == 64

    listed = client.get("/admin/paths").json()["paths"]
    assert [(p["name"], p["enabled"]) for p in listed if p["kind"] == "flow"] == [
        ("big-orders", True)]
    assert all(p["kind"] == "code" for p in listed if p["name"] != "big-orders")
    dry = client.post("/admin/flows/big-orders/dry-run", json={"event": ORDER}).json()
    assert (dry["condition"], dry["fires"], len(dry["decision"]["steps"])) == (True, True, 2)
    assert client.post("/admin/flows/big-orders/disable").json()["enabled"] is False
    assert client.post("/admin/flows/big-orders/dry-run",
                       json={"event": ORDER}).json()["fires"] is False
    assert client.post("/admin/flows/big-orders/enable").json()["enabled"] is True

    publish(hansa, OrderPlaced(order_id="o-1", number="H-1", channel_id="c", currency="USD",
                               total=25000, lines=[], postal_code="10001", country="US"))
    hansa.worker.run_until_idle()

    runs = client.get("/admin/paths/runs", params={"path": "big-orders"}).json()
    assert runs["counts"] == {"completed": 1}
    run = client.get(f"/admin/paths/runs/{runs['runs'][0]['id']}").json()
    assert [s["status"] for s in run["steps"]] == ["completed", "completed"]
    assert client.delete("/admin/flows/big-orders").status_code == 204
    assert client.get("/admin/flows/big-orders").status_code == 404


def _blocked_run(client: httpx.Client, hansa: Hansa, order_id: str) -> str:
    """A big-orders run held at its first step by the path's kill switch."""
    publish(hansa, OrderPlaced(order_id=order_id, number=order_id, channel_id="c",
                               currency="USD", total=25000, lines=[], postal_code="10001",
                               country="US"))
    hansa.worker.run_until_idle()
    runs = client.get("/admin/paths/runs", params={"path": "big-orders",
                                                   "status": "blocked"}).json()["runs"]
    (run,) = [r for r in runs if r["trigger_data"]["order_id"] == order_id]
    return str(run["id"])


def test_a_blocked_run_resumes_after_the_kill_switch_is_released(
        client: httpx.Client, hansa: Hansa) -> None:
    assert client.post("/admin/flows", json={"definition": BIG}).status_code == 201
    assert client.post("/admin/guards/kill-switches", json={
        "scope": "path:big-orders", "engaged": True, "reason": "checking tags"}).status_code == 200
    run_id = _blocked_run(client, hansa, "o-7")

    refused = client.post(f"/admin/paths/runs/{run_id}/resume")
    assert refused.status_code == 200 and refused.json()["status"] == "running"
    hansa.worker.run_until_idle()  # still switched off: blocked again, nothing done
    run = client.get(f"/admin/paths/runs/{run_id}").json()
    assert (run["status"], [s["status"] for s in run["steps"]]) == (
        "blocked", ["planned", "planned"])

    assert client.post("/admin/guards/kill-switches", json={
        "scope": "path:big-orders", "engaged": False}).status_code == 200
    assert client.post(f"/admin/paths/runs/{run_id}/resume").status_code == 200
    hansa.worker.run_until_idle()
    run = client.get(f"/admin/paths/runs/{run_id}").json()
    assert (run["status"], [s["status"] for s in run["steps"]]) == (
        "completed", ["completed", "completed"])
    again = client.post(f"/admin/paths/runs/{run_id}/resume")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "run_not_blocked")


def test_a_cancelled_run_does_nothing_and_cannot_be_cancelled_twice(
        client: httpx.Client, hansa: Hansa) -> None:
    assert client.post("/admin/flows", json={"definition": BIG}).status_code == 201
    client.post("/admin/guards/kill-switches",
                json={"scope": "path:big-orders", "engaged": True, "reason": "audit"})
    run_id = _blocked_run(client, hansa, "o-8")

    cancelled = client.post(f"/admin/paths/runs/{run_id}/cancel", json={"reason": "duplicate"})
    hansa.worker.run_until_idle()

    assert cancelled.status_code == 200
    run = client.get(f"/admin/paths/runs/{run_id}").json()
    assert run["status"] == "cancelled" and "duplicate" in run["error"]
    assert [s["status"] for s in run["steps"]] == ["planned", "planned"]
    twice = client.post(f"/admin/paths/runs/{run_id}/cancel", json={"reason": "again"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "run_finished")
    missing = client.post("/admin/paths/runs/nope/cancel", json={"reason": "x"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "run_not_found")
