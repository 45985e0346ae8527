"""Operator commands on guards: kill switches, breaker resets, dry-run, quarantine decisions."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hansa.bus.unit_of_work import UnitOfWork
from hansa.guards import breakers, killswitch, quarantine
from hansa.guards import messages as m
from hansa.guards.model import validate_scope
from hansa.kernel.errors import InvalidData, NotFound, UnexpectedState

# Applies an approved entry's payload (the context that quarantined it knows how); keyed by
# the payload's "kind" and wired in bootstrap, since guards sit below the contexts.
Applier = Callable[[quarantine.Quarantined, UnitOfWork], None]


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


def approve_quarantined(cmd: m.ApproveQuarantined, uow: UnitOfWork, *,
                        appliers: Mapping[str, Applier]) -> None:
    """Apply the input in the same transaction as the decision: both happen or neither."""
    entry = quarantine.take_pending(uow.conn, cmd.quarantine_id)
    kind = str(entry.payload.get("kind", ""))
    applier = appliers.get(kind)
    if applier is None:
        raise UnexpectedState(f"no way to apply a quarantined {kind or 'untyped'} input",
                              code="no_applier", kind=kind)
    applier(entry, uow)
    quarantine.decide(uow.conn, entry.id, "approved", cmd.actor, uow.now())
    uow.record(m.QuarantineDecided(quarantine_id=entry.id, decision="approved",
                                   actor=cmd.actor))


def reject_quarantined(cmd: m.RejectQuarantined, uow: UnitOfWork) -> None:
    entry = quarantine.take_pending(uow.conn, cmd.quarantine_id)
    quarantine.decide(uow.conn, entry.id, "rejected", cmd.actor, uow.now())
    uow.record(m.QuarantineDecided(quarantine_id=entry.id, decision="rejected",
                                   actor=cmd.actor))
