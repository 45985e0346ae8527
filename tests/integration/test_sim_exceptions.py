"""The carrier meltdown through Hansa's own exceptions path: the simulator reports the world's
scans, Hansa notices the missed ones and reships, messages and credits by its own rules."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from hansa.db.engine import Database
from hansa.inventory import queries as inventory
from hansa.sim.compare import compare
from hansa.sim.runner import run_policy
from hansa.sim.scenario import SIZES, load_scenario

SMALL = SIZES["small"]


def _count(url: str, sql: str) -> int:
    db = Database(url)
    try:
        with db.read() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        db.dispose()


def test_meltdown_reships_come_from_hansas_path_and_the_same_seed_repeats(
        tmp_path: Path) -> None:
    scenario = load_scenario("carrier-meltdown")
    runs = [compare(scenario, days=6, seed=1, size_name="small", size=SMALL,
                    workdir=tmp_path / str(i)) for i in range(2)]
    automation = runs[0].tallies["automation"].as_dict()
    baseline = runs[0].tallies["baseline"].as_dict()

    assert runs[0].as_json() == runs[1].as_json()
    assert automation["incidents"] > 0  # Hansa's timers noticed the parcels gone quiet
    assert automation["preemptive_reships"] > 0
    assert automation["reships"] >= automation["preemptive_reships"]
    assert automation["customer_messages"] >= automation["incidents"]
    assert automation["credits_issued"] > 0
    assert automation["minutes_to_customer_message_p50"] > 0
    # nothing pre-emptive without the path: the baseline does not even track parcels
    assert baseline["incidents"] == 0
    assert baseline["preemptive_reships"] == 0
    # the replacements cost parcels and goods
    assert automation["logistics_cost"] > baseline["logistics_cost"]

    auto_url = f"sqlite:///{tmp_path / '0' / 'carrier-meltdown-1-automation.db'}"
    base_url = f"sqlite:///{tmp_path / '0' / 'carrier-meltdown-1-baseline.db'}"
    released = _count(auto_url, "SELECT count(*) FROM logistics_incidents "
                                "WHERE reship_status = 'released'")
    assert released == automation["preemptive_reships"]
    assert _count(auto_url, "SELECT count(*) FROM support_messages") == \
        automation["customer_messages"]
    assert _count(auto_url, "SELECT count(*) FROM logistics_incidents") == \
        automation["incidents"]
    assert _count(base_url, "SELECT count(*) FROM logistics_shipments") == 0
    db = Database(auto_url)
    try:
        with db.read() as conn:
            assert inventory.ledger_imbalances(conn) == []
    finally:
        db.dispose()


def test_the_baseline_answers_complaints_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baseline.db'}"
    tally = run_policy(load_scenario("carrier-meltdown"), SMALL, 1, 10, "baseline", url)
    kpis = tally.as_dict()
    assert kpis["complaints"] > 0
    assert kpis["complaint_reships"] == kpis["reships"] > 0
    assert kpis["preemptive_reships"] == 0
    assert kpis["customer_messages"] == kpis["complaints"]
    assert _count(url, "SELECT count(*) FROM support_tickets") == kpis["complaints"]
    assert _count(url, "SELECT count(DISTINCT reference) FROM inventory_reservations "
                       "WHERE reference LIKE 'complaint-reship:%'") == kpis["complaint_reships"]
