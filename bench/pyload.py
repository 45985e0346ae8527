"""Fallback load generator (asyncio + httpx) for machines without wrk; it is client-bound."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import httpx

from load import LoadResult, LoadSpec, Tick

ADDRESS = {"name": "Bench Buyer", "line1": "1 Main Street", "city": "New York",
           "postal_code": "10001", "country": "US"}


def run(spec: LoadSpec, tick: Tick | None = None) -> LoadResult:
    """Run one timed phase in a fresh event loop and summarise it like wrk does."""
    return asyncio.run(_run(spec, tick))


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


async def _run(spec: LoadSpec, tick: Tick | None) -> LoadResult:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    socket_errors = 0
    nonce = uuid.uuid4().hex[:12]
    sent = 0
    limits = httpx.Limits(max_connections=spec.concurrency,
                          max_keepalive_connections=spec.concurrency)
    started = time.perf_counter()
    deadline = started + spec.duration

    async with httpx.AsyncClient(limits=limits, timeout=10.0, headers=spec.headers) as client:

        async def worker(worker_id: int) -> None:
            nonlocal sent, socket_errors
            while time.perf_counter() < deadline:
                sent += 1
                t0 = time.perf_counter()
                try:
                    if spec.is_checkout:
                        sku = spec.checkout_skus[(sent + worker_id) % len(spec.checkout_skus)]
                        response = await client.post(
                            spec.url, headers={"Idempotency-Key": f"{nonce}-{worker_id}-{sent}"},
                            json={"email": "bench@example.com", "address": ADDRESS,
                                  "lines": [{"sku": sku, "quantity": 1}]})
                    else:
                        response = await client.get(spec.url)
                except httpx.HTTPError:
                    socket_errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[str(response.status_code)] += 1

        async def ticker() -> None:
            while tick and time.perf_counter() < deadline:
                tick(time.perf_counter() - started)
                await asyncio.sleep(0.2)

        await asyncio.gather(ticker(), *(worker(i) for i in range(spec.concurrency)))

    elapsed = time.perf_counter() - started
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    status_errors = sum(n for code, n in statuses.items() if int(code) >= 400)
    return LoadResult(
        label=spec.label, tool="python (client-bound)", requests=len(latencies),
        duration_s=elapsed, p50_ms=_percentile(ms, 50), p90_ms=_percentile(ms, 90),
        p99_ms=_percentile(ms, 99), max_ms=ms[-1] if ms else 0.0,
        statuses=dict(statuses), socket_errors=socket_errors, status_errors=status_errors,
    )
