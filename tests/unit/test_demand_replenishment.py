"""Replenishment numbers, the weekly min/max baseline and the transfer MILP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hansa.automation.replenishment import Tuning, plan
from hansa.demand.messages import PublishZonePromise, RaisePurchaseOrder
from hansa.demand.replenishment import (
    Forecast,
    MinMax,
    SensingPolicy,
    Slot,
    Supply,
    WeeklyMinMaxPolicy,
    levels,
    min_max_from_history,
    order_quantity,
    production_slot,
    round_order,
)
from hansa.demand.transfers import Source, plan_transfer
from hansa.inventory.messages import DispatchTransfer
from hansa.kernel.geo import Position, haversine_km

forecasts = st.builds(Forecast, st.floats(0, 50), st.floats(0, 20))
supplies = st.builds(Supply, st.integers(0, 24 * 30), st.integers(1, 200), st.integers(1, 48))


def test_levels_by_hand() -> None:
    lv = levels(Forecast(2.0, 1.0), Supply(48), review_hours=24, service_level=0.95)
    # s = 2*48 + 1.645*1*sqrt(48) = 107.4; S = 2*72 + 1.645*sqrt(72) = 157.96
    assert (lv.reorder_point, lv.order_up_to, lv.safety_stock) == (108, 158, 14)


@given(st.floats(-10, 5000), supplies)
def test_rounded_orders_respect_moq_and_case_pack(need: float, supply: Supply) -> None:
    q = round_order(need, supply)
    if need <= 0:
        assert q == 0
    else:
        assert q >= need and q >= supply.moq and q % supply.case_pack == 0
        assert q - max(need, supply.moq) < supply.case_pack  # no more than one case too many


@given(forecasts, supplies, st.integers(0, 168), st.integers(-100, 3000))
def test_an_order_reaches_the_order_up_to_level(forecast: Forecast, supply: Supply,
                                                review: int, position: int) -> None:
    lv = levels(forecast, supply, review, 0.95)
    q = order_quantity(position, lv, supply)
    assert lv.order_up_to >= lv.reorder_point >= 0
    if position > lv.reorder_point:
        assert q == 0
    elif lv.order_up_to > position:
        assert position + q >= lv.order_up_to


@given(forecasts, supplies, st.integers(0, 168))
def test_a_higher_service_level_never_lowers_the_levels(forecast: Forecast, supply: Supply,
                                                        review: int) -> None:
    low, high = levels(forecast, supply, review, 0.9), levels(forecast, supply, review, 0.99)
    assert high.reorder_point >= low.reorder_point and high.order_up_to >= low.order_up_to


def test_the_manual_min_max_is_tuned_from_history() -> None:
    rule = min_max_from_history([10.0] * 28, Supply(72, moq=1), unit_cost=10.0)
    assert rule.low == 100  # 3 days of lead time + a week's review at 10/day, no spread
    assert rule.high >= rule.low + 70  # at least a week of demand on top


def test_both_policies_answer_the_same_question() -> None:
    supply = {"A": Supply(72, 1, 1)}
    sensing = SensingPolicy({"A": Forecast(10 / 24, 0.5)}, supply)
    manual = WeeklyMinMaxPolicy({"A": MinMax(30, 100)}, supply)
    assert sensing.order("A", 0, 5) > 0 and manual.order("A", 0, 5) == 0  # not review hour
    assert manual.order("A", 0, 168) == 100 and manual.order("A", 31, 168) == 0


def _sources(data: list[tuple[int, int, int]]) -> list[Source]:
    return [Source(f"L{i}", f"L{i}", atp, 0.0, cost, float(i)) for i, (atp, cost, _) in
            enumerate(data)]


@given(st.integers(0, 300), st.lists(st.tuples(st.integers(0, 100), st.integers(1, 500),
                                               st.integers(0, 1)), max_size=6),
       st.integers(1, 2000), st.integers(1, 400))
def test_transfers_never_exceed_surplus_need_or_bounds(need: int, data: list[tuple[int, int, int]],
                                                       penalty: int, max_units: int) -> None:
    sources = _sources(data)
    plan = plan_transfer(need, sources, lost_sale_penalty=penalty, max_units=max_units)
    by_id = {s.location_id: s for s in sources}
    assert all(0 < q <= by_id[loc].surplus for loc, _, q in plan.moves)
    assert plan.units <= min(max(need, 0), max_units)
    assert plan.units + plan.lost_units == max(need, 0)
    assert all(by_id[loc].unit_cost <= penalty for loc, _, _ in plan.moves)


def test_the_cheapest_then_slowest_location_gives() -> None:
    sources = [Source("F", "FAST", 50, 5.0, 100, 10.0), Source("S", "SLOW", 50, 0.0, 100, 0.5),
               Source("X", "FAR", 50, 0.0, 300, 0.0)]
    plan = plan_transfer(40, sources, lost_sale_penalty=900)
    assert plan.moves == [("S", "SLOW", 40)] and plan.lost_units == 0


def test_moving_costs_more_than_losing_the_sale_moves_nothing() -> None:
    plan = plan_transfer(10, [Source("A", "A", 50, 0.0, 500, 0.0)], lost_sale_penalty=400)
    assert plan.moves == [] and plan.lost_units == 10


def test_a_transfer_under_the_minimum_is_not_sent() -> None:
    plan = plan_transfer(1, [Source("A", "A", 50, 0.0, 10, 0.0)], lost_sale_penalty=400,
                         min_units=2)
    assert plan.moves == [] and plan.lost_units == 1


NOW = datetime(2026, 3, 16, 15, 30, tzinfo=UTC)


@given(st.integers(1, 500), st.lists(st.tuples(st.integers(-3, 20), st.integers(0, 80)),
                                     max_size=10), st.integers(1, 400))
def test_a_production_slot_is_never_early_and_never_overpromised(
        quantity: int, plan: list[tuple[int, int]], lead: int) -> None:
    schedule = [(NOW.date() + timedelta(days=d), q) for d, q in plan]
    slot = production_slot(quantity, schedule, NOW, lead)
    future = sum(q for d, q in plan if d >= 0)
    assert slot.ready_hours >= lead
    assert slot.units == (min(quantity, future) if schedule else quantity)


def test_the_slot_is_the_end_of_the_day_that_covers_the_order() -> None:
    schedule = [(date(2026, 3, 15), 100), (date(2026, 3, 17), 30), (date(2026, 3, 19), 50)]
    slot = production_slot(60, schedule, NOW, 24)
    assert slot == Slot(60, 81)  # the 19th's plan covers it: its end is 80.5 h away


def _inputs(**source: object) -> dict[str, object]:
    return {
        "spike_id": "01a2404c-089a-7870-ad1f-a004d849c451", "sku": "TEE-M",
        "zone": "852a1073fffffff", "postal_code": "11201", "country": "US", "ratio": 2.3,
        "observed": 23, "expected": 10.0, "p_value": 0.002, "now": NOW.isoformat(),
        "evidence": [{"type": "weather_alert", "event": "Winter Storm Warning",
                      "severity": "Severe"}],
        "rates": {"852a1073fffffff": [1.4, 0.8], "8544c8dbfffffff": [1.4, 0.8]},
        "locations": [
            {"id": "dc", "code": "TN-DC", "kind": "regional_dc", "km_to_spike": 1500.0,
             "lat": 35.04, "lon": -89.98, "atp": 120, "picked_14d": 0},
            {"id": "mfc", "code": "NY-MFC", "kind": "micro_fulfillment", "km_to_spike": 3.0,
             "lat": 40.69, "lon": -73.99, "atp": 0, "picked_14d": 0}],
        "sourcing": [{"supplier_code": "ACME-TEX", "cost": 900, "currency": "USD",
                      "lead_time_hours": 72, "moq": 24, "case_pack": 12, **source}],
        "open_pos": [{"po_number": "PO-5001", "supplier_code": "ACME-TEX", "status": "sent",
                      "lines": [["TEE-M", 48, 900, "USD"]]}]}


def test_the_policy_raises_the_po_and_moves_stock_to_the_mfc() -> None:
    decision = plan(_inputs(), Tuning())
    raise_po, transfer, publish = (s.command for s in decision.steps)
    assert isinstance(raise_po, RaisePurchaseOrder) and raise_po.po_number == "PO-5001"
    assert raise_po.add_quantity % 12 == 0 and raise_po.add_quantity >= 24
    assert isinstance(transfer, DispatchTransfer)
    assert (transfer.from_location_id, transfer.to_location_id) == ("dc", "mfc")
    km = haversine_km(Position(35.04, -89.98), Position(40.69, -73.99))
    assert transfer.expected_at == NOW + timedelta(hours=4 + km / 60)  # dock + truck
    assert isinstance(publish, PublishZonePromise) and publish.transfer_ids == (
        transfer.transfer_id,)
    assert any("Winter Storm Warning" in r for r in decision.reasons)


def test_an_mto_item_orders_what_the_production_plan_can_make() -> None:
    schedule = [["2026-03-17", 30], ["2026-03-20", 500]]
    decision = plan(_inputs(supply_model="mto", schedule=schedule), Tuning())
    raise_po = decision.steps[0].command
    assert isinstance(raise_po, RaisePurchaseOrder)
    assert any(r.startswith("MTO:") for r in decision.reasons)
    short = plan(_inputs(supply_model="mto", schedule=[["2026-03-17", 20]]), Tuning())
    assert not any(isinstance(s.command, RaisePurchaseOrder) for s in short.steps)
    assert any("under the MOQ" in r for r in short.reasons)


def test_a_category_spike_is_skipped() -> None:
    decision = plan({**_inputs(), "sku": "category:rain gear"}, Tuning())
    assert not decision.act


def test_another_centre_keeps_its_stock_unless_centres_may_give() -> None:
    inputs = _inputs()
    inputs["locations"] = [*inputs["locations"], {
        "id": "mfc2", "code": "NJ-MFC", "kind": "micro_fulfillment", "km_to_spike": 15.0,
        "lat": 40.73, "lon": -74.17, "atp": 200, "picked_14d": 0}]
    by_default = plan(inputs, Tuning())
    sources = {s.command.from_location_id for s in by_default.steps
               if isinstance(s.command, DispatchTransfer)}
    assert sources == {"dc"}  # the DC, though the centre next door is far cheaper
    giving = plan(inputs, Tuning(centres_give=True))
    sources = {s.command.from_location_id for s in giving.steps
               if isinstance(s.command, DispatchTransfer)}
    assert "mfc2" in sources  # the cheap neighbour gives first
