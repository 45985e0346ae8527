"""Automation throughput and guard latency, measured side by side in one run.

    .venv/bin/python bench/automation.py [--events 3000] [--guard-rows 2000] [--quick]

1. Events through trigger -> condition -> action on the embedded bus (SQLite file, in-process
   transport), commit included: N `OrderPlaced` events are committed to the outbox (500 per
   unit of work, as a busy checkout would), then the worker drains until idle. A merchant flow
   with a CEL condition and one action (`tag`) handles them. Two figures: every event fires
   (a durable run with its step, audit and action) and no event fires (the condition is false:
   the delivery, the CEL evaluation and the inbox row only).
2. The same on PostgreSQL + NATS JetStream (relay publishes to JetStream, a pull consumer per
   path), and in the same run the raw JetStream rate: nats-py publishing N messages of the same
   size, each awaited for its ack, as the relay does. Also the relay alone (outbox ->
   JetStream, acked) against that raw rate: the transport's own overhead.
   The raw rate is measured three ways: each ack awaited in turn, 64 acks outstanding (64
   `publish` calls gathered), and nats-py's `publish_async` with 500 acks outstanding (the
   relay's batch, as the relay publishes); shares are of the fastest pipelined one.
3. CEL condition evaluations per second (compiled once, cel-python's compiled runner).
4. Added latency of the price guard: the guarded supplier feed (`ApplySupplierPrice`: kill
   switches, breaker, price guard over the sample window, change rate, sample kept) against
   the same price change applied unguarded (`SetPrices`), interleaved, one unit of work each,
   on SQLite and PostgreSQL, on a virtual clock that lets 5 of the 20 SKUs change a minute.
   The added latency is the difference of the two distributions' percentiles.

Writes bench/results/automation.json and automation.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test merchant builder is shared with the tests

from tests.e2e.merchant import make_merchant  # noqa: E402

from hansa.automation.flow_messages import CreateFlow  # noqa: E402
from hansa.automation.flows import activation, compile_cel  # noqa: E402
from hansa.bootstrap import Hansa, bootstrap  # noqa: E402
from hansa.config import Settings  # noqa: E402
from hansa.kernel.clock import VirtualClock  # noqa: E402
from hansa.orders.messages import OrderPlaced  # noqa: E402
from hansa.pricing import handlers as pricing_handlers  # noqa: E402
from hansa.pricing.messages import NewTier, SetCost, SetPrices  # noqa: E402
from hansa.suppliers import price_feed  # noqa: E402
from hansa.suppliers.messages import ApplySupplierPrice, RegisterSupplier  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PG_SERVER = os.environ.get("HANSA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
NATS_URL = os.environ.get("HANSA_BENCH_NATS", "nats://127.0.0.1:4222")
FLOW = """name: tag-big
trigger: hansa.orders.order_placed.v1
condition: event.total > 10000 && event.country == "US"
actions:
  - action: tag
    params: {subject_type: order, subject_id: "{{ event.order_id }}", tag: big}
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = %s", (name,))
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.db"


def order(i: int, total: int) -> OrderPlaced:
    return OrderPlaced(order_id=f"o-{i}", number=f"H-{i}", channel_id="c", currency="USD",
                       total=total, lines=[], postal_code="10001", country="US")


def publish(hansa: Hansa, n: int, total: int) -> None:
    for start in range(0, n, 500):
        with hansa.bus.uow() as uow:
            for i in range(start, min(n, start + 500)):
                uow.record(order(i, total))
            uow.commit()


def run_counts(hansa: Hansa) -> dict[str, int]:
    with hansa.db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT status, count(*) FROM automation_runs GROUP BY status").all()
    return {str(status): int(count) for status, count in rows}


