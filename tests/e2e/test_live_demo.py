"""`hansa demo --scenario`: a scenario replayed live while the real server answers. What the
simulation does shows through HTTP at once: its orders, its stock, its virtual clock."""

from __future__ import annotations

from pathlib import Path

import httpx

from hansa.sim.live import LiveDemo
from hansa.sim.scenario import SIZES, load_scenario
from tests.e2e.server import free_port


def test_the_storefront_and_the_admin_api_move_with_the_replay(tmp_path: Path) -> None:
    scenario = load_scenario("storm")
    demo = LiveDemo(scenario, SIZES["small"], 1, f"sqlite:///{tmp_path}/live.db")
    seen: dict[int, tuple[int, int, str]] = {}
    try:
        with demo.serving("127.0.0.1", free_port()) as base:
            admin = httpx.Client(base_url=base, timeout=10, headers={
                "Authorization": f"Bearer {demo.sim.hansa.settings.admin_token}"})
            [channel] = admin.get("/admin/channels").json()

            def watch(day: int, hour: int) -> None:
                if hour not in (9, 21):
                    return
                orders = admin.get("/admin/orders", params={"limit": 1}).json()
                page = httpx.get(f"{base}/", timeout=10)
                assert page.status_code == 200
                newest = orders["orders"][0]["placed_at"] if orders["orders"] else ""
                seen[hour] = (orders["total"], demo.sim.tally.orders, newest)

            tally = demo.play(1, 0.0, watch)
            products = httpx.get(f"{base}/store/products", timeout=10,
                                 headers={"X-Channel-Key": channel["key"]}).json()
    finally:
        demo.close()

    assert set(seen) == {9, 21}
    (morning, booked_morning, _), (evening, booked_evening, newest) = seen[9], seen[21]
    assert morning == booked_morning and evening == booked_evening  # what the world booked
    assert evening > morning > 0 and tally.orders >= evening
    assert newest.startswith(scenario.start.date().isoformat())  # the world's clock, served
    assert products["products"] and all(p["handle"].startswith("sim-")  # the world's catalog
                                        for p in products["products"])
