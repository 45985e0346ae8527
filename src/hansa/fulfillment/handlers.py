"""Fulfilment use cases: configure nodes, allocate per the optimiser, shipments, labels,
settlement and post-purchase messages. Each is idempotent per order, and each that can be
undone has its undo (the order-to-cash path's compensations)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.catalog import queries as catalog
from hansa.catalog.model import InventoryModel
from hansa.channels import queries as channels
from hansa.fulfillment import messages as m
from hansa.fulfillment import queries, store
from hansa.fulfillment.destinations import destination
from hansa.fulfillment.model import NodeKind, Plan, Request, SplitPolicy, prepare
from hansa.fulfillment.optimiser import source
from hansa.fulfillment.ports import LabelData, LabelPrinter, Notifier, ShipmentMessage
from hansa.inventory import queries as inventory
from hansa.inventory.messages import PickReservation, ReleaseReservation, ReserveAt
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.orders import queries as orders
from hansa.shipping import queries as shipping


def configure_node(cmd: m.ConfigureNode, uow: UnitOfWork) -> str:
    inventory.location(uow.conn, cmd.location_id)  # NotFound unless the location exists
    try:
        kind = NodeKind(cmd.kind)
    except ValueError:
        raise InvalidData(f"unknown node kind {cmd.kind!r}", code="invalid_node") from None
    if not 0 <= cmd.cutoff_minute <= 24 * 60 or cmd.radius_km < 0 or cmd.handling_days < 0:
        raise InvalidData("cut-off, radius and handling days are out of range",
                          code="invalid_node")
    if kind is NodeKind.DROPSHIP and not cmd.supplier_id:
        raise InvalidData("a drop-ship node names its supplier", code="invalid_node")
    code = cmd.code.upper()
    doc: dict[str, Any] = {"location_id": cmd.location_id, "code": code, "kind": kind.value,
           "lat": cmd.lat, "lon": cmd.lon, "country": cmd.country.upper(),
           "capabilities": sorted(cmd.capabilities), "priority": cmd.priority,
           "cutoff_minute": cmd.cutoff_minute, "handling_days": cmd.handling_days,
           "handling_cost": cmd.handling_cost, "supplier_id": cmd.supplier_id,
           "radius_km": cmd.radius_km, "carriers": sorted(cmd.carriers),
           "pickup_weekdays": sorted(set(cmd.pickup_weekdays)),
           "no_pickup_dates": _pickup_dates(cmd.no_pickup_dates)}
    queries.node_from_doc(doc)  # validates the position and the pickup weekdays
    values = {"location_id": cmd.location_id, "code": code, "doc": doc,
              "active": cmd.active, "updated_at": uow.now()}
    done = uow.conn.execute(store.nodes.update().where(
        store.nodes.c.location_id == cmd.location_id).values(**values)).rowcount
    if not done:
        uow.conn.execute(store.nodes.insert().values(**values))
    uow.record(m.NodeConfigured(location_id=cmd.location_id, code=code, kind=kind.value))
    return cmd.location_id


def _pickup_dates(values: list[str]) -> list[str]:
    try:
        return sorted({date.fromisoformat(str(v)).isoformat() for v in values})
    except ValueError:
        raise InvalidData("no-pickup dates are ISO dates (YYYY-MM-DD)",
                          code="invalid_node", field="no_pickup_dates") from None


def plan_to_doc(plan: Plan, expanded: list[tuple[str, str, int]], currency: str
                ) -> dict[str, Any]:
    return {"day": plan.day, "cost": plan.cost, "currency": currency, "solver": plan.solver,
            "exact": plan.exact, "reasons": list(plan.reasons),
            "shipments": [{"node_id": s.node_id, "node_code": s.node_code,
                           "carrier": s.lane.carrier, "service": s.lane.service,
                           "day": s.lane.day, "lines": [list(ln) for ln in s.lines]}
                          for s in plan.shipments],
            "reserved": [list(a) for a in expanded]}


def allocate_order(cmd: m.AllocateOrder, uow: UnitOfWork, *,
                   policy: SplitPolicy | None = None) -> dict[str, Any]:
    """Re-check availability, source optimally, and move the order's hold to the plan."""
    existing = store.allocation(uow.conn, cmd.order_id)
    if existing is not None and existing.status in ("allocated", "settled"):
        return dict(existing.plan)
    order = orders.order(uow.conn, cmd.order_id)
    if order["status"] not in ("placed", "paid"):
        raise Conflict(f"order {order['number']} is {order['status']}", code="order_not_open")
    facts = catalog.sale_facts(uow.conn, [ln["sku"] for ln in order["lines"]])
    wanted = [(ln["sku"], ln["quantity"]) for ln in order["lines"]
              if facts[ln["sku"]].inventory_model is not InventoryModel.MTO]
    if not wanted:
        raise InvalidData("nothing in the order ships from stock", code="nothing_to_ship")
    lines = queries.lines_for(uow.conn, wanted, facts)
    address = order["shipping_address"]
    carriers = shipping.carriers(uow.conn)
    nodes = queries.open_nodes(uow.conn, queries.nodes(uow.conn), [c.code for c in carriers],
                               address["country"], address["postal_code"], uow.now())
    skus = sorted({ln.sku for ln in lines} | {c for ln in lines for c, _ in ln.components})
    held = inventory.reservations_for(uow.conn, cmd.order_id)
    atp = queries.atp(uow.conn, skus, {n.id for n in nodes}, own=held)
    request = Request(cmd.order_id, tuple(lines),
                      destination(address["postal_code"], address["country"]),
                      address["country"].upper(), uow.now())
    plan = source(prepare(request, nodes, carriers, atp), policy)
    by_sku = {ln.sku: ln for ln in lines}
    expanded = [(c, s.node_id, q * per) if by_sku[sku].components else (sku, s.node_id, q)
                for s in plan.shipments for sku, q in s.lines
                for c, per in (by_sku[sku].components or ((sku, 1),))]
    if _merged((str(r["sku"]), str(r["location_id"]), int(str(r["quantity"])))
               for r in held if r["status"] == "active") != _merged(expanded):
        expires = min((r["expires_at"] for r in held if r["status"] == "active"
                       and isinstance(r["expires_at"], datetime)), default=None)
        uow.execute(ReleaseReservation(reference=cmd.order_id,
                                       reason="moved to the sourcing optimiser's plan"))
        uow.execute(ReserveAt(reference=cmd.order_id, allocations=expanded,
                              expires_at=expires))
    # else the checkout already holds exactly the plan's units: the hold stays as it is
    currency = carriers[0].currency if carriers else order["currency"]
    doc = plan_to_doc(plan, expanded, currency)
    promised = (order["placed_at"].date() + timedelta(days=plan.day)).isoformat()
    now = uow.now()
    values = {"status": "allocated", "plan": doc, "promised_date": promised, "updated_at": now}
    if existing is None:
        uow.conn.execute(store.allocations.insert().values(order_id=cmd.order_id,
                                                           created_at=now, **values))
    else:
        uow.conn.execute(store.allocations.update()
                         .where(store.allocations.c.order_id == cmd.order_id).values(**values))
    uow.record(m.OrderAllocated(order_id=cmd.order_id, promised_date=promised,
                                shipments=len(plan.shipments), cost=plan.cost,
                                currency=currency, solver=plan.solver,
                                reasons=list(plan.reasons)))
    return doc