def through_flow(settings: Settings, n: int, fires: bool) -> dict[str, Any]:
    """Events/s from the first commit to the last run recorded (or to idle when none fire)."""
    hansa = bootstrap(settings, migrate=True)
    try:
        hansa.bus.execute(CreateFlow(definition=FLOW, format="yaml"))
        hansa.worker.transport.start()
        started = time.perf_counter()
        publish(hansa, n, 20000 if fires else 5000)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            hansa.worker.run_until_idle(max_passes=100_000)
            counts = run_counts(hansa)
            if not fires or counts.get("completed", 0) >= n:
                break
        seconds = time.perf_counter() - started
        counts = run_counts(hansa)
        if fires and counts.get("completed", 0) != n:
            raise RuntimeError(f"expected {n} completed runs, found {counts}")
        return {"events": n, "seconds": round(seconds, 3),
                "events_per_second": round(n / seconds, 1), "runs": counts}
    finally:
        hansa.close()
        hansa.transport.close()


def relay_only(settings: Settings, n: int) -> dict[str, Any]:
    """Outbox -> JetStream, each message acked: no consumers."""
    hansa = bootstrap(settings, migrate=True)
    try:
        hansa.transport.start()
        publish(hansa, n, 5000)
        started = time.perf_counter()
        relayed = 0
        while relayed < n:
            relayed += hansa.worker.relay.relay_once()
        seconds = time.perf_counter() - started
        return {"messages": n, "seconds": round(seconds, 3),
                "messages_per_second": round(n / seconds, 1)}
    finally:
        hansa.close()
        hansa.transport.close()


def raw_jetstream(n: int, size: int) -> dict[str, Any]:
    """nats-py alone: publish n messages of `size` bytes, awaiting each ack (as the relay)."""
    import nats
    from nats.js.api import StreamConfig

    async def go() -> tuple[float, float, float]:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        stream = f"RAW{uuid.uuid4().hex[:8].upper()}"
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
        body = b"x" * size
        subject = f"{stream.lower()}.orders"
        started = time.perf_counter()
        for i in range(n):  # one at a time, each ack awaited
            await js.publish(subject, body, headers={"Nats-Msg-Id": f"{stream}-s{i}"})
        sequential = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, n, 64):  # pipelined: 64 acks outstanding (the relay used to)
            await asyncio.gather(*(js.publish(subject, body,
                                              headers={"Nats-Msg-Id": f"{stream}-p{i}"})
                                   for i in range(start, min(n, start + 64))))
        pipelined = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, n, 500):  # nats-py's publish_async: a relay batch's acks at once
            acks = [await js.publish_async(subject, body, headers={"Nats-Msg-Id": f"{stream}-a{i}"})
                    for i in range(start, min(n, start + 500))]
            await asyncio.gather(*acks)
        batched = time.perf_counter() - started
        await js.delete_stream(stream)
        await nc.close()
        return sequential, pipelined, batched

    sequential, pipelined, batched = asyncio.run(go())
    return {"messages": n, "bytes": size,
            "sequential_per_second": round(n / sequential, 1),
            "window_64_per_second": round(n / pipelined, 1),
            "publish_async_per_second": round(n / batched, 1),
            "messages_per_second": round(n / min(pipelined, batched), 1)}


def cel_rate(n: int) -> dict[str, Any]:
    expr = compile_cel('event.total > 10000 && event.country == "US"', "condition")
    variables = activation(order(1, 20000).payload(), datetime.now(UTC))
    assert expr.evaluate(variables) is True
    started = time.perf_counter()
    for _ in range(n):
        expr.evaluate(variables)
    seconds = time.perf_counter() - started
    return {"evaluations": n, "seconds": round(seconds, 3),
            "evaluations_per_second": round(n / seconds, 1),
            "microseconds_each": round(seconds / n * 1e6, 1)}


