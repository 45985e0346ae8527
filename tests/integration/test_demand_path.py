"""The storm scenario end to end on both dialects: a significant add-to-cart spike in one postal
area under a storm alert raises the open PO (a PO change out, acknowledged), dispatches a
transfer to the micro-fulfilment centre near the spike, and once the stock lands the zone's
promise turns same-day. The same spike on too few counts, and noise, do nothing."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.demand_helpers import (
    PO,
    QUIET_ZIP,
    SKU,
    START,
    STORM_ALERT,
    STORM_ZIP,
    THIN_ZIP,
    World,
    build,
    carts,
    history,
    supplier_acks,
)

from hansa.automation import queries as runs
from hansa.bootstrap import Hansa
from hansa.demand import queries as demand
from hansa.demand.messages import IngestSignals
from hansa.fulfillment.promises import Promises
from hansa.guards.messages import EngageKillSwitch
from hansa.inventory import queries as inventory
from hansa.inventory.messages import ReceiveTransfer
from hansa.kernel.clock import VirtualClock
from hansa.suppliers.purchase_orders import purchase_order

SPIKE_AT = START + timedelta(days=14, hours=15)  # Monday 15:00, the day the storm is forecast


def _world(hansa: Hansa, clock: VirtualClock) -> World:
    world = build(hansa, clock)
    history(world, {STORM_ZIP: 4, QUIET_ZIP: 4})
    hansa.bus.execute(IngestSignals(signals=({"kind": "weather_alert", "alert": STORM_ALERT},),
                                    source="nws"))
    return world


def _burst(world: World, zip_code: str, per_hour: list[int]) -> dict[str, object]:
    """Hourly add-to-cart counts for the last len(per_hour) hours, the last hour half gone."""
    world.clock.set(SPIKE_AT + timedelta(minutes=30))
    batch = [carts(zip_code, SPIKE_AT - timedelta(hours=len(per_hour) - 1 - i), n)
             for i, n in enumerate(per_hour)]
    result: dict[str, object] = world.app.bus.execute(
        IngestSignals(signals=tuple(batch), source="pixel")).as_dict()
    world.app.worker.run_until_idle()
    return result


def _runs(hansa: Hansa) -> list[runs.RunRecord]:
    with hansa.db.read() as conn:
        return [runs.run(conn, r.id) for r in runs.runs(conn, path="demand-replenishment")]


def _promise(hansa: Hansa, clock: VirtualClock) -> dict[str, object]:
    with hansa.db.read() as conn:
        found = Promises().lookup(conn, [SKU], STORM_ZIP, "US", clock.now())[SKU]
    assert found.fastest is not None
    return found.fastest.as_dict()


def test_storm_spike_raises_the_po_moves_stock_and_makes_the_zone_same_day(
        hansa: Hansa, clock: VirtualClock) -> None:
    world = _world(hansa, clock)
    before = _promise(hansa, clock)
    outcome = _burst(world, STORM_ZIP, [9, 9, 5])  # 23 carts where 10 were expected

    assert len(outcome["spikes_fired"]) == 1  # type: ignore[arg-type]
    with hansa.db.read() as conn:
        [spike] = demand.spikes(conn)
        po = purchase_order(conn, PO)
        transfers = inventory.transfers_in_transit(conn, SKU)
    assert spike["postal_code"] == STORM_ZIP and spike["status"] == "open"
    assert spike["verdict"]["observed"] == 23 and spike["verdict"]["p_value"] < 0.01
    assert [e["event"] for e in spike["evidence"] if e["type"] == "weather_alert"] == [
        "Winter Storm Warning"]
    [run] = _runs(hansa)
    assert run.status == "completed", (run.status, run.error, run.reasons)
    assert [s.name for s in run.steps] == ["raise-po", "transfer-0", "publish-promise"]
    assert po["revision"] == 1 and po["status"] == "sent"
    assert "BCH*04*SA*PO-5001" in po["document"]  # an X12 860 went out
    [(sku, raised, cost, _)] = po["lines"]
    assert sku == SKU and raised > 48 and (raised - 48) % 12 == 0 and cost == 900
    [transfer] = transfers
    assert transfer["to_location_id"] == world.locations["NY-MFC"]
    assert transfer["from_location_id"] == world.locations["TN-DC"]
    assert 2 <= transfer["quantity"] <= 120

    assert supplier_acks(world, PO) == "applied"
    with hansa.db.read() as conn:
        assert purchase_order(conn, PO)["status"] == "acknowledged"

    during = _promise(hansa, clock)  # in transit: the honest date, counting the ETA
    published = run.steps[-1].result
    assert published["after_transfer"]["fastest"]["from"] == "NY-MFC"
    assert published["now"]["fastest"] == during
    clock.advance(timedelta(hours=20))
    hansa.bus.execute(ReceiveTransfer(transfer_id=transfer["id"]))
    after = _promise(hansa, clock)
    assert before["from"] == "TN-DC" and before["days"] >= 2
    assert during["from"] == "NY-MFC" and during["inbound"] is True
    assert 0 < during["days"] < before["days"]
    assert after["from"] == "NY-MFC" and after["days"] == 0 and after["level"] == "same_day"
    assert after["inbound"] is False


def test_the_same_ratio_on_too_few_counts_does_nothing(hansa: Hansa, clock: VirtualClock
                                                       ) -> None:
    world = build(hansa, clock)
    history(world, {THIN_ZIP: 1, QUIET_ZIP: 4})
    outcome = _burst(world, THIN_ZIP, [2, 2, 1])  # x2 the baseline, but 5 carts vs 2.5
    assert outcome["spikes_fired"] == []
    assert _runs(hansa) == []
    with hansa.db.read() as conn:
        assert purchase_order(conn, PO)["revision"] == 0
        assert inventory.transfers_in_transit(conn, SKU) == []


def test_noise_around_the_baseline_does_nothing(hansa: Hansa, clock: VirtualClock) -> None:
    world = _world(hansa, clock)
    outcome = _burst(world, STORM_ZIP, [5, 4, 2])  # 11 carts where 10 were expected
    assert outcome["spikes_fired"] == []
    assert _runs(hansa) == []
    with hansa.db.read() as conn:
        assert purchase_order(conn, PO)["revision"] == 0


def test_a_spike_fires_once_and_rearms_after_it_falls_back(hansa: Hansa, clock: VirtualClock
                                                           ) -> None:
    world = _world(hansa, clock)
    _burst(world, STORM_ZIP, [9, 9, 5])
    clock.set(SPIKE_AT + timedelta(minutes=45))  # still spiking: no second spike
    again = hansa.bus.execute(IngestSignals(signals=(carts(STORM_ZIP, clock.now(), 3),)))
    assert again.fired == []
    clock.set(SPIKE_AT + timedelta(hours=4, minutes=30))  # back to normal: closes, re-arms
    calm = hansa.bus.execute(IngestSignals(signals=(carts(STORM_ZIP, clock.now(), 2),)))
    assert len(calm.closed) == 1
    with hansa.db.read() as conn:
        assert [s["status"] for s in demand.spikes(conn)] == ["closed"]
    assert len(_runs(hansa)) == 1


def test_the_kill_switch_blocks_the_path(hansa: Hansa, clock: VirtualClock) -> None:
    world = _world(hansa, clock)
    hansa.bus.execute(EngageKillSwitch(scope="path:demand-replenishment", reason="storm drill",
                                       actor="ops"))
    _burst(world, STORM_ZIP, [9, 9, 5])
    [run] = _runs(hansa)
    assert run.status == "blocked"
    with hansa.db.read() as conn:
        assert purchase_order(conn, PO)["revision"] == 0
        assert inventory.transfers_in_transit(conn, SKU) == []


def _guarded(db_url: str, clock: VirtualClock, **settings: object) -> Hansa:
    from hansa.bootstrap import bootstrap
    from hansa.config import Settings

    return bootstrap(Settings(db=db_url, bus="memory", listing_stock_lag_ms=0,
                              **settings),  # type: ignore[arg-type]
                     clock=clock, migrate=True)


def test_the_po_value_guard_trips_and_blocks_the_run(db_url: str, clock: VirtualClock) -> None:
    from hansa.guards import queries as guards

    app = _guarded(db_url, clock, demand_po_value_per_hour=10_000)  # 100.00 USD an hour
    try:
        world = _world(app, clock)
        _burst(world, STORM_ZIP, [9, 9, 5])
        [run] = _runs(app)
        with app.db.read() as conn:
            po = purchase_order(conn, PO)
            breaker = {b.name: b for b in guards.breakers(conn)}["demand:po-value"]
            transfers = inventory.transfers_in_transit(conn, SKU)
    finally:
        app.close()
    assert run.status == "blocked"
    assert run.steps[0].result["action"] == "blocked"
    assert run.steps[0].result["reason"].endswith("above the 100.00 USD bound")
    assert breaker.state.value == "open" and po["revision"] == 0 and transfers == []


def test_a_transfer_never_moves_more_than_the_bound(db_url: str, clock: VirtualClock) -> None:
    app = _guarded(db_url, clock, demand_transfer_max_units=10)
    try:
        world = _world(app, clock)
        _burst(world, STORM_ZIP, [9, 9, 5])
        with app.db.read() as conn:
            [transfer] = inventory.transfers_in_transit(conn, SKU)
        [run] = _runs(app)
    finally:
        app.close()
    assert transfer["quantity"] == 10 and run.status == "completed"


def test_a_quiet_spike_closes_on_the_next_batch_of_any_key(hansa: Hansa, clock: VirtualClock
                                                           ) -> None:
    world = _world(hansa, clock)
    _burst(world, STORM_ZIP, [9, 9, 5])
    clock.set(SPIKE_AT + timedelta(hours=5))
    quiet = hansa.bus.execute(IngestSignals(signals=(carts(QUIET_ZIP, clock.now(), 4),)))
    assert len(quiet.closed) == 1 and quiet.fired == []


def test_signals_published_on_the_bus_are_ingested(hansa: Hansa, clock: VirtualClock) -> None:
    from hansa.demand.messages import SignalsObserved

    build(hansa, clock)
    with hansa.bus.uow() as uow:
        uow.record(SignalsObserved(signals=[carts(STORM_ZIP, clock.now(), 2)], source="nats"))
        uow.commit()
    hansa.worker.run_until_idle()
    with hansa.db.read() as conn:
        assert demand.signal_count(conn) == 1


def test_raising_the_po_twice_with_one_key_changes_it_once(hansa: Hansa, clock: VirtualClock
                                                           ) -> None:
    from hansa.demand.messages import RaisePurchaseOrder

    world = _world(hansa, clock)
    _burst(world, STORM_ZIP, [9, 9, 5])
    with hansa.db.read() as conn:
        [spike] = demand.spikes(conn)
        before = purchase_order(conn, PO)
    again = RaisePurchaseOrder(spike_id=spike["id"], sku=SKU, supplier_code="ACME-TEX",
                               add_quantity=12, unit_cost=900, currency="USD", po_number=PO,
                               idempotency_key=f"run:{_runs(hansa)[0].id}:0")
    assert hansa.bus.execute(again)["again"] is True
    with hansa.db.read() as conn:
        assert purchase_order(conn, PO)["revision"] == before["revision"] == 1


def test_two_batches_crossing_at_once_confirm_one_spike(hansa: Hansa, clock: VirtualClock
                                                        ) -> None:
    import threading

    world = _world(hansa, clock)
    clock.set(SPIKE_AT + timedelta(minutes=30))
    batch = tuple(carts(STORM_ZIP, SPIKE_AT - timedelta(hours=2 - i), n)
                  for i, n in enumerate([9, 9, 5]))
    gate = threading.Barrier(2)
    fired: list[list[str]] = []

    def send() -> None:
        gate.wait()
        fired.append(world.app.bus.execute(IngestSignals(signals=batch)).fired)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    hansa.worker.run_until_idle()
    with hansa.db.read() as conn:
        assert len(demand.spikes(conn)) == 1
    assert sorted(len(f) for f in fired) == [0, 1]
    assert len(_runs(hansa)) == 1
