"""Operations endpoints: liveness/readiness and Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from hansa.bus import outbox
from hansa.bus.store import dead_letters
from hansa.heads.api.deps import HansaDep
from hansa.heads.api.responses import Json

router = APIRouter(tags=["ops"])

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class Metrics:
    """Prometheus metrics of one API process, on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("hansa_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "hansa_http_request_seconds", "HTTP request latency", ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry)
        self.outbox_pending = Gauge("hansa_outbox_pending", "events not yet relayed",
                                    registry=self.registry)
        self.dead_letters = Gauge("hansa_dead_letters_open", "dead letters awaiting replay",
                                  registry=self.registry)


class MetricsMiddleware:
    """Counts and times every request by its route template (a pure ASGI middleware: cheap)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], name, str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - started)


@router.get("/healthz", operation_id="healthz")
def healthz(hansa: HansaDep) -> Json:
    """Ready when the database answers; reports the bus backlog too."""
    with hansa.db.read() as conn:
        conn.execute(sa.text("SELECT 1"))
        pending = outbox.pending_count(conn)
    return Json({"status": "ok", "database": hansa.db.dialect,
                           "bus": hansa.transport.name, "outbox_pending": pending})


@router.get("/metrics", operation_id="metrics", include_in_schema=False)
def metrics(hansa: HansaDep, request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    with hansa.db.read() as conn:
        registry.outbox_pending.set(outbox.pending_count(conn))
        registry.dead_letters.set(conn.execute(
            sa.select(sa.func.count()).select_from(dead_letters)
            .where(dead_letters.c.replayed_at.is_(None))).scalar_one())
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