def guard_latency(url: str, rows: int) -> dict[str, Any]:
    """Guarded feed row vs the same price change unguarded, interleaved, ms per unit of work."""
    clock = VirtualClock(datetime.now(UTC))
    # The guard's own work, paired per row: the handler's time minus the price write it
    # guards (the same SetPrices handler the unguarded side runs), commit excluded.
    own: list[float] = []
    handler, write = price_feed.apply_supplier_price, pricing_handlers.set_prices
    spent = [0.0]

    def timed_write(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return write(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    def timed_handler(*args: Any, **kwargs: Any) -> Any:
        spent[0] = 0.0
        started = time.perf_counter()
        try:
            return handler(*args, **kwargs)
        finally:
            own.append((time.perf_counter() - started - spent[0]) * 1000)

    pricing_handlers.set_prices = timed_write  # type: ignore[assignment]
    price_feed.apply_supplier_price = timed_handler  # type: ignore[assignment]
    hansa = bootstrap(Settings(db=url, bus="memory"), clock=clock, migrate=True)
    try:
        skus = [f"G-{i}" for i in range(20)]
        merchant = make_merchant(hansa, {sku: {"NJ-WH": 10} for sku in skus})
        hansa.bus.execute(RegisterSupplier(code="ACME", name="Acme", country="US",
                                           currency="USD", integration="api",
                                           lead_time_hours=48))
        for sku in skus:
            hansa.bus.execute(SetCost(sku=sku, amount=1200, currency="USD"))
        rng = random.Random(7)
        guarded: list[float] = []
        plain: list[float] = []

        def timed(into: list[float], command: Any) -> Any:
            started = time.perf_counter()
            result = hansa.bus.execute(command)
            into.append((time.perf_counter() - started) * 1000)
            return result

        refused = 0
        for i in range(rows + 200):  # the first 200 fill the guard's sample window
            if i % 5 == 4:  # a busy but sane feed: 5 of the 20 SKUs a minute, under the
                clock.advance(timedelta(seconds=61))  # change-rate bound (30%)
            sku = skus[i % len(skus)]
            amount = int(2500 * (1 + rng.uniform(-0.04, 0.04)))
            result = timed(guarded if i >= 200 else [], ApplySupplierPrice(
                supplier_code="ACME", price_list_id=merchant.price_list_id, sku=sku,
                amount=amount, cost=None, currency="USD", fields=("price",)))
            refused += 0 if result.applied else 1
            timed(plain if i >= 200 else [], SetPrices(
                price_list_id=merchant.price_list_id, prices={sku: [NewTier(1, amount)]}))
        if refused > rows // 100:  # the figures would time quarantines, not price updates
            raise RuntimeError(f"{refused} of {rows + 200} guarded rows were refused")
        summary: dict[str, Any] = {"rows": rows, "refused": refused}
        for name, values in (("guarded_ms", guarded), ("unguarded_ms", plain)):
            summary[name] = {"p50": round(statistics.median(values), 3),
                             "p99": round(pct(values, 0.99), 3)}
        summary["added_ms"] = {q: round(summary["guarded_ms"][q] - summary["unguarded_ms"][q], 3)
                               for q in ("p50", "p99")}
        guard_own = own[-rows:]
        summary["guard_own_ms"] = {"p50": round(statistics.median(guard_own), 3),
                                   "p99": round(pct(guard_own, 0.99), 3)}
        return summary
    finally:
        pricing_handlers.set_prices, price_feed.apply_supplier_price = write, handler
        hansa.close()


def markdown(result: dict[str, Any]) -> str:
    e, n = result["embedded"], result["nats"]
    lines = [
        "# Automation bench", "",
        f"Run {result['at']} on {os.cpu_count()} cores; `python bench/automation.py "
        f"--events {result['events']}`.", "",
        "| measure | figure | target |", "| --- | --- | --- |",
        f"| embedded (SQLite), every event fires a run | "
        f"{e['fires']['events_per_second']:,} events/s | >= 5,000 |",
        f"| embedded (SQLite), condition false | "
        f"{e['filtered']['events_per_second']:,} events/s | |",
    ]
    if "error" in n:
        lines.append(f"| PostgreSQL + NATS | not measured: {n['error']} | |")
    else:
        lines += [
            f"| PostgreSQL + NATS, every event fires a run | "
            f"{n['fires']['events_per_second']:,} events/s "
            f"({n['fires_share_of_raw']:.1%} of raw) | >= 50% of raw |",
            f"| PostgreSQL + NATS, condition false | "
            f"{n['filtered']['events_per_second']:,} events/s | |",
            f"| relay alone, outbox -> JetStream acked | "
            f"{n['relay']['messages_per_second']:,} msgs/s "
            f"({n['relay_share_of_raw']:.1%} of raw) | |",
            f"| raw JetStream publish + ack (nats-py), fastest pipelined | "
            f"{n['raw']['messages_per_second']:,} msgs/s (64 `publish` acks outstanding: "
            f"{n['raw']['window_64_per_second']:,}; `publish_async`, 500 outstanding: "
            f"{n['raw']['publish_async_per_second']:,}; each ack awaited in turn: "
            f"{n['raw']['sequential_per_second']:,}) | |",
        ]
    c = result["cel"]
    lines.append(f"| CEL condition evaluations | {c['evaluations_per_second']:,}/s "
                 f"({c['microseconds_each']} us each) | |")
    for db, g in result["guard"].items():
        if "error" in g:
            lines.append(f"| guard added latency, {db} | not measured: {g['error']} | |")
            continue
        lines.append(f"| guard added latency, {db} | p50 {g['added_ms']['p50']} ms, p99 "
                     f"{g['added_ms']['p99']} ms (guarded p99 {g['guarded_ms']['p99']} vs "
                     f"unguarded {g['unguarded_ms']['p99']}) | p99 < 1 ms |")
        lines.append(f"| guard's own work in the handler, {db} (paired per row, commit "
                     f"excluded) | p50 {g['guard_own_ms']['p50']} ms, p99 "
                     f"{g['guard_own_ms']['p99']} ms | p99 < 1 ms |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--guard-rows", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    args = parser.parse_args()
    events = 300 if args.quick else args.events
    guard_rows = 200 if args.quick else args.guard_rows
    result: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds"),
                              "events": events}
    with sqlite_database() as url:
        fires = through_flow(Settings(db=url, bus="memory"), events, True)
    with sqlite_database() as url:
        filtered = through_flow(Settings(db=url, bus="memory"), events, False)
    result["embedded"] = {"fires": fires, "filtered": filtered}
    print("embedded:", json.dumps(result["embedded"]))
    try:
        size = len(json.dumps(order(1, 20000).payload())) + 300  # the envelope around it
        raw = raw_jetstream(events, size)
        stream = f"BENCH{uuid.uuid4().hex[:6].upper()}"
        nats: dict[str, Any] = {"raw": raw}
        for key, fn in (("fires", lambda s: through_flow(s, events, True)),
                        ("filtered", lambda s: through_flow(s, events, False)),
                        ("relay", lambda s: relay_only(s, events))):
            with pg_database(f"hansa_bench_auto_{key}") as url:
                nats[key] = fn(Settings(db=url, bus="nats", nats_url=NATS_URL,
                                        nats_stream=f"{stream}{key.upper()}",
                                        nats_subject_prefix=f"{stream}{key}".lower()))
        raw_rate = raw["messages_per_second"]
        nats["fires_share_of_raw"] = nats["fires"]["events_per_second"] / raw_rate
        nats["relay_share_of_raw"] = nats["relay"]["messages_per_second"] / raw_rate
    except Exception as exc:  # a missing server is reported, not fatal
        nats = {"error": f"{type(exc).__name__}: {exc}"}
    result["nats"] = nats
    print("nats:", json.dumps(nats))
    result["cel"] = cel_rate(20_000 if args.quick else 200_000)
    print("cel:", json.dumps(result["cel"]))
    result["guard"] = {}
    with sqlite_database() as url:
        result["guard"]["sqlite"] = guard_latency(url, guard_rows)
    try:
        with pg_database("hansa_bench_guard") as url:
            result["guard"]["postgresql"] = guard_latency(url, guard_rows)
    except Exception as exc:
        result["guard"]["postgresql"] = {"error": f"{type(exc).__name__}: {exc}"}
    print("guard:", json.dumps(result["guard"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "automation.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "automation.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
