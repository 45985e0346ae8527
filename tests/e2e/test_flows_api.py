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
    assert [(p["name"], p["kind"], p["enabled"]) for p in listed] == [
        ("big-orders", "flow", True)]
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