def _merged(allocations: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """(sku, location) -> units, for comparing a hold with a plan."""
    out: dict[tuple[str, str], int] = {}
    for sku, location_id, quantity in allocations:
        out[sku, location_id] = out.get((sku, location_id), 0) + quantity
    return out


def release_allocation(cmd: m.ReleaseAllocation, uow: UnitOfWork) -> bool:
    row = store.allocation(uow.conn, cmd.order_id)
    if row is None or row.status != "allocated":
        return False
    uow.execute(ReleaseReservation(reference=cmd.order_id, reason=cmd.reason))
    uow.conn.execute(store.allocations.update().where(
        store.allocations.c.order_id == cmd.order_id).values(status="released",
                                                             updated_at=uow.now()))
    uow.record(m.AllocationReleased(order_id=cmd.order_id, reason=cmd.reason))
    return True


def _allocated(uow: UnitOfWork, order_id: str) -> sa.Row:
    row = store.allocation(uow.conn, order_id)
    if row is None or row.status == "released":
        raise NotFound(f"order {order_id} holds no allocation", code="allocation_not_found")
    return row


def tracking_code(carrier: str, shipment_id: str) -> str:
    digits = int(shipment_id.replace("-", "")[:15], 16) % 10**12
    return f"{carrier[:4]}{digits:012d}"


def create_shipments(cmd: m.CreateShipments, uow: UnitOfWork) -> list[str]:
    existing = store.shipments_of(uow.conn, cmd.order_id, status="created")
    if existing:
        return [r.id for r in existing]
    row = _allocated(uow, cmd.order_id)
    order = orders.order(uow.conn, cmd.order_id)
    address = order["shipping_address"]
    made = []
    for planned in row.plan["shipments"]:
        shipment_id = new_id()
        code = tracking_code(planned["carrier"], shipment_id)
        promised = (order["placed_at"].date() + timedelta(days=planned["day"])).isoformat()
        lines = [{"sku": sku, "quantity": qty} for sku, qty in planned["lines"]]
        uow.conn.execute(store.shipments.insert().values(
            id=shipment_id, order_id=cmd.order_id, location_id=planned["node_id"],
            carrier=planned["carrier"], service=planned["service"], tracking_code=code,
            postal_code=address["postal_code"], country=address["country"].upper(),
            promised_date=promised, lines=lines, status="created", created_at=uow.now()))
        uow.record(m.ShipmentCreated(
            shipment_id=shipment_id, order_id=cmd.order_id, location_id=planned["node_id"],
            carrier=planned["carrier"], service=planned["service"], tracking_code=code,
            postal_code=address["postal_code"], country=address["country"].upper(),
            promised_date=promised, lines=lines))
        made.append(shipment_id)
    return made


def cancel_shipments(cmd: m.CancelShipments, uow: UnitOfWork) -> int:
    rows = store.shipments_of(uow.conn, cmd.order_id, status="created")
    for r in rows:
        uow.conn.execute(store.shipments.update().where(store.shipments.c.id == r.id)
                         .values(status="cancelled"))
        uow.record(m.ShipmentCancelled(shipment_id=r.id, order_id=cmd.order_id))
    return len(rows)


def print_labels(cmd: m.PrintLabels, uow: UnitOfWork, *, printer: LabelPrinter) -> int:
    """One label (PDF + ZPL) per shipment that has no active label yet."""
    order = orders.order(uow.conn, cmd.order_id)
    address = order["shipping_address"]
    codes = {n.id: n for n in queries.nodes(uow.conn)}
    printed = 0
    for r in store.shipments_of(uow.conn, cmd.order_id, status="created"):
        label = uow.conn.execute(sa.select(store.labels.c.status)
                                 .where(store.labels.c.shipment_id == r.id)).scalar()
        if label == "active":
            continue
        node = codes.get(r.location_id)
        pdf, zpl = printer.render(LabelData(
            tracking_code=r.tracking_code, carrier=r.carrier, service=r.service,
            ship_from=node.code if node else r.location_id,
            ship_from_country=node.country if node else "",
            ship_to=(address["name"], address["line1"], address.get("line2", ""),
                     f"{address['postal_code']} {address['city']}", address["country"]),
            postal_code=r.postal_code, country=r.country, promised_date=r.promised_date,
            lines=tuple((ln["sku"], ln["quantity"]) for ln in r.lines),
            order_number=order["number"]))
        uow.conn.execute(store.labels.delete().where(store.labels.c.shipment_id == r.id))
        uow.conn.execute(store.labels.insert().values(shipment_id=r.id, pdf=pdf, zpl=zpl,
                                                      status="active", created_at=uow.now()))
        uow.record(m.LabelPrinted(shipment_id=r.id, tracking_code=r.tracking_code))
        printed += 1
    return printed


def void_labels(cmd: m.VoidLabels, uow: UnitOfWork) -> int:
    ids = [r.id for r in store.shipments_of(uow.conn, cmd.order_id, status="created")]
    active = [sid for sid in ids if uow.conn.execute(
        sa.select(store.labels.c.status).where(store.labels.c.shipment_id == sid)).scalar()
        == "active"]
    for sid in active:
        uow.conn.execute(store.labels.update().where(store.labels.c.shipment_id == sid)
                         .values(status="voided"))
        uow.record(m.LabelVoided(shipment_id=sid))
    return len(active)


def settle_shipments(cmd: m.SettleShipments, uow: UnitOfWork) -> int:
    """The stock leaves every node (a pick in the ledger at each); the order has shipped."""
    row = _allocated(uow, cmd.order_id)
    if row.status == "settled":
        return 0
    uow.execute(PickReservation(reference=cmd.order_id))
    rows = store.shipments_of(uow.conn, cmd.order_id, status="created")
    uow.conn.execute(store.shipments.update().where(
        store.shipments.c.order_id == cmd.order_id, store.shipments.c.status == "created")
        .values(status="shipped"))
    uow.conn.execute(store.allocations.update().where(
        store.allocations.c.order_id == cmd.order_id).values(status="settled",
                                                             updated_at=uow.now()))
    suppliers = {n.id: n.supplier_id for n in queries.nodes(uow.conn)}
    uow.record(m.OrderShipped(order_id=cmd.order_id, shipments=[
        {"shipment_id": r.id, "location_id": r.location_id, "tracking_code": r.tracking_code,
         "supplier_id": suppliers.get(r.location_id), "carrier": r.carrier} for r in rows]))
    return len(rows)


def notify_shipments(cmd: m.NotifyShipments, uow: UnitOfWork, *, notifier: Notifier,
                     tracking_url: str) -> int:
    """One message per shipment, with its own tracking link; never twice for one shipment."""
    order = orders.order(uow.conn, cmd.order_id)
    channel = channels.channel(uow.conn, order["channel_id"])
    rows = [r for r in store.shipments_of(uow.conn, cmd.order_id) if r.status != "cancelled"]
    sent = 0
    for index, r in enumerate(rows, start=1):
        done = uow.conn.execute(sa.select(store.notifications.c.sent_at).where(
            store.notifications.c.shipment_id == r.id,
            store.notifications.c.channel == "email")).first()
        if done is not None:
            continue
        link = tracking_url.format(carrier=r.carrier, tracking_code=r.tracking_code)
        try:
            notifier.send_shipment(ShipmentMessage(
                to=order["email"], channel=channel.key, locale=channel.locale, context={
                    "order_number": order["number"], "name": order["shipping_address"]["name"],
                    "index": index, "count": len(rows), "carrier": r.carrier,
                    "service": r.service, "tracking_code": r.tracking_code,
                    "tracking_url": link, "promised_date": r.promised_date, "lines": r.lines}))
        except Exception as exc:  # the parcel has shipped: report, never undo the shipment
            uow.record(m.ShipmentNotificationFailed(
                shipment_id=r.id, order_id=cmd.order_id, channel="email",
                error=f"{type(exc).__name__}: {exc}"[:500]))
            continue
        uow.conn.execute(store.notifications.insert().values(
            shipment_id=r.id, channel="email", recipient=order["email"], sent_at=uow.now()))
        uow.record(m.ShipmentNotified(shipment_id=r.id, order_id=cmd.order_id, channel="email"))
        sent += 1
    return sent
