"""Pure inventory: ledger entry effects, the reserved <= on hand invariant, reservation plans."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hansa.inventory.model import (
    Allocation,
    EntryKind,
    StockLevel,
    apply,
    deltas,
    merge_lines,
    plan_reservation,
)
from hansa.kernel.errors import Conflict, InvalidData
from hansa.kernel.geo import Position, haversine_km

NEW_YORK = Position(40.71, -74.01)
NJ_WH = Position(40.52, -74.41)  # ~40 km from New York
TN_DC = Position(35.04, -89.98)  # ~1,550 km from New York
KS_WH = Position(39.0, -95.0)  # ~1,800 km from New York


@st.composite
def valid_levels(draw: st.DrawFn) -> StockLevel:
    on_hand = draw(st.integers(0, 1_000))
    reserved = draw(st.integers(0, on_hand))
    return StockLevel("SKU-1", "loc-1", on_hand, reserved)


entries = st.one_of(
    st.tuples(st.sampled_from([k for k in EntryKind if k is not EntryKind.ADJUSTMENT]),
              st.integers(1, 1_200)),
    st.tuples(st.just(EntryKind.ADJUSTMENT),
              st.integers(-1_200, 1_200).filter(lambda q: q != 0)),
)


@st.composite
def stocked_locations(draw: st.DrawFn) -> tuple[list[StockLevel], dict[str, Position]]:
    """Up to six locations of SKU-1 with their positions, plus noise levels of another SKU."""
    count = draw(st.integers(1, 6))
    levels, positions = [], {}
    for i in range(count):
        on_hand = draw(st.integers(0, 50))
        reserved = draw(st.integers(0, on_hand))
        levels.append(StockLevel("SKU-1", f"loc-{i}", on_hand, reserved))
        levels.append(StockLevel("OTHER", f"loc-{i}", 1_000, 0))
        positions[f"loc-{i}"] = Position(draw(st.floats(25, 49)), draw(st.floats(-124, -67)))
    return levels, positions


def _available(levels: list[StockLevel]) -> dict[str, int]:
    return {lv.location_id: lv.available for lv in levels if lv.sku == "SKU-1"}


# deltas and apply ---------------------------------------------------------------------------
def test_each_entry_kind_has_its_fixed_effect() -> None:
    assert {kind: deltas(kind, 3) for kind in EntryKind} == {
        EntryKind.RECEIPT: (3, 0),
        EntryKind.RESERVATION: (0, 3),
        EntryKind.RELEASE: (0, -3),
        EntryKind.PICK: (-3, -3),
        EntryKind.TRANSFER_OUT: (-3, 0),
        EntryKind.TRANSFER_IN: (3, 0),
        EntryKind.ADJUSTMENT: (3, 0),
        EntryKind.RETURN: (3, 0),
    }
    assert deltas(EntryKind.ADJUSTMENT, -4) == (-4, 0)


@pytest.mark.parametrize("kind", [k for k in EntryKind if k is not EntryKind.ADJUSTMENT])
@pytest.mark.parametrize("quantity", [0, -1])
def test_movements_other_than_adjustments_need_a_positive_quantity(
        kind: EntryKind, quantity: int) -> None:
    with pytest.raises(InvalidData) as err:
        deltas(kind, quantity)

    assert err.value.code == "invalid_quantity"


def test_an_adjustment_of_zero_is_refused() -> None:
    with pytest.raises(InvalidData) as err:
        deltas(EntryKind.ADJUSTMENT, 0)

    assert err.value.code == "invalid_quantity"


@given(valid_levels(), entries)
def test_apply_keeps_reserved_within_on_hand_or_raises_conflict(
        level: StockLevel, entry: tuple[EntryKind, int]) -> None:
    kind, quantity = entry
    d_on_hand, d_reserved = deltas(kind, quantity)
    on_hand, reserved = level.on_hand + d_on_hand, level.reserved + d_reserved
    breaks = not 0 <= reserved <= on_hand

    if breaks:
        with pytest.raises(Conflict) as err:
            apply(level, kind, quantity)
        assert err.value.code in {"over_release", "insufficient_stock"}
    else:
        assert apply(level, kind, quantity) == StockLevel("SKU-1", "loc-1", on_hand, reserved)


@given(st.lists(entries, max_size=40))
def test_any_sequence_of_entries_keeps_the_invariant(sequence: list[tuple[EntryKind, int]]) -> None:
    level = StockLevel("SKU-1", "loc-1", 0, 0)
    for kind, quantity in sequence:
        with contextlib.suppress(Conflict):  # refused entries leave the level as it was
            level = apply(level, kind, quantity)
        assert 0 <= level.reserved <= level.on_hand


def test_releasing_more_than_reserved_is_over_release() -> None:
    with pytest.raises(Conflict) as err:
        apply(StockLevel("SKU-1", "loc-1", 10, 2), EntryKind.RELEASE, 3)

    assert err.value.code == "over_release"


def test_shrinkage_below_reserved_is_insufficient_stock() -> None:
    with pytest.raises(Conflict) as err:
        apply(StockLevel("SKU-1", "loc-1", 10, 8), EntryKind.ADJUSTMENT, -3)

    assert err.value.code == "insufficient_stock"
    assert err.value.details == {"sku": "SKU-1", "location_id": "loc-1"}


# plan_reservation ---------------------------------------------------------------------------
@given(stocked_locations(), st.integers(1, 200), st.booleans())
def test_a_plan_conserves_quantity_and_never_takes_more_than_available(
        stocked: tuple[list[StockLevel], dict[str, Position]], quantity: int,
        with_destination: bool) -> None:
    levels, positions = stocked
    available = _available(levels)
    assume(sum(available.values()) >= quantity)

    plan = plan_reservation("SKU-1", quantity, levels, positions,
                            NEW_YORK if with_destination else None)

    assert sum(a.quantity for a in plan) == quantity
    assert {a.sku for a in plan} == {"SKU-1"}
    assert len({a.location_id for a in plan}) == len(plan)
    assert all(0 < a.quantity <= available[a.location_id] for a in plan)


@given(stocked_locations(), st.integers(1, 200))
def test_a_location_that_can_fill_the_order_alone_gets_all_of_it_nearest_first(
        stocked: tuple[list[StockLevel], dict[str, Position]], quantity: int) -> None:
    levels, positions = stocked
    whole = [loc for loc, units in _available(levels).items() if units >= quantity]
    assume(whole)

    plan = plan_reservation("SKU-1", quantity, levels, positions, NEW_YORK)

    assert len(plan) == 1
    assert plan[0].location_id in whole
    nearest = min(haversine_km(positions[loc], NEW_YORK) for loc in whole)
    assert haversine_km(positions[plan[0].location_id], NEW_YORK) == nearest


@given(stocked_locations(), st.integers(1, 200))
def test_a_split_uses_the_fewest_locations(
        stocked: tuple[list[StockLevel], dict[str, Position]], quantity: int) -> None:
    levels, positions = stocked
    units = sorted(_available(levels).values(), reverse=True)
    assume(sum(units) >= quantity)
    fewest = next(k for k in range(1, len(units) + 1) if sum(units[:k]) >= quantity)

    plan = plan_reservation("SKU-1", quantity, levels, positions, NEW_YORK)

    assert len(plan) == fewest


@given(stocked_locations(), st.integers(1, 400))
def test_a_short_total_is_out_of_stock(
        stocked: tuple[list[StockLevel], dict[str, Position]], quantity: int) -> None:
    levels, positions = stocked
    total = sum(_available(levels).values())
    assume(total < quantity)

    with pytest.raises(Conflict) as err:
        plan_reservation("SKU-1", quantity, levels, positions, NEW_YORK)

    assert err.value.code == "out_of_stock"
    assert err.value.details == {"sku": "SKU-1", "wanted": quantity, "available": total}


def test_the_nearest_location_wins_over_the_one_with_most_stock() -> None:
    levels = [StockLevel("SKU-1", "tn", 100, 0), StockLevel("SKU-1", "nj", 5, 0)]
    positions = {"tn": TN_DC, "nj": NJ_WH}

    assert plan_reservation("SKU-1", 5, levels, positions, NEW_YORK) == [
        Allocation("SKU-1", "nj", 5)]


def test_without_a_destination_the_location_with_most_available_wins() -> None:
    levels = [StockLevel("SKU-1", "nj", 5, 0), StockLevel("SKU-1", "tn", 100, 90)]
    positions = {"tn": TN_DC, "nj": NJ_WH}

    assert plan_reservation("SKU-1", 4, levels, positions) == [Allocation("SKU-1", "tn", 4)]


def test_a_split_takes_the_largest_availability_first() -> None:
    levels = [StockLevel("SKU-1", "nj", 3, 0), StockLevel("SKU-1", "tn", 9, 2),
              StockLevel("SKU-1", "ks", 4, 0)]
    positions = {"tn": TN_DC, "nj": NJ_WH, "ks": KS_WH}

    assert plan_reservation("SKU-1", 12, levels, positions, NEW_YORK) == [
        Allocation("SKU-1", "tn", 7), Allocation("SKU-1", "ks", 4), Allocation("SKU-1", "nj", 1)]


def test_reserved_units_are_not_available_to_plan() -> None:
    levels = [StockLevel("SKU-1", "nj", 5, 5), StockLevel("OTHER", "nj", 50, 0)]

    with pytest.raises(Conflict) as err:
        plan_reservation("SKU-1", 1, levels)

    assert err.value.details == {"sku": "SKU-1", "wanted": 1, "available": 0}


@pytest.mark.parametrize("quantity", [0, -2])
def test_planning_a_non_positive_quantity_is_invalid(quantity: int) -> None:
    with pytest.raises(InvalidData) as err:
        plan_reservation("SKU-1", quantity, [StockLevel("SKU-1", "nj", 5, 0)])

    assert err.value.code == "invalid_quantity"


# merge_lines --------------------------------------------------------------------------------
def test_merge_lines_sums_quantities_per_sku() -> None:
    assert merge_lines([("A", 2), ("B", 1), ("A", 3)]) == {"A": 5, "B": 1}


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 100))))
def test_merge_lines_conserves_every_skus_total(lines: list[tuple[str, int]]) -> None:
    merged = merge_lines(lines)

    assert merged == {sku: sum(q for s, q in lines if s == sku) for sku, _ in lines}


@pytest.mark.parametrize("quantity", [0, -1])
def test_merge_lines_refuses_non_positive_quantities(quantity: int) -> None:
    with pytest.raises(InvalidData) as err:
        merge_lines([("A", 1), ("B", quantity)])

    assert err.value.code == "invalid_quantity"
