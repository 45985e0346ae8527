"""Admin API for automation: paths and merchant flows, dry runs, and the run audit."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from hansa.automation import flow_messages as fm
from hansa.automation import flow_store, queries
from hansa.automation.flow_paths import FlowPaths, trigger_label
from hansa.automation.flows import catalog_summary
from hansa.automation.messages import CancelRun, ResumeRun
from hansa.bootstrap import Hansa
from hansa.heads.api.deps import HansaDep, ReadConn, require_admin
from hansa.heads.api.responses import Json
from hansa.heads.api.schemas import Body
from hansa.heads.api.views import as_json
from hansa.kernel.errors import NotFound, UnexpectedState

router = APIRouter(prefix="/admin", tags=["automation"], dependencies=[Depends(require_admin)])


class FlowIn(Body):
    definition: str = Field(min_length=1, max_length=100_000, description="YAML or JSON text")
    format: Literal["yaml", "json"] = "yaml"


class CancelIn(Body):
    reason: str = Field(min_length=1, max_length=500, description="why the run is stopped")


class EventIn(Body):
    event: dict[str, Any] = Field(description="the trigger event's data (its fields)")


def _flows(hansa: Hansa) -> FlowPaths:
    if hansa.flows is None:
        raise UnexpectedState("flows are not wired in this Hansa", code="flows_not_wired")
    return hansa.flows


def flow_view(row: Any) -> dict[str, Any]:
    return {"name": row.name, "kind": "flow", "trigger": row.trigger, "enabled": row.enabled,
            "version": row.version, "format": row.format, "definition": row.definition,
            "created_at": row.created_at, "updated_at": row.updated_at}


def _flow(hansa: Hansa, name: str) -> dict[str, Any]:
    with hansa.db.read() as conn:
        row = flow_store.load_flow(conn, name)
    if row is None:
        raise NotFound(f"no flow {name}", code="flow_not_found")
    return flow_view(row)


@router.get("/paths", operation_id="admin_list_paths")
def list_paths(hansa: HansaDep, conn: ReadConn) -> Json:
    """Code paths and flows, with whether each is enabled."""
    stored = {row.name: row for row in flow_store.load_flows(conn)}
    flows = _flows(hansa)
    items: list[dict[str, Any]] = []
    for path in hansa.engine.paths:
        if path.name in stored or flows.is_flow(path.name):
            continue
        items.append({"name": path.name, "kind": "code", "enabled": True,
                      "trigger": trigger_label(path),
                      "description": path.description})
    for name, row in stored.items():
        items.append({**flow_view(row), "broken": flows.broken.get(name)})
    return Json({"paths": sorted(items, key=lambda p: p["name"]), "actions": catalog_summary()})


@router.post("/flows", status_code=201, operation_id="admin_create_flow")
def create_flow(hansa: HansaDep, body: FlowIn) -> Json:
    """Store and register a flow; a bad CEL expression answers 422 with its line and column."""
    created = hansa.bus.execute(fm.CreateFlow(definition=body.definition, format=body.format))
    return Json(_flow(hansa, created["name"]) | {"webhook_secret": created["webhook_secret"]},
                status_code=201)


@router.get("/flows/{name}", operation_id="admin_get_flow")
def get_flow(hansa: HansaDep, name: str) -> Json:
    return Json(_flow(hansa, name))


@router.put("/flows/{name}", operation_id="admin_update_flow")
def update_flow(hansa: HansaDep, name: str, body: FlowIn) -> Json:
    hansa.bus.execute(fm.UpdateFlow(name=name, definition=body.definition, format=body.format))
    return Json(_flow(hansa, name))


@router.post("/flows/{name}/enable", operation_id="admin_enable_flow")
def enable_flow(hansa: HansaDep, name: str) -> Json:
    hansa.bus.execute(fm.EnableFlow(name=name))
    return Json(_flow(hansa, name))


@router.post("/flows/{name}/disable", operation_id="admin_disable_flow")
def disable_flow(hansa: HansaDep, name: str) -> Json:
    hansa.bus.execute(fm.DisableFlow(name=name))
    return Json(_flow(hansa, name))


@router.delete("/flows/{name}", status_code=204, operation_id="admin_delete_flow")
def delete_flow(hansa: HansaDep, name: str) -> Response:
    hansa.bus.execute(fm.DeleteFlow(name=name))
    return Response(status_code=204)


@router.post("/flows/{name}/dry-run", operation_id="admin_dry_run_flow")
def dry_run_flow(hansa: HansaDep, name: str, body: EventIn) -> Json:
    """The condition's value and the decision with its steps for an event; writes nothing."""
    return Json(as_json(_flows(hansa).dry_run(name, body.event)))


@router.get("/paths/runs", operation_id="admin_list_path_runs")
def list_runs(conn: ReadConn, path: str | None = None, status: str | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Json:
    return Json({"runs": as_json(queries.runs(conn, path=path, status=status, limit=limit)),
                 "counts": queries.counts_by_status(conn, path=path)})


@router.get("/paths/runs/{run_id}", operation_id="admin_get_path_run")
def get_run(conn: ReadConn, run_id: str) -> Json:
    """One run: trigger, inputs, reasons, verdicts, steps with results, timing."""
    run = queries.run(conn, run_id)
    return Json(as_json(run) | {"duration_seconds": run.duration_seconds})


@router.post("/paths/runs/{run_id}/resume", operation_id="admin_resume_path_run")
def resume_run(hansa: HansaDep, run_id: str) -> Json:
    """Go on with a blocked run (breaker or kill switch released) from the blocked step."""
    hansa.bus.execute(ResumeRun(run_id=run_id, actor="admin-api"))
    with hansa.db.read() as conn:
        return Json(as_json(queries.run(conn, run_id)))


@router.post("/paths/runs/{run_id}/cancel", operation_id="admin_cancel_path_run")
def cancel_run(hansa: HansaDep, run_id: str, body: CancelIn) -> Json:
    """Stop an unfinished run; its completed steps are compensated, newest first."""
    hansa.bus.execute(CancelRun(run_id=run_id, reason=body.reason, actor="admin-api"))
    with hansa.db.read() as conn:
        return Json(as_json(queries.run(conn, run_id)))
