"""The storm over real HTTP: the alert and the cart burst come in through the admin API, the
path acts, and the storefront's product promise for the zone turns same-day once the stock
lands. Bad batches are refused whole with the index of the bad signal."""

from __future__ import annotations

from datetime import timedelta

import httpx

from hansa.bootstrap import Hansa
from hansa.inventory import queries as inventory
from hansa.inventory.messages import ReceiveTransfer
from hansa.kernel.clock import VirtualClock
from tests.e2e.server import serving
from tests.integration.demand_helpers import (
    QUIET_ZIP,
    SKU,
    START,
    STORM_ALERT,
    STORM_ZIP,
    build,
    carts,
    history,
)

ADMIN = {"Authorization": "Bearer hansa-admin"}
STORE = {"X-Channel-Key": "dtc-test"}


def _fastest(client: httpx.Client) -> dict[str, object]:
    response = client.get("/store/products/tee-m/promise", headers=STORE,
                          params={"postal_code": STORM_ZIP})
    assert response.status_code == 200, response.text
    [variant] = response.json()["variants"]
    return dict(variant["fastest"])


def test_storm_signals_through_the_api_turn_the_zone_same_day(
        hansa: Hansa, clock: VirtualClock) -> None:
    world = build(hansa, clock)
    history(world, {STORM_ZIP: 4, QUIET_ZIP: 4})
    spike_at = START + timedelta(days=14, hours=15)
    with serving(hansa) as base, httpx.Client(base_url=base) as client:
        before = _fastest(client)
        clock.set(spike_at + timedelta(minutes=30))
        batch = [{"kind": "weather_alert", "alert": STORM_ALERT}] + [
            carts(STORM_ZIP, spike_at - timedelta(hours=2 - i), n)
            for i, n in enumerate([9, 9, 5])]
        answer = client.post("/admin/demand/signals", headers=ADMIN,
                             json={"signals": batch, "source": "pixel"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["alerts"] == 1 and len(answer.json()["spikes_fired"]) == 1
        hansa.worker.run_until_idle()
        spikes = client.get("/admin/demand/spikes", headers=ADMIN).json()["spikes"]
        assert [s["postal_code"] for s in spikes] == [STORM_ZIP]
        plan = client.get(f"/admin/demand/plan/{SKU}", headers=ADMIN).json()
        assert plan["supplier"] == "ACME-TEX" and plan["order_up_to"] >= plan["reorder_point"]
        with hansa.db.read() as conn:
            [transfer] = inventory.transfers_in_transit(conn, SKU)
        clock.advance(timedelta(hours=20))
        hansa.bus.execute(ReceiveTransfer(transfer_id=str(transfer["id"])))
        after = _fastest(client)
    assert before["from"] == "TN-DC" and int(str(before["days"])) >= 2
    assert after["from"] == "NY-MFC" and after["level"] == "same_day"


def test_a_bad_signal_refuses_the_whole_batch(hansa: Hansa, clock: VirtualClock) -> None:
    build(hansa, clock)
    with serving(hansa) as base, httpx.Client(base_url=base) as client:
        answer = client.post("/admin/demand/signals", headers=ADMIN, json={"signals": [
            carts(STORM_ZIP, clock.now(), 1), {"kind": "add_to_cart", "sku": SKU}]})
        spikes = client.get("/admin/demand/spikes", headers=ADMIN).json()["spikes"]
    assert answer.status_code == 422, answer.text
    assert "signals[1]" in answer.text
    assert spikes == []
    with hansa.db.read() as conn:
        from hansa.demand import queries as demand

        assert demand.signal_count(conn) == 0


def test_zone_areas_through_the_api_let_a_zone_alert_cover_its_places(
        hansa: Hansa, clock: VirtualClock) -> None:
    from tests.integration.test_demand_zones import NOW, ZONE_ALERT

    clock.set(NOW)
    areas = [{"code": "NYZ075", "postal_codes": ["11201", "11215"]},
             {"code": "036081", "postal_codes": ["11101"]}]
    with serving(hansa) as base, httpx.Client(base_url=base) as client:
        alert = client.post("/admin/demand/signals", headers=ADMIN, json={
            "signals": [{"kind": "weather_alert", "alert": ZONE_ALERT}], "source": "nws"})
        assert alert.status_code == 200, alert.text
        loaded = client.post("/admin/demand/zones", headers=ADMIN, json={"areas": areas})
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["alerts_updated"] == 1
        listed = client.get("/admin/demand/zones", headers=ADMIN).json()["areas"]
        bad = client.post("/admin/demand/zones", headers=ADMIN,
                          json={"areas": [{"code": "NYZ075", "postal_codes": ["99999x"]}]})
        anonymous = client.post("/admin/demand/zones", json={"areas": areas})
    assert [a["code"] for a in listed] == ["036081", "NYZ075"]
    assert bad.status_code == 422 and "areas[0]" in bad.text
    assert anonymous.status_code in (401, 403)
