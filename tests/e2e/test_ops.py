"""Operations endpoints over real HTTP: health, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

import hansa.heads.api
import hansa.heads.web
from hansa.bootstrap import Hansa
from tests.e2e.merchant import CHANNEL_KEY, make_merchant
from tests.e2e.server import serving


@pytest.fixture
def client(hansa: Hansa) -> Iterator[httpx.Client]:
    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def _samples(text: str, name: str) -> dict[str, float]:
    """`name{labels} value` lines of a Prometheus text page, by their label part."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name):].rsplit(" ", 1)
            found[labels] = float(value)
    return found


def test_healthz_reports_ok_with_the_database_dialect(client: httpx.Client, hansa: Hansa) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": hansa.db.dialect, "bus": "memory",
                               "outbox_pending": 0}
    assert hansa.db.dialect in ("sqlite", "postgresql")


def test_healthz_counts_the_events_not_yet_relayed(client: httpx.Client, hansa: Hansa) -> None:
    make_merchant(hansa, {"OPS-1": {"NJ-WH": 1}})  # the worker is not running: nothing relays

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    assert body["outbox_pending"] > 0


def test_metrics_count_requests_by_method_route_template_and_status(
        client: httpx.Client, hansa: Hansa) -> None:
    make_merchant(hansa, {"OPS-2": {"NJ-WH": 1}})
    store = {"X-Channel-Key": CHANNEL_KEY}
    client.get("/store/products", headers=store)
    client.get("/store/products", headers=store)
    client.get("/store/products/ops-2", headers=store)
    client.get("/store/products/not-there", headers=store)
    client.get("/store/products")
    client.get("/no/such/path")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    requests = _samples(response.text, "hansa_http_requests_total")
    assert requests['{method="GET",route="/store/products",status="200"}'] == 2.0
    assert requests['{method="GET",route="/store/products",status="403"}'] == 1.0
    assert requests['{method="GET",route="/store/products/{handle}",status="200"}'] == 1.0
    assert requests['{method="GET",route="/store/products/{handle}",status="404"}'] == 1.0
    assert requests['{method="GET",route="unmatched",status="404"}'] == 1.0
    assert "# TYPE hansa_http_request_seconds histogram" in response.text
    assert _samples(response.text, "hansa_http_request_seconds_count")[
        '{route="/store/products"}'] == 3.0
    assert "hansa_outbox_pending " in response.text
    assert "hansa_dead_letters_open 0.0" in response.text.splitlines()


def _routers() -> list[APIRouter]:
    """Every router the API and web heads define (each must be mounted, with operation ids)."""
    found = []
    for package in (hansa.heads.api, hansa.heads.web):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found += [v for v in vars(module).values() if isinstance(v, APIRouter)]
    return list({id(r): r for r in found}.values())


def test_openapi_names_every_route_with_a_unique_operation_id(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()

    operations = [(method.upper(), path, op.get("operationId"))
                  for path, methods in spec["paths"].items() for method, op in methods.items()]
    ids = Counter(op_id for _, _, op_id in operations)
    routes = {(method, route.path) for router in _routers() for route in router.routes
              if isinstance(route, APIRoute) and route.include_in_schema
              for method in route.methods}
    assert None not in ids
    assert [op_id for op_id, n in ids.items() if n > 1] == []
    assert {(method, path) for method, path, _ in operations} == routes
    assert len(operations) > 60
    assert {"store_checkout", "admin_receive_stock", "healthz"} <= set(ids)


def test_an_unknown_route_answers_in_the_error_shape(client: httpx.Client) -> None:
    response = client.get("/no/such/route")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "route_not_found"


def test_a_wrong_method_answers_in_the_error_shape(client: httpx.Client) -> None:
    response = client.delete("/healthz")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
