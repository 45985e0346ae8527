"""Supplier integration bench: CSV and 846 import throughput and memory, and the propagation
latency of a supplier change to all three channels' product reads (SQLite + in-process bus,
PostgreSQL + NATS). Writes bench/results/suppliers.json and .md.

    .venv/bin/python bench/suppliers.py [--rows 100000] [--items 10000] [--changes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hansa.bootstrap import Hansa, bootstrap
from hansa.catalog import queries as catalog
from hansa.channels import queries as channel_queries
from hansa.config import Settings
from hansa.demo.seed import seed_demo
from hansa.heads.api.deps import ReadModels
from hansa.pricing import queries as pricing
from hansa.suppliers.edi.x12_out import envelope
from hansa.suppliers.messages import (
    ProcessSupplierDocument,
    ReceiveSupplierDocument,
    RegisterSupplierSite,
)

RESULTS = Path(__file__).resolve().parent / "results"
PG_SERVER = os.environ.get("HANSA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
SITES = (("SHENZHEN-WORKS", "SZ-FAB", "factory", 22.54, 114.06, "CN"),)  # + the seed's


def with_nats(hansa: Hansa, tag: str) -> Hansa:
    """Swap the in-process transport for JetStream on a stream of the bench's own."""
    from hansa.bus.backends.nats import NatsTransport
    from hansa.bus.deliveries import DeliveryWorker
    from hansa.bus.relay import Relay
    from hansa.bus.worker import BusWorker

    transport = NatsTransport(hansa.bus, hansa.dispatcher, hansa.settings.nats_url,
                              stream=f"B{tag}", subject_prefix=f"b{tag}")
    worker = BusWorker(Relay(hansa.bus, transport), DeliveryWorker(hansa.bus, hansa.dispatcher),
                       transport)
    hansa.bus.on_commit(lambda _envelopes: worker.wake())
    hansa.transport, hansa.worker = transport, worker
    worker.start()
    return hansa


async def _delete_stream(url: str, stream: str) -> None:
    import nats

    nc = await nats.connect(url, connect_timeout=5)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


def boot(url: str) -> Hansa:
    hansa = bootstrap(Settings(db=url, bus="memory", listing_stock_lag_ms=0), migrate=True)
    seed_demo(hansa, products=200)
    for supplier, code, kind, lat, lon, country in SITES:
        hansa.bus.execute(RegisterSupplierSite(supplier_code=supplier, code=code, name=code,
                                               kind=kind, lat=lat, lon=lon, country=country))
    return hansa


COSTS: dict[str, int] = {}


def skus(hansa: Hansa) -> list[str]:
    """Our MTS SKUs; their costs in force are remembered so that feeds stay plausible."""
    with hansa.db.read() as conn:
        found = [v.sku for p in catalog.products(conn) if p.inventory_model.value == "mts"
                 for v in p.variants]
        COSTS.update({k: m.amount for k, m in pricing.costs(conn, found).items()})
    return found


def csv_chunks(rows: int, ours: list[str], round_: int) -> Iterator[bytes]:
    """A supplier price/stock list, generated as it is read (never held whole)."""
    yield b"supplier_sku,sku,cost,currency,stock:IT-FI-FAB,moq,case_pack,attr:material\n"
    lines = []
    for n in range(rows):
        sku = ours[n] if n < len(ours) else ""
        cost = COSTS.get(sku, (n % 900) * 100 + 1025) * (100 + round_) // 100
        lines.append(f"FL-{n:07d},{sku},{cost / 100:.2f},USD,{(n * 7 + round_) % 500}"
                     f",{1 + n % 12},6,cotton {n % 100}%\n")
        if len(lines) == 5000:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def x12_846(items: int, ours: list[str], round_: int) -> bytes:
    body: list[list[str]] = [["BIA", "00", "MM", f"R{round_}", "20261203"],
                             ["N1", "WH", "factory", "92", "SZ-FAB"]]
    for n in range(items):
        ids = ["VP", f"SZ-{n:06d}"] + (["SK", ours[n]] if n < len(ours) else [])
        body += [["LIN", "", *ids], ["QTY", "33", str((n * 3 + round_) % 400), "EA"]]
    at = datetime(2026, 12, 3, 12, round_ % 60, tzinfo=UTC)
    return envelope("IB", [("846", body)], sender="SHENZHEN", receiver="HANSA",
                    control=1000 + round_, at=at).encode()


def ingest(hansa: Hansa, supplier: str, fmt: str, chunks: Any) -> dict[str, Any]:
    doc_id = hansa.bus.execute(ReceiveSupplierDocument(supplier_code=supplier, format=fmt,
                                                       chunks=chunks))
    outcome = hansa.bus.execute(ProcessSupplierDocument(document_id=doc_id))
    assert outcome.status == "applied", outcome.reason
    return {"records": outcome.records, "changes": outcome.changes}


