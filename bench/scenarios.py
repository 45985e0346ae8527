"""The phases run against one database: seed, start-up, product listing, checkout, the ceiling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

import databases
import servers
from load import LoadResult, LoadSpec, run_load

CHANNEL = {"X-Channel-Key": "dtc-us"}
ADMIN = {"Authorization": "Bearer hansa-admin"}
PRODUCTS_PATH = "/store/products?limit=20"
CHECKOUT_SKUS = 48  # round-robin over this many SKUs keeps row-lock contention realistic
TOP_UP_UNITS = 50_000
SETTLE_SECONDS = 0.5


@dataclass(frozen=True)
class RunConfig:
    """Durations and knobs shared by every phase."""

    duration: float
    warmup: float
    concurrency: int = 16
    use_wrk: bool = True
    keep_db: bool = False
    pg_server: str = databases.PG_SERVER


class Ui:
    """Progress output: a status line per step and a bar per timed load phase."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def step(self, message: str) -> None:
        self.console.print(f"  [cyan]•[/] {message}")

    def load(self, spec: LoadSpec, use_wrk: bool) -> LoadResult:
        """Run a load phase under a progress bar that tracks its duration."""
        with Progress(TextColumn("    {task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=self.console, transient=True,
                      disable=not self.console.is_terminal) as bar:
            task = bar.add_task(spec.label, total=spec.duration)
            result = run_load(spec, lambda t: bar.update(task, completed=min(t, spec.duration)),
                              use_wrk=use_wrk)
        return result


def bench_database(kind: str, cfg: RunConfig, workdir: Path, ui: Ui) -> dict[str, Any]:
    """Every phase on one fresh database; the database is dropped afterwards."""
    ui.console.rule(f"[bold]{kind}")
    db = databases.fresh(kind, workdir, cfg.pg_server)
    result: dict[str, Any] = {"database": kind}
    try:
        ui.step("seeding the demo merchant (hansa seed demo)")
        result["seed_s"] = round(servers.seed(db.url, workdir), 2)
        ui.step(f"seeded in {result['seed_s']:.1f} s")
        result.update(_bench_hansa(db.url, cfg, workdir, ui))
        result["bare"] = _bench_bare(db.url, cfg, workdir, ui)
        result["db_size_mb"] = db.size_mb()
    finally:
        if not cfg.keep_db:
            db.drop()
    return result


def _timed(ui: Ui, cfg: RunConfig, server: servers.Server, label: str, url: str,
           headers: dict[str, str], skus: tuple[str, ...] = (),
           count: Callable[[], int] | None = None) -> tuple[LoadResult, dict[str, Any]]:
    """Warm up, then measure; returns the load result, the server's CPU use and `count` delta."""
    if cfg.warmup > 0:
        ui.load(LoadSpec(f"{label} (warm-up)", url, cfg.warmup, cfg.concurrency, headers,
                         skus), cfg.use_wrk)
        time.sleep(SETTLE_SECONDS)  # let requests in flight when the client stopped finish
    before = count() if count else 0
    cpu_before, machine_before = server.cpu_seconds(), servers.machine_cpu()[0]
    load_before = servers.load_average()
    result = ui.load(LoadSpec(label, url, cfg.duration, cfg.concurrency, headers, skus),
                     cfg.use_wrk)
    cpu = server.cpu_seconds() - cpu_before
    machine = servers.machine_cpu()[0] - machine_before
    extra: dict[str, Any] = {
        "server_cpu_s": round(cpu, 2),
        "server_cores_busy": round(cpu / result.duration_s, 2),
        "machine_cores_busy": round(machine / result.duration_s, 2),
        "loadavg_1m": [load_before, servers.load_average()],
    }
    if count:
        time.sleep(SETTLE_SECONDS)
        extra["counted_delta"] = count() - before
    return result, extra


def _bench_hansa(db_url: str, cfg: RunConfig, workdir: Path, ui: Ui) -> dict[str, Any]:
    server = servers.hansa_server(db_url, workdir)
    out: dict[str, Any] = {}
    try:
        ui.step(f"starting hansa serve on port {server.port}")
        server.start()
        healthz = server.wait_for("healthz", "/healthz")
        first = server.wait_for("first_products", PRODUCTS_PATH, CHANNEL)
        out["startup"] = {"healthz_s": round(healthz, 3), "first_products_s": round(first, 3)}
        out["memory_idle"] = server.memory()
        ui.step(f"up: /healthz after {healthz:.2f} s, first product page after {first:.2f} s")

        products, cpu = _timed(ui, cfg, server, "GET /store/products?limit=20",
                               server.base_url + PRODUCTS_PATH, CHANNEL)
        out["products"] = products.as_dict() | cpu | {"memory": server.memory()}
        ui.step(_describe(products, ok=200))

        skus = _prepare_checkout(server.base_url, ui.step)
        checkout, extra = _timed(ui, cfg, server, "POST /store/checkout",
                                 server.base_url + "/store/checkout", CHANNEL, skus,
                                 count=lambda: _orders_total(server.base_url))
        created = extra.pop("counted_delta")
        out["checkout"] = checkout.as_dict() | extra | {
            "memory": server.memory(), "skus": len(skus), "orders_created": created,
            "orders_per_s": round(checkout.count(201) / checkout.duration_s, 1),
        }
        ui.step(_describe(checkout, ok=201) + f"; GET /admin/orders total grew by {created}")
        out["log_tail"] = server.log_tail(15)
    finally:
        server.stop()
    return out


def _bench_bare(db_url: str, cfg: RunConfig, workdir: Path, ui: Ui) -> dict[str, Any]:
    server = servers.bare_server(db_url, workdir)
    try:
        ui.step(f"starting the bare ceiling app on port {server.port}")
        server.start()
        healthz = server.wait_for("healthz", "/healthz")
        server.wait_for("first_read", "/bare/product")
        result, cpu = _timed(ui, cfg, server, "GET /bare/product (ceiling)",
                             server.base_url + "/bare/product", {})
        ui.step(_describe(result, ok=200))
        return result.as_dict() | cpu | {"memory": server.memory(),
                                         "startup_healthz_s": round(healthz, 3)}
    finally:
        server.stop()


def _describe(result: LoadResult, ok: int) -> str:
    good = result.count(ok) if result.statuses else result.requests - result.status_errors
    return (f"{result.label}: {result.rps:,.0f} req/s ({good / result.duration_s:,.0f} "
            f"{ok}/s), p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"errors {result.socket_errors + result.status_errors}")


def _orders_total(base_url: str) -> int:
    response = httpx.get(f"{base_url}/admin/orders?limit=1", headers=ADMIN, timeout=30)
    response.raise_for_status()
    return int(response.json()["total"])


def _prepare_checkout(base_url: str, log: Callable[[str], None]) -> tuple[str, ...]:
    """Pick in-stock MTS SKUs of dtc-us and receive plenty of stock for them."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/store/products?limit=200", headers=CHANNEL)
        page.raise_for_status()
        skus = [v["sku"] for p in page.json()["products"] if p["inventory_model"] == "mts"
                for v in p["variants"] if v.get("in_stock") and (v.get("available") or 0) > 0]
        skus = skus[:CHECKOUT_SKUS]
        if not skus:
            raise RuntimeError("no in-stock MTS SKUs in dtc-us to check out")
        locations = client.get("/admin/locations", headers=ADMIN)
        locations.raise_for_status()
        fallback = [loc["id"] for loc in locations.json() if loc["code"] == "US-NJ-WH"]
        receipts = 0
        for sku in skus:
            stock = client.get(f"/admin/stock/{sku}", headers=ADMIN)
            stock.raise_for_status()
            sites = sorted({lv["location_id"] for lv in stock.json()["levels"]}) or fallback
            for location_id in sites:
                done = client.post("/admin/stock/receipts", headers=ADMIN, json={
                    "sku": sku, "location_id": location_id, "quantity": TOP_UP_UNITS,
                    "reference": "bench top-up"})
                done.raise_for_status()
                receipts += 1
    log(f"checkout SKUs: {len(skus)} in-stock MTS variants, topped up with {receipts} receipts "
        f"of {TOP_UP_UNITS:,} units")
    return tuple(skus)
