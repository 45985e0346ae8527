"""In the storm, the automation policy's storefront signals reach Hansa's detector and its
demand-replenishment path acts (a purchase order raised, stock moved near the spike); the
baseline's weekly planner has no such path. Read from Hansa's own records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hansa.automation import queries as automation
from hansa.automation.replenishment import PATH_NAME
from hansa.db.engine import Database
from hansa.demand import queries as demand
from hansa.sim.compare import compare
from hansa.sim.geography import zip_place
from hansa.sim.scenario import SIZES, load_scenario
from hansa.sim.world import World
from hansa.suppliers import queries as suppliers

DAYS = 5  # the alert reaches Texas on day 3; the spike follows within hours
SEED = 1


def _read(db: Path, skus: list[str]) -> dict[str, Any]:
    database = Database(f"sqlite:///{db}")
    try:
        with database.read() as conn:
            spikes = demand.spikes(conn, limit=1000)
            runs = [automation.run(conn, r.id)
                    for r in automation.runs(conn, path=PATH_NAME, limit=1000)]
            open_pos = {sku: found for sku in skus
                        if (found := suppliers.open_purchase_orders(conn, sku))}
            return {"spikes": spikes, "runs": runs, "open_pos": open_pos,
                    "signals": demand.signal_count(conn)}
    finally:
        database.dispose()


def test_the_storm_spike_is_sensed_and_acted_on_by_hansa_only_under_automation(
        tmp_path: Path) -> None:
    scenario = load_scenario("storm")
    first = compare(scenario, days=DAYS, seed=SEED, size_name="small", size=SIZES["small"],
                    workdir=tmp_path / "a")
    again = compare(scenario, days=DAYS, seed=SEED, size_name="small", size=SIZES["small"],
                    workdir=tmp_path / "b")
    assert first.as_json() == again.as_json()  # same seed, same KPIs

    skus = [s.sku for s in World(scenario, SIZES["small"], SEED).skus]
    auto = _read(tmp_path / "a" / f"storm-{SEED}-automation.db", skus)
    storm = [s for s in auto["spikes"] if s["postal_code"]
             and zip_place(s["postal_code"]).state in scenario.focus_states]
    assert storm, "no spike in the storm's states"
    assert all(any(e["type"] == "weather_alert" for e in s["evidence"]) for s in storm)
    storm_ids = {s["id"] for s in storm}
    acted = [step for run in auto["runs"] if run.trigger_data.get("spike_id") in storm_ids
             for step in run.steps if step.status == "completed"
             and step.command_type.rsplit(".", 1)[-1] in ("RaisePurchaseOrder",
                                                          "DispatchTransfer")]
    assert acted, "the demand path neither raised a PO nor moved stock for the storm spike"
    raised = [s for s in acted if s.command_type.endswith("RaisePurchaseOrder")]
    for step in raised:  # the PO Hansa sent is open with the supplier for that SKU
        numbers = [po["po_number"] for po in auto["open_pos"][str(step.command["sku"])]]
        assert step.result["po_number"] in numbers

    base = _read(tmp_path / "a" / f"storm-{SEED}-baseline.db", skus)
    assert base["signals"] == 0 and base["spikes"] == [] and base["runs"] == []
    assert base["open_pos"] == {}  # no purchase order went to a supplier through Hansa
