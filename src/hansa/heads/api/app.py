"""The FastAPI application: storefront, admin, ops and the storefront page over one Hansa."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hansa import __version__
from hansa.bootstrap import Hansa
from hansa.heads.api import admin, errors, merchant_feed, ops, storefront
from hansa.heads.api import delivery as delivery_api
from hansa.heads.api import demand as demand_api
from hansa.heads.api import guards as guards_api
from hansa.heads.api import logistics as logistics_api
from hansa.heads.api import paths as paths_api
from hansa.heads.api import suppliers as suppliers_api
from hansa.heads.api import tracking as tracking_api
from hansa.heads.api.deps import ReadModels
from hansa.heads.api.responses import Json
from hansa.heads.web import storefront as web_storefront


def create_app(hansa: Hansa, *, run_worker: bool = True) -> FastAPI:
    """An app over a booted Hansa; with `run_worker`, the bus worker runs while the app serves."""

    read_models = ReadModels(hansa)
    hansa.bus.on_commit(read_models.feed.on_commit)
    delivery_api.install(hansa)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        read_models.feed.start()
        if run_worker:
            hansa.engine.arm_schedules()
            hansa.worker.start()
        try:
            yield
        finally:
            if run_worker:
                hansa.worker.stop()
            read_models.feed.stop()

    app = FastAPI(
        title="Hansa",
        version=__version__,
        description="Algorithmic commerce engine: storefront and admin API.",
        default_response_class=Json,
        lifespan=lifespan,
    )
    app.state.hansa = hansa
    app.state.read_models = read_models
    app.state.metrics = ops.Metrics()
    errors.install(app)
    app.include_router(storefront.router)
    app.include_router(admin.router)
    app.include_router(guards_api.router)
    app.include_router(paths_api.router)
    app.include_router(ops.router)
    app.include_router(web_storefront.router)
    app.include_router(tracking_api.router)
    app.include_router(logistics_api.router)
    app.include_router(delivery_api.store_router)
    app.include_router(delivery_api.admin_router)
    app.include_router(suppliers_api.router)
    app.include_router(suppliers_api.admin)
    app.include_router(demand_api.admin)
    app.include_router(merchant_feed.router)
    app.add_middleware(ops.MetricsMiddleware, metrics=app.state.metrics)
    return app
