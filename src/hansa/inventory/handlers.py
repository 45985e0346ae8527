"""Inventory use cases. Every stock movement goes through `store.post`: ledger row + level."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.inventory import messages as m
from hansa.inventory import store
from hansa.inventory.model import (
    Allocation,
    EntryKind,
    Location,
    LocationKind,
    StockLevel,
    merge_lines,
    plan_reservation,
    validate_location,
)
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.geo import Position
from hansa.kernel.ids import new_id

REPLAN_ATTEMPTS = 8  # a concurrent buyer took the stock we planned on: look again


def _known_location(uow: UnitOfWork, location_id: str) -> None:
    if not store.location_rows(uow.conn, [location_id]):
        raise NotFound(f"no location {location_id}", code="location_not_found")


def _post(uow: UnitOfWork, sku: str, location_id: str, kind: EntryKind, quantity: int,
          reference: str) -> StockLevel:
    level = store.post(uow.conn, sku, location_id, kind, quantity, reference, uow.now())
    uow.record(m.StockChanged(sku=sku, location_id=location_id, kind=kind.value,
                              quantity=quantity, on_hand=level.on_hand, reserved=level.reserved,
                              reference=reference))
    return level


def create_location(cmd: m.CreateLocation, uow: UnitOfWork) -> str:
    try:
        kind = LocationKind(cmd.kind)
        position = Position(cmd.lat, cmd.lon)
    except ValueError as exc:
        raise InvalidData(str(exc), code="invalid_location") from None
    location = Location(
        id=cmd.location_id or new_id(), code=cmd.code.upper(), name=cmd.name, kind=kind,
        position=position, country=cmd.country.upper(), postal_code=cmd.postal_code,
        service_radius_km=cmd.service_radius_km,
    )
    validate_location(location)
    if uow.conn.execute(sa.select(store.locations.c.id)
                        .where(store.locations.c.code == location.code)).first():
        raise Conflict(f"location code {location.code} is taken", code="location_code_taken")
    store.insert_location(uow.conn, location)
    uow.record(m.LocationCreated(location_id=location.id, code=location.code, kind=kind.value))
    return location.id


def receive_stock(cmd: m.ReceiveStock, uow: UnitOfWork) -> StockLevel:
    _known_location(uow, cmd.location_id)
    return _post(uow, cmd.sku, cmd.location_id, EntryKind.RECEIPT, cmd.quantity,
                 cmd.reference or "receipt")


def adjust_stock(cmd: m.AdjustStock, uow: UnitOfWork) -> StockLevel:
    _known_location(uow, cmd.location_id)
    if not cmd.reason.strip():
        raise InvalidData("an adjustment needs a reason", code="reason_required")
    return _post(uow, cmd.sku, cmd.location_id, EntryKind.ADJUSTMENT, cmd.delta,
                 f"adjustment: {cmd.reason}")


def return_stock(cmd: m.ReturnStock, uow: UnitOfWork) -> StockLevel:
    _known_location(uow, cmd.location_id)
    return _post(uow, cmd.sku, cmd.location_id, EntryKind.RETURN, cmd.quantity, cmd.reference)


def _positions(uow: UnitOfWork) -> dict[str, Position]:
    return store.active_positions(uow.conn)


def _reserve_sku(uow: UnitOfWork, cmd: m.ReserveStock, sku: str, quantity: int,
                 positions: dict[str, Position], destination: Position | None) -> list[Allocation]:
    made: list[Allocation] = []
    left = quantity
    for _ in range(REPLAN_ATTEMPTS):
        levels = [lv for lv in store.levels_of(uow.conn, [sku]) if lv.location_id in positions]
        plan = plan_reservation(sku, left, levels, positions, destination)
        for allocation in plan:
            try:
                _post(uow, sku, allocation.location_id, EntryKind.RESERVATION,
                      allocation.quantity, cmd.reference)
            except Conflict:
                break  # someone else got there first; re-read and plan the rest
            made.append(allocation)
            left -= allocation.quantity
        if left == 0:
            return made
    raise Conflict(f"{sku}: stock kept moving while reserving; try again", code="out_of_stock",
                   sku=sku)


def _hold(uow: UnitOfWork, reference: str, allocations: list[Allocation],
          expires_at: datetime | None) -> None:
    """The reservation rows of allocations already posted to the ledger, and the event."""
    now = uow.now()
    uow.conn.execute(store.reservations.insert(), [
        {"id": new_id(), "reference": reference, "sku": a.sku, "location_id": a.location_id,
         "quantity": a.quantity, "status": "active", "expires_at": expires_at,
         "created_at": now}
        for a in allocations
    ])
    uow.record(m.StockReserved(
        reference=reference,
        allocations=[{"sku": a.sku, "location_id": a.location_id, "quantity": a.quantity}
                     for a in allocations],
        expires_at=expires_at.isoformat() if expires_at else None,
    ))


def reserve_stock(cmd: m.ReserveStock, uow: UnitOfWork) -> list[Allocation]:
    if not cmd.lines:  # else the reservations insert below gets no rows: an IntegrityError
        raise InvalidData("a reservation needs at least one line", code="empty_reservation")
    if store.active_reservations(uow.conn, cmd.reference):
        raise Conflict(f"{cmd.reference} already holds a reservation", code="already_reserved")
    positions = _positions(uow)
    destination = Position(*cmd.destination) if cmd.destination else None
    allocations: list[Allocation] = []
    for sku, quantity in sorted(merge_lines(cmd.lines).items()):
        allocations.extend(_reserve_sku(uow, cmd, sku, quantity, positions, destination))
    _hold(uow, cmd.reference, allocations, cmd.expires_at)
    if cmd.expires_at is not None:
        uow.record(m.ReservationExpiryDue(reference=cmd.reference), deliver_at=cmd.expires_at)
    return allocations


def _release(uow: UnitOfWork, reference: str, reason: str, status: str) -> list[sa.Row]:
    rows = store.active_reservations(uow.conn, reference, lock=True)
    for row in rows:
        _post(uow, row.sku, row.location_id, EntryKind.RELEASE, row.quantity, reference)
    store.set_reservation_status(uow.conn, [r.id for r in rows], status)
    if rows:
        uow.record(m.ReservationReleased(
            reference=reference, reason=reason,
            allocations=[{"sku": r.sku, "location_id": r.location_id, "quantity": r.quantity}
                         for r in rows],
        ))
    return rows


def release_reservation(cmd: m.ReleaseReservation, uow: UnitOfWork) -> int:
    return len(_release(uow, cmd.reference, cmd.reason, "released"))


def confirm_reservation(cmd: m.ConfirmReservation, uow: UnitOfWork) -> int:
    """Keep the hold for good; Conflict if it has already expired (its stock may be sold on)."""
    rows = store.active_reservations(uow.conn, cmd.reference, lock=True)
    if not rows and uow.conn.execute(sa.select(store.reservations.c.id).where(
            store.reservations.c.reference == cmd.reference,
            store.reservations.c.status == "expired")).first():
        raise Conflict(f"the reservation of {cmd.reference} has expired",
                       code="reservation_expired", reference=cmd.reference)
    store.clear_expiry(uow.conn, [r.id for r in rows])
    return len(rows)


def pick_reservation(cmd: m.PickReservation, uow: UnitOfWork) -> int:
    rows = store.active_reservations(uow.conn, cmd.reference, lock=True)
    if not rows:
        raise NotFound(f"{cmd.reference} holds no active reservation", code="reservation_not_found")
    for row in rows:
        _post(uow, row.sku, row.location_id, EntryKind.PICK, row.quantity, cmd.reference)
    store.set_reservation_status(uow.conn, [r.id for r in rows], "picked")
    return len(rows)


def _expire(uow: UnitOfWork, reference: str, now: datetime) -> bool:
    rows = store.active_reservations(uow.conn, reference, lock=True)
    if not rows or any(r.expires_at is None or r.expires_at > now for r in rows):
        return False  # confirmed, already released, or not due yet
    _release(uow, reference, "expired", "expired")
    uow.record(m.ReservationExpired(reference=reference))
    return True


def expire_reservations(cmd: m.ExpireReservations, uow: UnitOfWork) -> int:
    now = uow.now()
    due = uow.conn.execute(
        sa.select(store.reservations.c.reference).distinct().where(
            store.reservations.c.status == "active", store.reservations.c.expires_at <= now)
    ).scalars().all()
    return sum(_expire(uow, reference, now) for reference in due)


def on_reservation_expiry_due(event: m.ReservationExpiryDue, uow: UnitOfWork) -> None:
    """Consumer of the durable timer set when the reservation was made."""
    _expire(uow, event.reference, uow.now())


def dispatch_transfer(cmd: m.DispatchTransfer, uow: UnitOfWork) -> str:
    if cmd.from_location_id == cmd.to_location_id:
        raise InvalidData("a transfer goes between two different locations",
                          code="invalid_transfer")
    if cmd.quantity <= 0:
        raise InvalidData("a transfer moves at least one unit", code="invalid_transfer")
    _known_location(uow, cmd.from_location_id)
    _known_location(uow, cmd.to_location_id)
    transfer_id = cmd.transfer_id or new_id()
    if uow.conn.execute(sa.select(store.transfers.c.id)
                        .where(store.transfers.c.id == transfer_id)).first():
        raise Conflict(f"transfer {transfer_id} exists already", code="transfer_exists")
    _post(uow, cmd.sku, cmd.from_location_id, EntryKind.TRANSFER_OUT, cmd.quantity, transfer_id)
    uow.conn.execute(store.transfers.insert().values(
        id=transfer_id, sku=cmd.sku, from_location_id=cmd.from_location_id,
        to_location_id=cmd.to_location_id, quantity=cmd.quantity, status="in_transit",
        dispatched_at=uow.now(), expected_at=cmd.expected_at,
    ))
    uow.record(m.TransferDispatched(
        transfer_id=transfer_id, sku=cmd.sku, from_location_id=cmd.from_location_id,
        to_location_id=cmd.to_location_id, quantity=cmd.quantity,
        expected_at=cmd.expected_at.isoformat() if cmd.expected_at else None))
    return transfer_id


def receive_transfer(cmd: m.ReceiveTransfer, uow: UnitOfWork) -> StockLevel:
    row = uow.conn.execute(sa.select(store.transfers)
                           .where(store.transfers.c.id == cmd.transfer_id)).first()
    if row is None:
        raise NotFound(f"no transfer {cmd.transfer_id}", code="transfer_not_found")
    moved = uow.conn.execute(
        store.transfers.update()
        .where(store.transfers.c.id == row.id, store.transfers.c.status == "in_transit")
        .values(status="received", received_at=uow.now())
    ).rowcount
    if moved != 1:
        raise Conflict(f"transfer {cmd.transfer_id} was already received",
                       code="transfer_already_received")
    level = _post(uow, row.sku, row.to_location_id, EntryKind.TRANSFER_IN, row.quantity, row.id)
    uow.record(m.TransferReceived(transfer_id=row.id, sku=row.sku,
                                  to_location_id=row.to_location_id, quantity=row.quantity))
    return level


def reserve_at(cmd: m.ReserveAt, uow: UnitOfWork) -> list[Allocation]:
    """Reserve exactly where the caller chose; the unit of work rolls back on any shortfall."""
    if not cmd.allocations:
        raise InvalidData("a reservation needs at least one line", code="empty_reservation")
    if store.active_reservations(uow.conn, cmd.reference):
        raise Conflict(f"{cmd.reference} already holds a reservation", code="already_reserved")
    merged: dict[tuple[str, str], int] = {}
    for sku, location_id, quantity in cmd.allocations:
        if quantity <= 0:
            raise InvalidData(f"{sku}: quantity must be positive", code="invalid_quantity")
        merged[sku, location_id] = merged.get((sku, location_id), 0) + quantity
    allocations = [Allocation(sku, loc, qty) for (sku, loc), qty in sorted(merged.items())]
    active = _positions(uow)
    for allocation in allocations:
        if allocation.location_id not in active:
            raise NotFound(f"no active location {allocation.location_id}",
                           code="location_not_found")
        _post(uow, allocation.sku, allocation.location_id, EntryKind.RESERVATION,
              allocation.quantity, cmd.reference)
    _hold(uow, cmd.reference, allocations, cmd.expires_at)
    return allocations