def measure_import(hansa: Hansa, label: str, run: Any, *, memory: bool) -> dict[str, Any]:
    if memory:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out = {"what": label, "seconds": round(seconds, 3), "load_avg_1m": os.getloadavg()[0],
           "rows_per_s": round(result["records"] / seconds),
           "rows_per_cpu_s": round(result["records"] / max(cpu_seconds, 1e-9)), **result}
    if peak is not None:
        out["peak_python_mib"] = round(peak / 2**20, 2)
    print(out, file=sys.stderr)
    return out


def throughput(hansa: Hansa, rows: int, items: int, *,
               memory: bool = True) -> list[dict[str, Any]]:
    """Import rounds; with `memory`, two more under tracemalloc at 1/20 and 1/5 of the rows."""
    ours = skus(hansa)
    results = []
    rounds = [(rows, False), (rows, False)] + ([(rows // 20, True), (rows // 5, True)]
                                               if memory else [])
    for round_, (n, traced) in enumerate(rounds):
        what = f"csv {n} rows ({'first import' if round_ == 0 else 're-import, all changed'})"
        results.append(measure_import(hansa, what + (" +tracemalloc" if traced else ""),
                                      lambda n=n, r=round_: ingest(
                                          hansa, "FLORENCE-LAB", "csv",
                                          csv_chunks(n, ours, r)), memory=traced))
    for round_ in range(2):
        data = x12_846(items, ours, round_)
        results.append(measure_import(hansa, f"x12 846 {items} items (round {round_})",
                                      lambda d=data: ingest(hansa, "SHENZHEN-WORKS", "x12",
                                                            [d]), memory=False))
    return results


def propagation(hansa: Hansa, changes: int) -> dict[str, Any]:
    """Supplier stock change (JSON document) -> visible in all three channels' listings."""
    models = ReadModels(hansa)
    hansa.bus.on_commit(models.feed.on_commit)
    with hansa.db.read() as conn:
        channels = channel_queries.channels(conn)
        product = next(p for p in catalog.products(conn) if p.category == "apparel"
                       and p.inventory_model.value == "mts")
    sku = product.variants[0].sku
    for channel in channels:  # warm read models, as a serving process has them
        models.listing.products(channel)
    samples = []
    for n in range(changes):
        quantity = 100 + n
        body = json.dumps({"document_id": f"P-{uuid.uuid4()}", "items": [
            {"supplier_sku": "MS-PROBE", "sku": sku, "stock": {"US-TX-DROP": quantity}}]})
        started = time.perf_counter()
        ingest(hansa, "MEMPHIS-SUPPLY", "json", [body.encode()])
        seen = set()
        while len(seen) < len(channels):
            for channel in channels:
                if channel.key in seen:
                    continue
                for view in models.listing.products(channel):
                    if view["id"] == product.id and _has(view, sku, quantity):
                        seen.add(channel.key)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"changes": changes, "channels": [c.key for c in channels],
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))], 2),
            "max_ms": round(samples[-1], 2)}


def _has(view: dict[str, Any], sku: str, at_least: int) -> bool:
    return any(v["sku"] == sku and (v["available"] or 0) >= at_least for v in view["variants"])


def pg_url() -> tuple[str, Any]:
    name = f"hansa_bench_sup_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_SERVER + "/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return f"{PG_SERVER}/{name}", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds"),
                              "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        hansa = boot(f"sqlite:///{tmp}/bench.db")
        try:
            report["sqlite_import"] = throughput(hansa, args.rows, args.items)
            report["sqlite_memory_bus_propagation"] = propagation(hansa, args.changes)
        finally:
            hansa.close()
    if not args.skip_pg:
        url, drop = pg_url()
        try:
            tag = uuid.uuid4().hex[:10]
            hansa = with_nats(boot(url), tag)
            try:
                report["postgres_nats_import"] = throughput(hansa, args.rows, args.items,
                                                            memory=False)
                report["postgres_nats_propagation"] = propagation(hansa, args.changes)
            finally:
                hansa.close()
                asyncio.run(_delete_stream(hansa.settings.nats_url, f"B{tag}"))
        finally:
            drop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "suppliers.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "suppliers.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Supplier integration bench ({report['at']}, {report['cpus']} CPUs, load "
             f"average at start {report['load_avg_at_start'][0]:.1f}: the machine is shared, "
             "so figures under load are pessimistic)", ""]
    for key in ("sqlite_import", "postgres_nats_import"):
        if key in report:
            lines += [f"## {key}", "",
                      "| what | records | changes | s | rows/s | rows/CPU-s | peak MiB | load 1m |",
                      "|---|---|---|---|---|---|---|---|"]
            lines += [f"| {r['what']} | {r['records']} | {r['changes']} | {r['seconds']} | "
                      f"{r['rows_per_s']} | {r['rows_per_cpu_s']} | "
                      f"{r.get('peak_python_mib', '')} | "
                      f"{r['load_avg_1m']:.1f} |" for r in report[key]]
            lines.append("")
    for key in ("sqlite_memory_bus_propagation", "postgres_nats_propagation"):
        if key in report:
            p = report[key]
            lines += [f"## {key}", "", f"{p['changes']} supplier stock changes, visible in "
                      f"{', '.join(p['channels'])}: p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, "
                      f"max {p['max_ms']} ms", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
