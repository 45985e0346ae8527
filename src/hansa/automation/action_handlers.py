"""Handlers of the flow action catalog; each logs what it changed so `RevertAction` can undo it."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hansa.automation import actions as a
from hansa.automation import flow_store as fs
from hansa.bus.messagebus import MessageBus
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import InvalidData
from hansa.kernel.ids import new_id
from hansa.orders.messages import HoldOrder, ReleaseOrderHold
from hansa.pricing import queries as pricing
from hansa.pricing.messages import NewTier, SetPrices


def _key(command: Any) -> str:
    return command.idempotency_key or f"manual:{new_id()}"


def _done(uow: UnitOfWork, key: str, action: str, undo: dict[str, Any], result: Any) -> Any:
    fs.log_action(uow.conn, key, action, undo, result, uow.now())
    return result


def notify(cmd: a.NotifyOperator, uow: UnitOfWork) -> str:
    key = _key(cmd)
    found = uow.conn.execute(sa.select(fs.notifications.c.id)
                             .where(fs.notifications.c.key == key)).scalar_one_or_none()
    if found is not None:
        return str(found)
    note_id = new_id()
    uow.conn.execute(fs.notifications.insert().values(
        id=note_id, key=key, flow=cmd.flow, severity=cmd.severity, subject=cmd.subject[:200],
        message=cmd.message, created_at=uow.now()))
    uow.record(a.OperatorNotified(notification_id=note_id, flow=cmd.flow, severity=cmd.severity,
                                  about=cmd.subject[:200], message=cmd.message))
    return note_id


def _tag_where(subject_type: str, subject_id: str, tag: str) -> Any:
    return ((fs.tags.c.subject_type == subject_type) & (fs.tags.c.subject_id == subject_id)
            & (fs.tags.c.tag == tag))


# One statement whichever way it goes: a row comes back only when the tag was new.
_ADD_TAG = {
    name: insert(fs.tags).on_conflict_do_nothing(
        index_elements=["subject_type", "subject_id", "tag"]).returning(fs.tags.c.tag)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def tag(cmd: a.TagSubject, uow: UnitOfWork) -> bool:
    key = _key(cmd)
    added = uow.conn.execute(_ADD_TAG[uow.conn.dialect.name], {
        "subject_type": cmd.subject_type, "subject_id": cmd.subject_id, "tag": cmd.tag,
        "added_by": key, "created_at": uow.now()}).first() is not None
    return bool(_done(uow, key, "tag", {"added": added, "subject_type": cmd.subject_type,
                                        "subject_id": cmd.subject_id, "tag": cmd.tag}, added))


def untag(cmd: a.UntagSubject, uow: UnitOfWork) -> bool:
    key = _key(cmd)
    where = _tag_where(cmd.subject_type, cmd.subject_id, cmd.tag)
    row = uow.conn.execute(sa.select(fs.tags).where(where)).first()
    if row is not None:
        uow.conn.execute(fs.tags.delete().where(where))
    undo = {"removed": row is not None, "subject_type": cmd.subject_type,
            "subject_id": cmd.subject_id, "tag": cmd.tag,
            "added_by": row.added_by if row is not None else None}
    return bool(_done(uow, key, "untag", undo, row is not None))


def adjust_price(cmd: a.AdjustPrice, uow: UnitOfWork) -> dict[str, Any]:
    """Apply the percentage (capped at +-max_percent) to every tier; refuse a price <= 0."""
    key = _key(cmd)
    cap = min(abs(cmd.max_percent), a.MAX_PRICE_CHANGE_PERCENT)
    applied = max(-cap, min(cap, cmd.percent))
    before = pricing.tiers(uow.conn, cmd.price_list_id, cmd.sku)
    after = [(t.min_quantity, round(t.amount * (100 + applied) / 100)) for t in before]
    if any(amount <= 0 for _, amount in after):
        raise InvalidData(f"{cmd.sku}: a {applied}% change would price it at <= 0",
                          code="price_out_of_bounds", sku=cmd.sku)
    uow.execute(SetPrices(price_list_id=cmd.price_list_id, prices={
        cmd.sku: [NewTier(min_quantity=q, amount=p) for q, p in after]}))
    result = {"percent_applied": applied, "before": [[t.min_quantity, t.amount] for t in before],
              "after": [list(t) for t in after]}
    undo = {"price_list_id": cmd.price_list_id, "sku": cmd.sku, "tiers": result["before"]}
    return dict(_done(uow, key, "adjust_price", undo, result))


def _pause_where(scope: str, value: str) -> Any:
    return (fs.ad_pauses.c.scope == scope) & (fs.ad_pauses.c.value == value)


def pause_ads(cmd: a.PauseAds, uow: UnitOfWork) -> bool:
    key = _key(cmd)
    where = _pause_where(cmd.scope, cmd.value)
    existed = uow.conn.execute(sa.select(fs.ad_pauses.c.scope).where(where)).first() is not None
    if not existed:
        uow.conn.execute(fs.ad_pauses.insert().values(
            scope=cmd.scope, value=cmd.value, reason=cmd.reason[:500], paused_by=key,
            paused_at=uow.now()))
    return bool(_done(uow, key, "pause_ads", {"paused": not existed, "scope": cmd.scope,
                                              "value": cmd.value}, not existed))


def resume_ads(cmd: a.ResumeAds, uow: UnitOfWork) -> bool:
    key = _key(cmd)
    where = _pause_where(cmd.scope, cmd.value)
    row = uow.conn.execute(sa.select(fs.ad_pauses).where(where)).first()
    if row is not None:
        uow.conn.execute(fs.ad_pauses.delete().where(where))
    undo = {"resumed": row is not None, "scope": cmd.scope, "value": cmd.value,
            "reason": row.reason if row is not None else "",
            "paused_by": row.paused_by if row is not None else ""}
    return bool(_done(uow, key, "resume_ads", undo, row is not None))


def hold_order(cmd: a.HoldOrderStep, uow: UnitOfWork) -> str | None:
    previous = uow.execute(HoldOrder(order_id=cmd.order_id, reason=cmd.reason))
    _done(uow, _key(cmd), "hold_order", {"order_id": cmd.order_id, "previous": previous}, None)
    return previous


def release_hold(cmd: a.ReleaseHoldStep, uow: UnitOfWork) -> str | None:
    previous = uow.execute(ReleaseOrderHold(order_id=cmd.order_id))
    _done(uow, _key(cmd), "release_hold", {"order_id": cmd.order_id, "previous": previous},
          None)
    return previous


def create_ticket(cmd: a.CreateTicket, uow: UnitOfWork) -> str:
    key = _key(cmd)
    ticket_id = new_id()
    uow.conn.execute(fs.tickets.insert().values(
        id=ticket_id, key=key, flow=cmd.flow, title=cmd.title[:300], body=cmd.body,
        subject=cmd.subject[:200], priority=cmd.priority, status="open", created_at=uow.now()))
    return str(_done(uow, key, "create_ticket", {"ticket_id": ticket_id}, ticket_id))


def call_webhook(cmd: a.CallWebhook, uow: UnitOfWork) -> dict[str, Any]:
    """Queue the call: the `automation.webhooks` consumer signs, sends and retries it."""
    key = _key(cmd)
    body = json.dumps(cmd.payload, sort_keys=True, separators=(",", ":"), default=str)
    uow.record(a.WebhookRequested(flow=cmd.flow, url=cmd.url, body=body, idempotency_key=key))
    return {"queued": True, "url": cmd.url}


def revert(cmd: a.RevertAction, uow: UnitOfWork) -> str:
    """Undo the logged effect of the step whose key `cmd.idempotency_key` extends with :undo."""
    key = cmd.idempotency_key.removesuffix(":undo")
    row = fs.logged(uow.conn, key)
    if row is None or row.reverted_at is not None:
        return "nothing to undo"
    undo, conn = row.undo, uow.conn
    if row.action == "tag" and undo["added"]:
        conn.execute(fs.tags.delete().where(
            _tag_where(undo["subject_type"], undo["subject_id"], undo["tag"])))
    elif row.action == "untag" and undo["removed"]:
        conn.execute(fs.tags.insert().values(
            subject_type=undo["subject_type"], subject_id=undo["subject_id"], tag=undo["tag"],
            added_by=undo["added_by"], created_at=uow.now()))
    elif row.action == "adjust_price":
        uow.execute(SetPrices(price_list_id=undo["price_list_id"], prices={
            undo["sku"]: [NewTier(min_quantity=q, amount=p) for q, p in undo["tiers"]]}))
    elif row.action == "pause_ads" and undo["paused"]:
        conn.execute(fs.ad_pauses.delete().where(_pause_where(undo["scope"], undo["value"])))
    elif row.action == "resume_ads" and undo["resumed"]:
        conn.execute(fs.ad_pauses.insert().values(
            scope=undo["scope"], value=undo["value"], reason=undo["reason"],
            paused_by=undo["paused_by"], paused_at=uow.now()))
    elif row.action in ("hold_order", "release_hold"):
        if undo["previous"] is None:
            uow.execute(ReleaseOrderHold(order_id=undo["order_id"]))
        else:
            uow.execute(HoldOrder(order_id=undo["order_id"], reason=undo["previous"]))
    elif row.action == "create_ticket":
        conn.execute(fs.tickets.update().where(fs.tickets.c.id == undo["ticket_id"])
                     .values(status="withdrawn"))
    fs.mark_reverted(conn, key, uow.now())
    return f"reverted {row.action}"


def register(bus: MessageBus) -> None:
    """Every catalog command's handler on the bus."""
    bus.register(a.NotifyOperator, notify)
    bus.register(a.TagSubject, tag)
    bus.register(a.UntagSubject, untag)
    bus.register(a.AdjustPrice, adjust_price)
    bus.register(a.PauseAds, pause_ads)
    bus.register(a.ResumeAds, resume_ads)
    bus.register(a.HoldOrderStep, hold_order)
    bus.register(a.ReleaseHoldStep, release_hold)
    bus.register(a.CreateTicket, create_ticket)
    bus.register(a.CallWebhook, call_webhook)
    bus.register(a.RevertAction, revert)
