"""Operator commands on guards: kill switches, breaker resets and dry-run."""

from __future__ import annotations

from hansa.bus.unit_of_work import UnitOfWork
from hansa.guards import breakers, killswitch
from hansa.guards import messages as m
from hansa.guards.model import validate_scope
from hansa.kernel.errors import InvalidData, NotFound


def engage_kill_switch(cmd: m.EngageKillSwitch, uow: UnitOfWork) -> None:
    validate_scope(cmd.scope)
    if not cmd.reason.strip():
        raise InvalidData("say why the kill switch is engaged", code="reason_required")
    killswitch.set_switch(uow.conn, cmd.scope, engaged=True, reason=cmd.reason,
                          actor=cmd.actor, at=uow.now())
    uow.record(m.KillSwitchEngaged(scope=cmd.scope, reason=cmd.reason, actor=cmd.actor))


def release_kill_switch(cmd: m.ReleaseKillSwitch, uow: UnitOfWork) -> None:
    validate_scope(cmd.scope)
    killswitch.set_switch(uow.conn, cmd.scope, engaged=False, reason="", actor=cmd.actor,
                          at=uow.now())
    uow.record(m.KillSwitchReleased(scope=cmd.scope, actor=cmd.actor))


def reset_breaker(cmd: m.ResetBreaker, uow: UnitOfWork) -> bool:
    if breakers.load(uow.conn, cmd.name) is None:
        raise NotFound(f"no breaker {cmd.name}", code="breaker_not_found")
    closed = breakers.reset(uow.conn, cmd.name, uow.now())
    if closed:
        uow.record(m.BreakerClosed(breaker=cmd.name, how="reset"))
    return closed


def set_breaker_dry_run(cmd: m.SetBreakerDryRun, uow: UnitOfWork) -> None:
    breakers.set_dry_run(uow.conn, cmd.name, cmd.dry_run, uow.now())
