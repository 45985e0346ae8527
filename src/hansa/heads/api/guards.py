"""Admin API for guards: breakers, kill switches, quarantined inputs and the verdict log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy.engine import Connection

from hansa.guards import messages as g
from hansa.guards import queries as guards
from hansa.guards.model import Breaker
from hansa.heads.api.deps import HansaDep, ReadConn, require_admin
from hansa.heads.api.responses import Json
from hansa.heads.api.schemas import Body
from hansa.heads.api.views import as_json
from hansa.kernel.errors import NotFound

router = APIRouter(prefix="/admin/guards", tags=["guards"],
                   dependencies=[Depends(require_admin)])


class KillSwitchIn(Body):
    scope: str = Field(min_length=1, max_length=160,
                       description="'global', 'path:<name>' or 'feed:<supplier code>'")
    engaged: bool
    reason: str = Field(default="", max_length=500, description="required to engage")
    actor: str = Field(default="admin", min_length=1, max_length=120)


class DecisionIn(Body):
    actor: str = Field(default="admin", min_length=1, max_length=120)


def breaker_view(breaker: Breaker, now: datetime) -> dict[str, Any]:
    """A breaker as an operator reads it: its state now (open turns half-open by itself)."""
    return {"name": breaker.name, "state": breaker.current_state(now).value,
            "reason": breaker.reason, "opened_at": breaker.opened_at,
            "half_open_at": None if breaker.opened_at is None
            else breaker.opened_at + breaker.cooldown,
            "cooldown_seconds": int(breaker.cooldown.total_seconds()),
            "trips": breaker.trips, "dry_run": breaker.dry_run}


def _breaker(conn: Connection, name: str, now: datetime) -> dict[str, Any]:
    for breaker in guards.breakers(conn):
        if breaker.name == name:
            return breaker_view(breaker, now)
    raise NotFound(f"no breaker {name}", code="breaker_not_found")


@router.get("/breakers", operation_id="admin_guards_list_breakers")
def list_breakers(hansa: HansaDep, conn: ReadConn) -> Json:
    now = hansa.clock.now()
    return Json([breaker_view(b, now) for b in guards.breakers(conn)])


@router.post("/breakers/{name}/reset", operation_id="admin_guards_reset_breaker")
def reset_breaker(hansa: HansaDep, name: str, body: DecisionIn | None = None) -> Json:
    actor = body.actor if body else "admin"
    closed = hansa.bus.execute(g.ResetBreaker(name=name, actor=actor))
    with hansa.db.read() as conn:
        return Json(_breaker(conn, name, hansa.clock.now()) | {"closed_now": closed})


@router.get("/kill-switches", operation_id="admin_guards_list_kill_switches")
def list_kill_switches(conn: ReadConn) -> Json:
    return Json(as_json(guards.kill_switches(conn)))


@router.post("/kill-switches", operation_id="admin_guards_set_kill_switch")
def set_kill_switch(hansa: HansaDep, body: KillSwitchIn) -> Json:
    """Engage (with a reason) or release the kill switch of one scope."""
    if body.engaged:
        hansa.bus.execute(g.EngageKillSwitch(scope=body.scope, reason=body.reason,
                                             actor=body.actor))
    else:
        hansa.bus.execute(g.ReleaseKillSwitch(scope=body.scope, actor=body.actor))
    with hansa.db.read() as conn:
        switch = next(s for s in guards.kill_switches(conn) if s.scope == body.scope)
    return Json(as_json(switch))


@router.get("/quarantine", operation_id="admin_guards_list_quarantine")
def list_quarantine(conn: ReadConn,
                    status: Literal["pending", "approved", "rejected", "all"] = "pending",
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Json:
    entries = guards.quarantined(conn, status=None if status == "all" else status, limit=limit)
    return Json(as_json(entries))


@router.post("/quarantine/{quarantine_id}/approve",
             operation_id="admin_guards_approve_quarantined")
def approve_quarantined(hansa: HansaDep, quarantine_id: str,
                        body: DecisionIn | None = None) -> Json:
    """Apply the quarantined input as received (past the detectors)."""
    hansa.bus.execute(g.ApproveQuarantined(quarantine_id=quarantine_id,
                                           actor=body.actor if body else "admin"))
    with hansa.db.read() as conn:
        return Json(as_json(guards.quarantined_entry(conn, quarantine_id)))


@router.post("/quarantine/{quarantine_id}/reject",
             operation_id="admin_guards_reject_quarantined")
def reject_quarantined(hansa: HansaDep, quarantine_id: str,
                       body: DecisionIn | None = None) -> Json:
    """Discard the quarantined input; the last good value stays in force."""
    hansa.bus.execute(g.RejectQuarantined(quarantine_id=quarantine_id,
                                          actor=body.actor if body else "admin"))
    with hansa.db.read() as conn:
        return Json(as_json(guards.quarantined_entry(conn, quarantine_id)))


@router.get("/verdicts", operation_id="admin_guards_list_verdicts")
def list_verdicts(conn: ReadConn, guard: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Json:
    """The newest verdicts that blocked, or would have in dry-run."""
    return Json(guards.recent_verdicts(conn, guard=guard, limit=limit))
