"""The guarded supplier price feed against the real databases: trip, quarantine, decide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.e2e.merchant import ADDRESS, CHANNEL_KEY, make_merchant

from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.channels import queries as channels
from hansa.guards import queries as guards
from hansa.guards import samples
from hansa.guards.messages import (
    ApproveQuarantined,
    EngageKillSwitch,
    RejectQuarantined,
    ReleaseKillSwitch,
    SetBreakerDryRun,
)
from hansa.inventory import queries as inventory
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.orders import queries as orders
from hansa.orders.messages import PlaceOrder
from hansa.orders.model import Address
from hansa.orders.store import idempotency_keys
from hansa.pricing import queries as pricing
from hansa.pricing.messages import NewTier, SetCost, SetPrices
from hansa.pricing.store import prices
from hansa.suppliers.messages import ApplySupplierPrice, RegisterSupplier
from hansa.suppliers.price_feed import FeedResult

SKU = "HERO-1"
BREAKER = "feed:ACME:price"
BAD_ROWS = {
    "zero": (0, "positive", "price 0: value 0 is not > 0"),
    "95% drop": (125, "max_change", "price 125: drop of 95.0% against the last good value "
                                    "2500 exceeds the 50% bound"),
    "blank": (None, "blank", "price is blank; the last good value 2500 stays in force"),
}


def _merchant(hansa: Hansa) -> str:
    """HERO-1 at 25.00 USD, cost 12.00, 100 units; suppliers ACME and BOLTS. The price list id."""
    merchant = make_merchant(hansa, {SKU: {"NJ-WH": 100}, "SIDE-1": {"NJ-WH": 100}})
    hansa.bus.execute(SetCost(sku=SKU, amount=1200, currency="USD"))
    for code in ("ACME", "BOLTS"):
        hansa.bus.execute(RegisterSupplier(code=code, name=code.title(), country="CN",
                                           currency="USD", integration="api",
                                           lead_time_hours=72))
    return merchant.price_list_id


def _feed(hansa: Hansa, price_list_id: str, amount: int | None, cost: int | None = 1200, *,
          supplier: str = "ACME", sku: str = SKU, **extra: Any) -> FeedResult:
    result: FeedResult = hansa.bus.execute(ApplySupplierPrice(
        supplier_code=supplier, price_list_id=price_list_id, sku=sku, amount=amount, cost=cost,
        currency=extra.pop("currency", "USD"), **extra))
    return result


def _in_force(hansa: Hansa, price_list_id: str, sku: str = SKU) -> tuple[int, int]:
    with hansa.db.read() as conn:
        return (pricing.tiers(conn, price_list_id, sku)[0].amount,
                pricing.cost(conn, sku).amount if sku == SKU else 0)


def _events_since(hansa: Hansa, position: int) -> list[tuple[str, dict[str, Any]]]:
    with hansa.db.read() as conn:
        rows = conn.execute(sa.select(outbox.c.type, outbox.c.data)
                            .where(outbox.c.position > position).order_by(outbox.c.position))
        return [(r.type.split(".")[2], r.data) for r in rows]


def _last_position(hansa: Hansa) -> int:
    with hansa.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(outbox.c.position))).scalar() or 0)


def _breaker(hansa: Hansa) -> tuple[str, str, int]:
    with hansa.db.read() as conn:
        b = next(b for b in guards.breakers(conn) if b.name == BREAKER)
        return b.current_state(hansa.clock.now()).value, b.reason, b.trips


def _entry(hansa: Hansa, quarantine_id: str | None) -> Any:
    assert quarantine_id is not None
    with hansa.db.read() as conn:
        return guards.quarantined_entry(conn, quarantine_id)


def _samples(hansa: Hansa, series: str) -> list[float]:
    with hansa.db.read() as conn:
        return samples.recent(conn, series, 100)


# the canonical failures ----------------------------------------------------------------------
@pytest.mark.parametrize("row", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_price_trips_the_breaker_is_quarantined_and_the_last_good_price_stays(
        hansa: Hansa, row: tuple[int | None, str, str]) -> None:
    value, detector, reason = row
    price_list_id = _merchant(hansa)
    before = _last_position(hansa)

    result = _feed(hansa, price_list_id, value, cost=1100)

    assert (result.applied, result.verdict and result.verdict.reason) == (False, reason)
    assert _in_force(hansa, price_list_id) == (2500, 1200)  # the good cost is not applied alone
    entry = _entry(hansa, result.quarantine_id)
    assert (entry.source, entry.subject_key, entry.field, entry.value, entry.last_good,
            entry.reason, entry.breaker, entry.status) == (
        "feed:ACME", SKU, "price", value, 2500, reason, BREAKER, "pending")
    assert entry.payload["values"] == {"price": value, "cost": 1100}
    assert _breaker(hansa) == ("open", reason, 1)
    assert _events_since(hansa, before) == [
        ("breaker_tripped", {"breaker": BREAKER, "reason": reason, "detector": detector,
                             "dry_run": False, "details": result.verdict.details}),
        ("input_quarantined", {"quarantine_id": entry.id, "source": "feed:ACME",
                               "subject_key": SKU, "field": "price", "reason": reason}),
    ]
    with hansa.db.read() as conn:
        logged = guards.recent_verdicts(conn, guard=BREAKER)
    assert [(v["detector"], v["allowed"], v["dry_run"], v["subject_key"]) for v in logged] == [
        (detector, False, False, SKU)]
    assert _samples(hansa, samples.price_series(price_list_id, SKU)) == []


def test_a_good_row_applies_price_and_cost_and_keeps_the_volume_tiers(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    hansa.bus.execute(SetPrices(price_list_id=price_list_id,
                                prices={SKU: [NewTier(1, 2500), NewTier(10, 2200)]}))
    before = _last_position(hansa)

    result = _feed(hansa, price_list_id, 2600, cost=1250)

    assert result == FeedResult(applied=True)
    with hansa.db.read() as conn:
        assert [(t.min_quantity, t.amount) for t in pricing.tiers(conn, price_list_id, SKU)] == [
            (1, 2600), (10, 2200)]
    assert _in_force(hansa, price_list_id) == (2600, 1250)
    assert [name for name, _ in _events_since(hansa, before)] == ["prices_changed",
                                                                  "cost_changed"]
    assert _samples(hansa, samples.price_series(price_list_id, SKU)) == [2600]
    assert _samples(hansa, samples.cost_series(SKU)) == [1250]


def test_a_steady_series_refuses_a_47_percent_drop_once_warmed_up(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    for amount in [2500, 2510, 2490, 2500, 2505, 2495, 2500, 2500]:
        assert _feed(hansa, price_list_id, amount).applied

    result = _feed(hansa, price_list_id, 1325)

    assert result.verdict is not None and result.verdict.detector == "robust_z"
    assert result.verdict.reason == ("price 1325: 47.0% below the median 2500 of the last 8 "
                                     "accepted values (robust z -12.7, bound 12)")
    assert _in_force(hansa, price_list_id)[0] == 2500


def test_a_price_in_another_currency_is_quarantined(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)

    result = _feed(hansa, price_list_id, 2300, cost=1100, currency="EUR")

    assert result.verdict is not None and (result.verdict.detector, result.verdict.reason) == (
        "currency", "price 2300: currency EUR is not the price list's USD")
    assert _in_force(hansa, price_list_id) == (2500, 1200)


def test_an_unknown_supplier_is_an_error_not_a_quarantine(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)

    with pytest.raises(NotFound) as caught:
        _feed(hansa, price_list_id, 2500, supplier="NOBODY")

    assert caught.value.code == "supplier_not_found"
    with hansa.db.read() as conn:
        assert guards.quarantined(conn) == []


# breaker states ------------------------------------------------------------------------------
def test_while_open_every_row_of_that_feed_is_quarantined_and_other_feeds_flow(
        hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    _feed(hansa, price_list_id, 0)

    held = _feed(hansa, price_list_id, 2450, sku="SIDE-1", cost=None, fields=("price",))
    other = _feed(hansa, price_list_id, 2450, sku="SIDE-1", supplier="BOLTS", cost=None,
                  fields=("price",))

    assert held.applied is False
    assert held.verdict is not None and held.verdict.detector == "open_breaker"
    assert _entry(hansa, held.quarantine_id).reason == (
        "breaker feed:ACME:price is open since 2026-01-05 09:00 UTC: price 0: value 0 is not > 0")
    assert other.applied is True
    assert _breaker(hansa)[2] == 1  # held rows do not trip it again


def test_after_the_cooldown_the_next_good_value_closes_the_breaker(hansa: Hansa,
                                                                   clock: VirtualClock) -> None:
    price_list_id = _merchant(hansa)
    _feed(hansa, price_list_id, 0)
    clock.advance(timedelta(minutes=15))
    assert _breaker(hansa)[0] == "half_open"
    before = _last_position(hansa)

    result = _feed(hansa, price_list_id, 2550)

    assert result.applied is True
    assert _breaker(hansa) == ("closed", "", 1)
    assert ("breaker_closed", {"breaker": BREAKER, "how": "recovered"}) in _events_since(
        hansa, before)
    assert _in_force(hansa, price_list_id)[0] == 2550


def test_half_open_a_bad_value_opens_the_breaker_again(hansa: Hansa, clock: VirtualClock) -> None:
    price_list_id = _merchant(hansa)
    _feed(hansa, price_list_id, 0)
    clock.advance(timedelta(minutes=20))

    result = _feed(hansa, price_list_id, None)

    assert result.applied is False
    assert _breaker(hansa)[0::2] == ("open", 2)
    clock.advance(timedelta(minutes=14))
    assert _breaker(hansa)[0] == "open"  # the cool-down restarted at the second trip


def test_a_dry_run_breaker_records_the_verdict_and_lets_the_value_through(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    hansa.bus.execute(SetBreakerDryRun(name=BREAKER, dry_run=True))
    before = _last_position(hansa)

    result = _feed(hansa, price_list_id, 125)

    assert (result.applied, result.quarantine_id) == (True, None)
    assert result.verdict is not None and result.verdict.dry_run is True
    assert _in_force(hansa, price_list_id)[0] == 125
    assert _breaker(hansa) == ("closed", "", 1)
    tripped = [data for name, data in _events_since(hansa, before) if name == "breaker_tripped"]
    assert [(t["dry_run"], t["detector"]) for t in tripped] == [(True, "max_change")]
    with hansa.db.read() as conn:
        assert [v["dry_run"] for v in guards.recent_verdicts(conn, guard=BREAKER)] == [True]
        assert guards.quarantined(conn) == []


def test_dry_run_never_lets_a_zero_price_past_pricing_itself(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    hansa.bus.execute(SetBreakerDryRun(name=BREAKER, dry_run=True))
    before = _last_position(hansa)

    with pytest.raises(InvalidData) as caught:
        _feed(hansa, price_list_id, 0)

    assert caught.value.code == "invalid_amount"
    assert _in_force(hansa, price_list_id)[0] == 2500
    assert _events_since(hansa, before) == []


# kill switches -------------------------------------------------------------------------------
def test_the_feed_kill_switch_holds_every_row_of_that_supplier_only(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    hansa.bus.execute(EngageKillSwitch(scope="feed:ACME", reason="ERP migration", actor="ops"))

    held = [_feed(hansa, price_list_id, amount) for amount in (2550, 2600)]
    other = _feed(hansa, price_list_id, 2450, supplier="BOLTS")

    assert [r.applied for r in held] == [False, False]
    assert {_entry(hansa, r.quarantine_id).reason for r in held} == {
        "kill switch feed:ACME engaged by ops: ERP migration"}
    assert other.applied is True
    assert _breaker(hansa)[0::2] == ("closed", 0)  # a kill switch is not a trip
    hansa.bus.execute(ReleaseKillSwitch(scope="feed:ACME"))
    assert _feed(hansa, price_list_id, 2500).applied is True


def test_the_global_kill_switch_holds_every_feed(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    hansa.bus.execute(EngageKillSwitch(scope="global", reason="incident 42", actor="ops"))

    results = [_feed(hansa, price_list_id, 2550, supplier=code) for code in ("ACME", "BOLTS")]

    assert [r.applied for r in results] == [False, False]
    assert [r.verdict and r.verdict.guard for r in results] == ["kill-switch:global"] * 2
    assert _in_force(hansa, price_list_id) == (2500, 1200)


# operator decisions --------------------------------------------------------------------------
def test_approving_applies_the_value_and_makes_it_the_new_normal(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    for amount in [2500] * 8:
        _feed(hansa, price_list_id, amount)
    held = _feed(hansa, price_list_id, 125, cost=1100)
    before = _last_position(hansa)

    hansa.bus.execute(ApproveQuarantined(quarantine_id=str(held.quarantine_id), actor="ada"))

    assert _in_force(hansa, price_list_id) == (125, 1100)
    entry = _entry(hansa, held.quarantine_id)
    assert (entry.status, entry.decided_by) == ("approved", "ada")
    assert [name for name, _ in _events_since(hansa, before)] == [
        "prices_changed", "cost_changed", "quarantine_decided"]
    assert _samples(hansa, samples.price_series(price_list_id, SKU)) == [125]  # rebased
    assert _samples(hansa, samples.cost_series(SKU))[-1] == 1100


def test_approving_a_zero_price_is_refused_by_pricing_and_nothing_changes(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    held = _feed(hansa, price_list_id, 0)

    with pytest.raises(InvalidData) as caught:
        hansa.bus.execute(ApproveQuarantined(quarantine_id=str(held.quarantine_id)))

    assert caught.value.code == "invalid_amount"
    assert _entry(hansa, held.quarantine_id).status == "pending"
    assert _in_force(hansa, price_list_id)[0] == 2500


def test_approving_a_blank_price_applies_only_the_fields_that_were_there(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    with_cost = _feed(hansa, price_list_id, None, cost=1150)
    price_only = _feed(hansa, price_list_id, None, cost=None, fields=("price",))

    hansa.bus.execute(ApproveQuarantined(quarantine_id=str(with_cost.quarantine_id)))
    with pytest.raises(Conflict) as caught:
        hansa.bus.execute(ApproveQuarantined(quarantine_id=str(price_only.quarantine_id)))

    assert _in_force(hansa, price_list_id) == (2500, 1150)
    assert caught.value.code == "nothing_to_apply"


def test_rejecting_discards_the_value_and_a_second_decision_is_a_conflict(hansa: Hansa) -> None:
    price_list_id = _merchant(hansa)
    held = _feed(hansa, price_list_id, 125)

    hansa.bus.execute(RejectQuarantined(quarantine_id=str(held.quarantine_id), actor="ada"))
    with pytest.raises(Conflict) as caught:
        hansa.bus.execute(ApproveQuarantined(quarantine_id=str(held.quarantine_id)))

    assert caught.value.code == "quarantine_decided"
    assert (_entry(hansa, held.quarantine_id).status, _in_force(hansa, price_list_id)) == (
        "rejected", (2500, 1200))
    with hansa.db.read() as conn:
        assert guards.quarantined(conn) == []


def test_an_approval_a_newer_value_has_overtaken_is_refused(hansa: Hansa,
                                                           clock: VirtualClock) -> None:
    price_list_id = _merchant(hansa)
    held = _feed(hansa, price_list_id, 125)
    clock.advance(timedelta(minutes=15))
    assert _feed(hansa, price_list_id, 2550).applied

    with pytest.raises(Conflict) as caught:
        hansa.bus.execute(ApproveQuarantined(quarantine_id=str(held.quarantine_id)))

    assert caught.value.code == "quarantine_superseded"
    assert _in_force(hansa, price_list_id)[0] == 2550


# checkout, belt and braces -------------------------------------------------------------------
def test_checkout_refuses_a_line_priced_at_zero_and_records_nothing(hansa: Hansa) -> None:
    _merchant(hansa)
    with hansa.db.write() as conn:  # a corrupted row: pricing itself never stores 0
        conn.execute(prices.update().where(prices.c.sku == SKU).values(amount=0))
        conn.commit()
    with hansa.db.read() as conn:
        channel_id = channels.channel_by_key(conn, CHANNEL_KEY).id
    before = _last_position(hansa)

    with pytest.raises(Conflict) as caught:
        hansa.bus.execute(PlaceOrder(channel_id=channel_id, idempotency_key="zero-price-1",
                                     email="ada@example.com", address=Address(**ADDRESS),
                                     lines=[(SKU, 1)]))

    assert (caught.value.code, caught.value.details) == ("bad_price", {"sku": SKU})
    assert _events_since(hansa, before) == []
    with hansa.db.read() as conn:
        assert orders.order_count(conn) == 0
        assert conn.execute(sa.select(sa.func.count())
                            .select_from(idempotency_keys)).scalar_one() == 0
        assert [lv.reserved for lv in inventory.levels(conn, [SKU])] == [0]


def _wide_merchant(hansa: Hansa, skus: int) -> tuple[str, list[str]]:
    """A price list of `skus` SKUs at 25.00 USD, supplier ACME."""
    names = [f"WIDE-{i:02d}" for i in range(skus)]
    merchant = make_merchant(hansa, {sku: {"NJ-WH": 10} for sku in names})
    hansa.bus.execute(RegisterSupplier(code="ACME", name="Acme", country="CN", currency="USD",
                                       integration="api", lead_time_hours=72))
    return merchant.price_list_id, names


def test_a_feed_changing_too_much_of_the_list_at_once_trips_its_breaker(hansa: Hansa) -> None:
    price_list_id, skus = _wide_merchant(hansa, 25)  # 30% of 25: the 8th SKU in a minute trips

    results = [_feed(hansa, price_list_id, 2450, sku=sku, cost=None, fields=("price",))
               for sku in skus[:8]]

    assert [r.applied for r in results] == [True] * 7 + [False]
    verdict = results[7].verdict
    assert verdict is not None and verdict.detector == "change_rate"
    assert verdict.reason == ("WIDE-07: 8 of 25 keys (32.0%) changed within 0:01:00, "
                              "above 30%")
    assert _entry(hansa, results[7].quarantine_id).value == 2450
    assert _in_force(hansa, price_list_id, skus[7])[0] == 2500  # the last good price stays
    assert _in_force(hansa, price_list_id, skus[6])[0] == 2450
    assert _breaker(hansa)[0::2] == ("open", 1)


def test_the_same_changes_spread_over_minutes_never_trip(hansa: Hansa,
                                                         clock: VirtualClock) -> None:
    price_list_id, skus = _wide_merchant(hansa, 25)

    results = []
    for sku in skus:  # every SKU changes, five per minute
        results.append(_feed(hansa, price_list_id, 2450, sku=sku, cost=None, fields=("price",)))
        clock.advance(timedelta(seconds=13))

    assert all(r.applied and r.verdict is None for r in results)
    assert _breaker(hansa)[0::2] == ("closed", 0)


def test_a_dry_run_breaker_lets_a_burst_through_and_records_it(hansa: Hansa) -> None:
    price_list_id, skus = _wide_merchant(hansa, 25)
    hansa.bus.execute(SetBreakerDryRun(name=BREAKER, dry_run=True))

    results = [_feed(hansa, price_list_id, 2450, sku=sku, cost=None, fields=("price",))
               for sku in skus[:10]]

    assert all(r.applied for r in results)
    assert [r.verdict.detector for r in results if r.verdict] == ["change_rate"] * 3
    assert _in_force(hansa, price_list_id, skus[9])[0] == 2450
