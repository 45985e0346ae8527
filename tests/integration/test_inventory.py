"""Inventory use cases against the real databases: ledger, reservations, transfers, expiry."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.inventory import queries
from hansa.inventory.messages import (
    AdjustStock,
    ConfirmReservation,
    CreateLocation,
    DispatchTransfer,
    ExpireReservations,
    PickReservation,
    ReceiveStock,
    ReceiveTransfer,
    ReleaseReservation,
    ReserveStock,
    ReturnStock,
)
from hansa.inventory.model import Allocation, EntryKind, StockLevel, apply
from hansa.inventory.store import ledger, reservations
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict, HansaError, InvalidData, NotFound

EXPIRED = "hansa.inventory.reservation_expired.v1"
NEW_YORK = (40.71, -74.01)


def _location(hansa: Hansa, code: str, lat: float = 40.52, lon: float = -74.41) -> str:
    location_id: str = hansa.bus.execute(CreateLocation(
        code=code, name=code, kind="warehouse", lat=lat, lon=lon, country="US"))
    return location_id


def _level(hansa: Hansa, sku: str, location_id: str) -> tuple[int, int]:
    with hansa.db.read() as conn:
        found = [lv for lv in queries.levels(conn, [sku]) if lv.location_id == location_id]
    return (found[0].on_hand, found[0].reserved) if found else (0, 0)


def _ledger(hansa: Hansa, sku: str) -> list[tuple[str, int, int]]:
    query = (sa.select(ledger.c.kind, ledger.c.on_hand_delta, ledger.c.reserved_delta)
             .where(ledger.c.sku == sku).order_by(ledger.c.id))
    with hansa.db.read() as conn:
        return [(r.kind, r.on_hand_delta, r.reserved_delta) for r in conn.execute(query)]


def _count(hansa: Hansa, table: sa.Table) -> int:
    with hansa.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _reservations(hansa: Hansa, reference: str) -> list[tuple[str, str, int, str]]:
    r = reservations.c
    query = sa.select(r.sku, r.location_id, r.quantity, r.status).where(r.reference == reference)
    with hansa.db.read() as conn:
        return sorted((row.sku, row.location_id, row.quantity, row.status)
                      for row in conn.execute(query))


def _event_types(hansa: Hansa) -> list[str]:
    with hansa.db.read() as conn:
        return list(conn.execute(sa.select(outbox.c.type).order_by(outbox.c.position)).scalars())


def _balanced(hansa: Hansa) -> bool:
    with hansa.db.read() as conn:
        return queries.ledger_imbalances(conn) == []


# receive, reserve, release, pick ------------------------------------------------------------
def test_receive_reserve_and_release_move_levels_and_the_ledger(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))

    made = hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 4)]))
    reserved = _level(hansa, "TEE-M", nj)
    released = hansa.bus.execute(ReleaseReservation(reference="order-1", reason="changed mind"))

    assert made == [Allocation("TEE-M", nj, 4)]
    assert reserved == (10, 4)
    assert released == 1
    assert _level(hansa, "TEE-M", nj) == (10, 0)
    assert _ledger(hansa, "TEE-M") == [("receipt", 10, 0), ("reservation", 0, 4),
                                       ("release", 0, -4)]
    assert _reservations(hansa, "order-1") == [("TEE-M", nj, 4, "released")]
    assert _balanced(hansa)


def test_picking_a_reservation_takes_the_units_out_of_the_building(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 3)]))

    picked = hansa.bus.execute(PickReservation(reference="order-1"))

    assert picked == 1
    assert _level(hansa, "TEE-M", nj) == (7, 0)
    assert _ledger(hansa, "TEE-M")[-1] == ("pick", -3, -3)
    assert _reservations(hansa, "order-1") == [("TEE-M", nj, 3, "picked")]
    assert _balanced(hansa)


def test_picking_without_a_reservation_is_not_found_and_writes_nothing(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))

    with pytest.raises(NotFound) as err:
        hansa.bus.execute(PickReservation(reference="nobody"))

    assert err.value.code == "reservation_not_found"
    assert _count(hansa, ledger) == 1


def test_releasing_an_unknown_reference_does_nothing(hansa: Hansa) -> None:
    events_before = _event_types(hansa)

    released = hansa.bus.execute(ReleaseReservation(reference="nobody", reason="none"))

    assert released == 0
    assert _event_types(hansa) == events_before
    assert _count(hansa, ledger) == 0


def test_receiving_at_an_unknown_location_is_not_found_and_writes_nothing(hansa: Hansa) -> None:
    with pytest.raises(NotFound) as err:
        hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id="nowhere", quantity=1))

    assert err.value.code == "location_not_found"
    assert _count(hansa, ledger) == 0
    assert _event_types(hansa) == []


def test_a_reservation_with_no_lines_is_invalid_and_writes_nothing(hansa: Hansa) -> None:
    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(ReserveStock(reference="order-1", lines=[]))

    assert err.value.code == "empty_reservation"
    assert _count(hansa, reservations) == 0


# adjustments --------------------------------------------------------------------------------
def test_shrinkage_within_available_lowers_on_hand(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 6)]))

    level = hansa.bus.execute(AdjustStock(sku="TEE-M", location_id=nj, delta=-4, reason="damp"))

    assert level == StockLevel("TEE-M", nj, 6, 6)
    assert _ledger(hansa, "TEE-M")[-1] == ("adjustment", -4, 0)
    assert _balanced(hansa)


def test_an_adjustment_below_reserved_is_a_conflict_and_writes_nothing(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 6)]))
    ledger_rows, events_before = _count(hansa, ledger), _event_types(hansa)

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(AdjustStock(sku="TEE-M", location_id=nj, delta=-5, reason="theft"))

    assert err.value.code == "insufficient_stock"
    assert _count(hansa, ledger) == ledger_rows
    assert _level(hansa, "TEE-M", nj) == (10, 6)
    assert _event_types(hansa) == events_before


# reservations across lines and locations ----------------------------------------------------
def test_a_short_second_line_leaves_the_first_line_unreserved(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="MUG", location_id=nj, quantity=5))
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=1))
    ledger_rows = _count(hansa, ledger)

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(ReserveStock(reference="order-1", lines=[("MUG", 2), ("TEE-M", 3)]))

    assert err.value.code == "out_of_stock"
    assert err.value.details == {"sku": "TEE-M", "wanted": 3, "available": 1}
    assert _level(hansa, "MUG", nj) == (5, 0)
    assert _count(hansa, ledger) == ledger_rows
    assert _count(hansa, reservations) == 0


def test_the_location_nearest_the_destination_holds_the_whole_line(hansa: Hansa) -> None:
    tn = _location(hansa, "TN-DC", 35.04, -89.98)
    nj = _location(hansa, "NJ-WH", 40.52, -74.41)
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=tn, quantity=100))
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=5))

    made = hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 5)],
                                          destination=NEW_YORK))

    assert made == [Allocation("TEE-M", nj, 5)]
    assert (_level(hansa, "TEE-M", nj), _level(hansa, "TEE-M", tn)) == ((5, 5), (100, 0))


def test_a_line_no_location_can_fill_is_split_and_repeated_lines_merge(hansa: Hansa) -> None:
    tn = _location(hansa, "TN-DC", 35.04, -89.98)
    nj = _location(hansa, "NJ-WH", 40.52, -74.41)
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=tn, quantity=6))
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=4))

    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 5), ("TEE-M", 3)],
                                   destination=NEW_YORK))

    assert _reservations(hansa, "order-1") == sorted(
        [("TEE-M", tn, 6, "active"), ("TEE-M", nj, 2, "active")])
    assert _balanced(hansa)


def test_a_reference_cannot_hold_two_reservations(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 1)]))

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 1)]))

    assert err.value.code == "already_reserved"
    assert _level(hansa, "TEE-M", nj) == (10, 1)


# transfers ----------------------------------------------------------------------------------
def test_a_transfer_moves_stock_out_then_in_once(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    tn = _location(hansa, "TN-DC", 35.04, -89.98)
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))

    transfer_id = hansa.bus.execute(DispatchTransfer(sku="TEE-M", from_location_id=nj,
                                                     to_location_id=tn, quantity=4))
    in_transit = (_level(hansa, "TEE-M", nj), _level(hansa, "TEE-M", tn))
    hansa.bus.execute(ReceiveTransfer(transfer_id=transfer_id))
    with pytest.raises(Conflict) as err:
        hansa.bus.execute(ReceiveTransfer(transfer_id=transfer_id))

    assert in_transit == ((6, 0), (0, 0))
    assert err.value.code == "transfer_already_received"
    assert (_level(hansa, "TEE-M", nj), _level(hansa, "TEE-M", tn)) == ((6, 0), (4, 0))
    assert [kind for kind, _, _ in _ledger(hansa, "TEE-M")] == [
        "receipt", "transfer_out", "transfer_in"]
    assert _event_types(hansa)[-2:] == ["hansa.inventory.stock_changed.v1",
                                        "hansa.inventory.transfer_received.v1"]
    assert _balanced(hansa)


def test_reserved_units_cannot_be_dispatched(hansa: Hansa) -> None:
    nj = _location(hansa, "NJ-WH")
    tn = _location(hansa, "TN-DC", 35.04, -89.98)
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 8)]))

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(DispatchTransfer(sku="TEE-M", from_location_id=nj, to_location_id=tn,
                                           quantity=3))

    assert err.value.code == "insufficient_stock"
    assert _level(hansa, "TEE-M", nj) == (10, 8)
    with hansa.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM inventory_transfers").scalar_one() == 0


def test_receiving_an_unknown_transfer_is_not_found(hansa: Hansa) -> None:
    with pytest.raises(NotFound) as err:
        hansa.bus.execute(ReceiveTransfer(transfer_id="nothing"))

    assert err.value.code == "transfer_not_found"


# expiry -------------------------------------------------------------------------------------
def test_a_reservation_expires_by_its_durable_timer(hansa: Hansa, clock: VirtualClock) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 4)],
                                   expires_at=clock.now() + timedelta(hours=1)))

    hansa.worker.run_until_idle()
    before = (_reservations(hansa, "order-1"), _level(hansa, "TEE-M", nj))
    clock.advance(timedelta(hours=1, seconds=1))
    hansa.worker.run_until_idle()

    assert before == ([("TEE-M", nj, 4, "active")], (10, 4))
    assert EXPIRED in _event_types(hansa)
    assert _event_types(hansa).count(EXPIRED) == 1
    assert _reservations(hansa, "order-1") == [("TEE-M", nj, 4, "expired")]
    assert _level(hansa, "TEE-M", nj) == (10, 0)
    assert _balanced(hansa)


def test_a_confirmed_reservation_does_not_expire(hansa: Hansa, clock: VirtualClock) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 4)],
                                   expires_at=clock.now() + timedelta(hours=1)))

    confirmed = hansa.bus.execute(ConfirmReservation(reference="order-1"))
    clock.advance(timedelta(days=2))
    hansa.worker.run_until_idle()
    swept = hansa.bus.execute(ExpireReservations())

    assert (confirmed, swept) == (1, 0)
    assert EXPIRED not in _event_types(hansa)
    assert _reservations(hansa, "order-1") == [("TEE-M", nj, 4, "active")]
    assert _level(hansa, "TEE-M", nj) == (10, 4)


def test_an_expired_reservation_cannot_be_confirmed(hansa: Hansa, clock: VirtualClock) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    hansa.bus.execute(ReserveStock(reference="order-1", lines=[("TEE-M", 4)],
                                   expires_at=clock.now() + timedelta(hours=1)))
    clock.advance(timedelta(hours=2))
    hansa.bus.execute(ExpireReservations())

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(ConfirmReservation(reference="order-1"))
    unknown = hansa.bus.execute(ConfirmReservation(reference="made-to-order"))

    assert err.value.code == "reservation_expired"
    assert unknown == 0  # nothing was ever held, e.g. a made-to-order order
    assert _reservations(hansa, "order-1") == [("TEE-M", nj, 4, "expired")]


def test_the_sweep_expires_only_what_is_due_and_the_timer_adds_nothing(
        hansa: Hansa, clock: VirtualClock) -> None:
    nj = _location(hansa, "NJ-WH")
    hansa.bus.execute(ReceiveStock(sku="TEE-M", location_id=nj, quantity=10))
    now = clock.now()
    hansa.bus.execute(ReserveStock(reference="soon", lines=[("TEE-M", 2)],
                                   expires_at=now + timedelta(minutes=10)))
    hansa.bus.execute(ReserveStock(reference="later", lines=[("TEE-M", 3)],
                                   expires_at=now + timedelta(hours=2)))
    hansa.bus.execute(ReserveStock(reference="never", lines=[("TEE-M", 1)]))

    clock.advance(timedelta(minutes=30))
    swept = hansa.bus.execute(ExpireReservations())
    hansa.worker.run_until_idle()

    assert swept == 1
    assert _event_types(hansa).count(EXPIRED) == 1
    assert [_reservations(hansa, r)[0][3] for r in ("soon", "later", "never")] == [
        "expired", "active", "active"]
    assert _level(hansa, "TEE-M", nj) == (10, 4)
    assert _balanced(hansa)


# any sequence -------------------------------------------------------------------------------
Moves = list[tuple[str, str, EntryKind, int]]


def _random_step(hansa: Hansa, rnd: random.Random, step: int, sku: str, loc: str,
                 held: dict[str, list[Allocation]]) -> Moves:
    """One random command; returns the ledger movements it should make."""
    action = rnd.choice(["receive", "adjust", "reserve", "free", "return"])
    quantity = rnd.randint(1, 8)
    if action == "receive":
        hansa.bus.execute(ReceiveStock(sku=sku, location_id=loc, quantity=quantity))
        return [(sku, loc, EntryKind.RECEIPT, quantity)]
    if action == "return":
        hansa.bus.execute(ReturnStock(sku=sku, location_id=loc, quantity=quantity, reference="rma"))
        return [(sku, loc, EntryKind.RETURN, quantity)]
    if action == "adjust":
        delta = rnd.choice([-1, 1]) * quantity
        hansa.bus.execute(AdjustStock(sku=sku, location_id=loc, delta=delta, reason="count"))
        return [(sku, loc, EntryKind.ADJUSTMENT, delta)]
    if action == "reserve":
        made = hansa.bus.execute(ReserveStock(reference=f"r-{step}", lines=[(sku, quantity)]))
        held[f"r-{step}"] = made
        return [(a.sku, a.location_id, EntryKind.RESERVATION, a.quantity) for a in made]
    if not held:
        return []
    reference = rnd.choice(sorted(held))
    pick = rnd.random() < 0.5
    hansa.bus.execute(PickReservation(reference=reference) if pick
                      else ReleaseReservation(reference=reference, reason="test"))
    kind = EntryKind.PICK if pick else EntryKind.RELEASE
    return [(a.sku, a.location_id, kind, a.quantity) for a in held.pop(reference)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ledger_balances_after_a_random_sequence_of_movements(hansa: Hansa, seed: int) -> None:
    rnd = random.Random(seed)
    locations = [_location(hansa, "NJ-WH"), _location(hansa, "TN-DC", 35.04, -89.98)]
    expected = {(sku, loc): StockLevel(sku, loc, 0, 0) for sku in ("A1", "B2") for loc in locations}
    held: dict[str, list[Allocation]] = {}
    refused = 0
    for step in range(60):
        sku, loc = rnd.choice(sorted(expected))
        try:
            moved = _random_step(hansa, rnd, step, sku, loc, held)
        except HansaError:
            refused += 1  # refused commands move nothing
            continue
        for s, lo, kind, q in moved:
            expected[(s, lo)] = apply(expected[(s, lo)], kind, q)

    with hansa.db.read() as conn:
        actual = {(lv.sku, lv.location_id): lv for lv in queries.levels(conn, ["A1", "B2"])}
        assert queries.ledger_imbalances(conn) == []
    assert 0 < refused < 60
    assert {k: v for k, v in expected.items() if k in actual or v.on_hand} == actual
