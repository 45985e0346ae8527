"""Demand sensing over HTTP (admin): signal batches in, spikes and replenishment numbers out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hansa.demand import queries as demand
from hansa.demand.messages import FitBaselines, IngestSignals, LoadZoneAreas
from hansa.heads.api.deps import HansaDep, ReadConn, require_admin
from hansa.heads.api.responses import Json

admin = APIRouter(prefix="/admin/demand", tags=["admin"], dependencies=[Depends(require_admin)])
MAX_BATCH = 10_000


class SignalBatch(BaseModel):
    """Raw signals: page views, add-to-cart, cart abandonment, searches, sales, sentiment,
    economic indicators (each with sku or category, and postal_code, lat/lon or zone), and
    weather alerts as `{"kind": "weather_alert", "alert": <NWS GeoJSON Feature>}`."""

    signals: list[dict[str, Any]] = Field(max_length=MAX_BATCH)
    source: str = Field(default="api", max_length=64)
    backfill: bool = Field(default=False, description=(
        "past signals loaded before going live: counted into the velocities the baselines "
        "are fitted on, never run through the spike detector"))


class Fit(BaseModel):
    kind: str = "add_to_cart"
    history_days: int = Field(default=28, ge=1, le=365)


@admin.post("/signals", operation_id="admin_ingest_demand_signals")
async def ingest(body: SignalBatch, hansa: HansaDep) -> Json:
    """Ingest a batch (all or nothing); the detector runs on the keys it touched, unless the
    batch is a backfill of history."""
    result = await run_in_threadpool(hansa.bus.execute, IngestSignals(
        signals=tuple(body.signals), source=body.source, backfill=body.backfill))
    return Json(result.as_dict())


class ZoneAreas(BaseModel):
    """NWS zones / counties (UGC, e.g. NYZ075) or SAME codes (036047), each with the postal
    codes and/or the GeoJSON polygon it covers."""

    areas: list[dict[str, Any]] = Field(max_length=MAX_BATCH)


@admin.post("/zones", operation_id="admin_load_demand_zones")
async def load_zones(body: ZoneAreas, hansa: HansaDep) -> Json:
    """Load the mapping (all or nothing); alerts in force that name these codes cover them."""
    result = await run_in_threadpool(hansa.bus.execute, LoadZoneAreas(areas=tuple(body.areas)))
    return Json(result)


@admin.get("/zones", operation_id="admin_demand_zones")
def zones(conn: ReadConn) -> Json:
    return Json({"areas": demand.zone_areas(conn)})


@admin.post("/baselines/fit", operation_id="admin_fit_demand_baselines")
async def fit(body: Fit, hansa: HansaDep) -> Json:
    result = await run_in_threadpool(hansa.bus.execute, FitBaselines(
        kind=body.kind, history_days=body.history_days))
    return Json(result)


@admin.get("/spikes", operation_id="admin_demand_spikes")
def spikes(conn: ReadConn, status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Json:
    return Json({"spikes": demand.spikes(conn, status=status, limit=limit)})


@admin.get("/plan/{sku}", operation_id="admin_demand_plan")
def plan(sku: str, hansa: HansaDep, conn: ReadConn) -> Json:
    s = hansa.settings
    return Json(demand.plan_for(conn, sku, service_level=s.demand_service_level,
                                review_hours=s.demand_review_hours,
                                cart_to_order=s.demand_cart_to_order))
