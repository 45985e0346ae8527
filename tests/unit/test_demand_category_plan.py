"""The path's pure policy for a category spike: the extra demand spread by share, one set of
steps per SKU with its own names, PO numbers and transfer ids."""

from __future__ import annotations

from typing import Any

from hansa.automation.replenishment import Tuning, plan
from hansa.demand.messages import PublishZonePromise, RaisePurchaseOrder, RevertPurchaseOrder
from hansa.inventory.messages import DispatchTransfer

ZONE = "852a1073fffffff"


def _member(sku: str, share: float, extra: float) -> dict[str, Any]:
    return {
        "sku": sku, "share": share, "extra_per_hour": extra,
        "rates": {ZONE: [0.5, 0.7], "other": [0.5, 0.7]},
        "locations": [
            {"id": "dc", "code": "DC", "kind": "regional_dc", "km_to_spike": 1500.0,
             "lat": 35.0, "lon": -90.0, "atp": 300, "picked_14d": 0},
            {"id": "mfc", "code": "MFC", "kind": "micro_fulfillment", "km_to_spike": 5.0,
             "lat": 40.7, "lon": -74.0, "atp": 0, "picked_14d": 300}],
        "sourcing": [{"supplier_code": "S", "lead_time_hours": 96, "moq": 12, "case_pack": 6,
                      "cost": 500, "currency": "USD", "supply_model": "mts"}],
        "open_pos": []}


def _inputs(members: list[dict[str, Any]]) -> dict[str, Any]:
    return {"spike_id": "00000000-0000-0000-0000-000000000001", "sku": "category:rainwear",
            "zone": ZONE, "postal_code": "11201", "country": "US", "ratio": 3.0,
            "observed": 30, "expected": 10.0, "p_value": 1e-5, "evidence": [],
            "now": "2026-03-16T15:30:00+00:00", "category": "rainwear", "category_skus": 3,
            "share_basis": "zone", "category_per_hour": 4.0, "excess_per_hour": 8.0,
            "members": members}


def test_each_sku_gets_its_share_of_the_extra_demand_and_its_own_steps() -> None:
    decision = plan(_inputs([_member("BIG", 0.75, 6.0), _member("SMALL", 0.25, 2.0)]),
                    Tuning())
    assert decision.act
    names = [s.name for s in decision.steps]
    assert len(names) == len(set(names))
    assert {n.split(":")[1] for n in names} == {"BIG", "SMALL"}
    raises = {s.command.sku: (s.command, s.compensation) for s in decision.steps
              if isinstance(s.command, RaisePurchaseOrder)}
    assert raises["BIG"][0].add_quantity > raises["SMALL"][0].add_quantity
    numbers = {c.new_po_number for c, _ in raises.values()}
    keys = {c.idempotency_key for c, _ in raises.values()}
    assert len(numbers) == 2 and len(keys) == 2 and "" not in keys
    for sku, (command, compensation) in raises.items():
        assert compensation == RevertPurchaseOrder(spike_id=command.spike_id, sku=sku)
    moved = {s.command.sku: s.command for s in decision.steps
             if isinstance(s.command, DispatchTransfer)}
    assert moved["BIG"].quantity > moved["SMALL"].quantity
    assert moved["BIG"].transfer_id != moved["SMALL"].transfer_id
    promises = [s.command for s in decision.steps if isinstance(s.command, PublishZonePromise)]
    assert [p.transfer_ids for p in promises] == [(moved["BIG"].transfer_id,),
                                                 (moved["SMALL"].transfer_id,)]


def test_a_category_without_skus_to_act_on_is_skipped_with_the_reason() -> None:
    decision = plan(_inputs([]), Tuning())
    assert not decision.act
    assert any("no SKU of the category" in r for r in decision.reasons)
