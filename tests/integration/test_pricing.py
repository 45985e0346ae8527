"""Pricing use cases against the real databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.money import Money
from hansa.pricing import queries
from hansa.pricing.messages import (
    CreatePriceList,
    CreatePromotion,
    EndPromotion,
    NewTier,
    RemovePrice,
    SetCost,
    SetPrices,
)
from hansa.pricing.model import PriceTier

B2B_TIERS = [NewTier(1, 1000), NewTier(10, 900), NewTier(100, 800)]


def _events(hansa: Hansa) -> list[tuple[str, dict[str, Any]]]:
    with hansa.db.read() as conn:
        rows = conn.execute(sa.select(outbox.c.type, outbox.c.data).order_by(outbox.c.position))
        return [(r.type, r.data) for r in rows]


def _b2b_eur(hansa: Hansa) -> str:
    price_list_id: str = hansa.bus.execute(CreatePriceList(name="B2B Berlin", currency="EUR"))
    hansa.bus.execute(SetPrices(price_list_id=price_list_id, prices={"BOLT-M8": B2B_TIERS}))
    return price_list_id


def test_volume_tiers_price_one_ten_and_a_hundred_units(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)

    with hansa.db.read() as conn:
        quoted = [queries.quote(conn, price_list_id, "BOLT-M8", q, hansa.clock.now())
                  for q in (1, 10, 100)]

    assert [q.unit_price for q in quoted] == [Money(1000, "EUR"), Money(900, "EUR"),
                                              Money(800, "EUR")]
    assert [q.line_total for q in quoted] == [Money(1000, "EUR"), Money(9000, "EUR"),
                                              Money(80_000, "EUR")]
    assert {q.promotion_id for q in quoted} == {None}


def test_created_price_list_reads_back_and_records_events(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)

    with hansa.db.read() as conn:
        price_list = queries.price_list(conn, price_list_id)
        tiers = queries.tiers(conn, price_list_id, "bolt-m8")

    assert (price_list.name, price_list.currency) == ("B2B Berlin", "EUR")
    assert tiers == (PriceTier(1, 1000), PriceTier(10, 900), PriceTier(100, 800))
    assert _events(hansa) == [
        ("hansa.pricing.price_list_created.v1",
         {"price_list_id": price_list_id, "name": "B2B Berlin", "currency": "EUR"}),
        ("hansa.pricing.prices_changed.v1", {"price_list_id": price_list_id, "skus": ["BOLT-M8"]}),
    ]


def test_a_fifteen_percent_promotion_applies_only_inside_its_window(
        hansa: Hansa, clock: VirtualClock) -> None:
    price_list_id = _b2b_eur(hansa)
    starts_at = clock.now() + timedelta(days=1)
    ends_at = starts_at + timedelta(days=2)
    promotion_id = hansa.bus.execute(CreatePromotion(
        price_list_id=price_list_id, name="Spring 15%", starts_at=starts_at, ends_at=ends_at,
        percent_off_bp=1500))

    def unit_price_and_next_change() -> tuple[Money, str | None, Any]:
        with hansa.db.read() as conn:
            quote = queries.quote(conn, price_list_id, "BOLT-M8", 10, clock.now())
            return (quote.unit_price, quote.promotion_id,
                    queries.next_price_change(conn, price_list_id, clock.now()))

    before = unit_price_and_next_change()
    clock.set(starts_at)
    inside = unit_price_and_next_change()
    clock.set(ends_at)
    after = unit_price_and_next_change()

    assert _events(hansa)[-1] == ("hansa.pricing.promotion_created.v1", {
        "promotion_id": promotion_id, "price_list_id": price_list_id, "kind": "percent_off",
        "value": 1500, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
        "skus": None})
    assert before == (Money(900, "EUR"), None, starts_at)
    assert inside == (Money(765, "EUR"), promotion_id, ends_at)
    assert after == (Money(900, "EUR"), None, None)


def test_set_prices_replaces_tiers_and_reports_only_changed_skus(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)

    changed = hansa.bus.execute(SetPrices(price_list_id=price_list_id, prices={
        "BOLT-M8": B2B_TIERS, "NUT-M8": [NewTier(1, 50)]}))
    hansa.bus.execute(SetPrices(price_list_id=price_list_id, prices={
        "BOLT-M8": [NewTier(1, 1100)]}))

    with hansa.db.read() as conn:
        assert queries.tiers(conn, price_list_id, "BOLT-M8") == (PriceTier(1, 1100),)
    assert changed == ["NUT-M8"]
    assert [data for _, data in _events(hansa)[2:]] == [
        {"price_list_id": price_list_id, "skus": ["NUT-M8"]},
        {"price_list_id": price_list_id, "skus": ["BOLT-M8"]},
    ]


def test_bad_tiers_are_refused_and_nothing_is_stored(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)
    good_and_bad = {"NUT-M8": [NewTier(1, 50)], "WASHER": [NewTier(10, 5)]}

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(SetPrices(price_list_id=price_list_id, prices=good_and_bad))

    assert err.value.code == "missing_base_tier"
    with hansa.db.read() as conn:
        assert queries.quotes(conn, price_list_id, ["NUT-M8", "WASHER"], hansa.clock.now()) == {}
    assert len(_events(hansa)) == 2


def test_a_zero_price_is_refused(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(SetPrices(price_list_id=price_list_id,
                                    prices={"BOLT-M8": [NewTier(1, 0)]}))

    assert err.value.code == "invalid_amount"
    with hansa.db.read() as conn:
        assert queries.tiers(conn, price_list_id, "BOLT-M8")[0] == PriceTier(1, 1000)


def test_quotes_for_a_listing_leave_out_unpriced_skus_and_honour_scope(
        hansa: Hansa, clock: VirtualClock) -> None:
    price_list_id = _b2b_eur(hansa)
    hansa.bus.execute(SetPrices(price_list_id=price_list_id, prices={"NUT-M8": [NewTier(1, 50)]}))
    nut_promotion = hansa.bus.execute(CreatePromotion(
        price_list_id=price_list_id, name="Nuts 20 off", starts_at=clock.now(),
        ends_at=clock.now() + timedelta(days=7), amount_off=20, skus=["nut-m8"]))

    with hansa.db.read() as conn:
        listed = queries.quotes(conn, price_list_id, ["BOLT-M8", "NUT-M8", "GHOST"], clock.now())

    assert sorted(listed) == ["BOLT-M8", "NUT-M8"]
    assert (listed["BOLT-M8"].unit_price, listed["BOLT-M8"].promotion_id) == (
        Money(1000, "EUR"), None)
    assert (listed["NUT-M8"].unit_price, listed["NUT-M8"].promotion_id) == (
        Money(30, "EUR"), nut_promotion)


def test_removed_price_can_no_longer_be_quoted(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)

    hansa.bus.execute(RemovePrice(price_list_id=price_list_id, sku="BOLT-M8"))

    with hansa.db.read() as conn, pytest.raises(NotFound) as err:
        queries.quote(conn, price_list_id, "BOLT-M8", 1, hansa.clock.now())
    assert err.value.code == "price_not_found"
    assert _events(hansa)[-1] == ("hansa.pricing.price_removed.v1",
                                  {"price_list_id": price_list_id, "sku": "BOLT-M8"})


def test_removing_a_price_that_is_not_there_is_not_found(hansa: Hansa) -> None:
    price_list_id = _b2b_eur(hansa)

    with pytest.raises(NotFound) as err:
        hansa.bus.execute(RemovePrice(price_list_id=price_list_id, sku="GHOST-1"))

    assert err.value.code == "price_not_found"
    assert len(_events(hansa)) == 2


def test_price_list_names_are_unique_and_currencies_real(hansa: Hansa) -> None:
    _b2b_eur(hansa)

    with pytest.raises(Conflict) as taken:
        hansa.bus.execute(CreatePriceList(name="B2B Berlin", currency="EUR"))
    with pytest.raises(InvalidData) as bogus:
        hansa.bus.execute(CreatePriceList(name="Bogus", currency="XYZ"))

    assert (taken.value.code, bogus.value.code) == ("price_list_name_taken", "invalid_currency")
    with hansa.db.read() as conn:
        assert [p.name for p in queries.price_lists(conn)] == ["B2B Berlin"]


def test_cost_is_set_changed_and_a_repeat_records_nothing(hansa: Hansa) -> None:
    hansa.bus.execute(SetCost(sku="bolt-m8", amount=310, currency="EUR"))
    hansa.bus.execute(SetCost(sku="BOLT-M8", amount=335, currency="EUR"))
    hansa.bus.execute(SetCost(sku="BOLT-M8", amount=335, currency="EUR"))

    with hansa.db.read() as conn:
        assert queries.cost(conn, "BOLT-M8") == Money(335, "EUR")
        assert queries.costs(conn, ["BOLT-M8", "NUT-M8"]) == {"BOLT-M8": Money(335, "EUR")}
    assert [data for _, data in _events(hansa)] == [
        {"sku": "BOLT-M8", "amount": 310, "currency": "EUR", "previous_amount": None,
         "previous_currency": None},
        {"sku": "BOLT-M8", "amount": 335, "currency": "EUR", "previous_amount": 310,
         "previous_currency": "EUR"},
    ]


def test_a_negative_cost_is_refused_and_an_unknown_cost_is_not_found(hansa: Hansa) -> None:
    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(SetCost(sku="BOLT-M8", amount=-1, currency="EUR"))

    assert err.value.code == "invalid_cost"
    with hansa.db.read() as conn, pytest.raises(NotFound):
        queries.cost(conn, "BOLT-M8")


def test_ending_a_promotion_early_restores_the_price_at_once(
        hansa: Hansa, clock: VirtualClock) -> None:
    price_list_id = _b2b_eur(hansa)
    promotion_id = hansa.bus.execute(CreatePromotion(
        price_list_id=price_list_id, name="Flash", starts_at=clock.now(),
        ends_at=clock.now() + timedelta(days=7), percent_off_bp=5000))
    clock.advance(timedelta(hours=2))

    hansa.bus.execute(EndPromotion(promotion_id=promotion_id))

    with hansa.db.read() as conn:
        quote = queries.quote(conn, price_list_id, "BOLT-M8", 1, clock.now())
        assert queries.promotions(conn, price_list_id, active_at=clock.now()) == []
        assert queries.next_price_change(conn, price_list_id, clock.now()) is None
    assert (quote.unit_price, quote.promotion_id) == (Money(1000, "EUR"), None)
    assert _events(hansa)[-1] == ("hansa.pricing.promotion_ended.v1", {
        "promotion_id": promotion_id, "price_list_id": price_list_id,
        "ended_at": clock.now().isoformat()})
    with pytest.raises(Conflict) as again:
        hansa.bus.execute(EndPromotion(promotion_id=promotion_id))
    assert again.value.code == "promotion_already_over"


def test_a_promotion_needs_exactly_one_kind_of_discount(hansa: Hansa, clock: VirtualClock) -> None:
    price_list_id = _b2b_eur(hansa)

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(CreatePromotion(
            price_list_id=price_list_id, name="Both", starts_at=clock.now(),
            ends_at=clock.now() + timedelta(days=1), percent_off_bp=1000, amount_off=100))

    assert err.value.code == "invalid_promotion_kind"
    with hansa.db.read() as conn:
        assert queries.promotions(conn, price_list_id) == []


def test_a_promotion_already_over_or_on_an_unknown_list_is_refused(
        hansa: Hansa, clock: VirtualClock) -> None:
    price_list_id = _b2b_eur(hansa)
    yesterday = clock.now() - timedelta(days=1)

    with pytest.raises(InvalidData) as past:
        hansa.bus.execute(CreatePromotion(
            price_list_id=price_list_id, name="Past", starts_at=yesterday - timedelta(days=1),
            ends_at=yesterday, percent_off_bp=1000))
    with pytest.raises(NotFound) as unknown:
        hansa.bus.execute(CreatePromotion(
            price_list_id="no-such-list", name="Lost", starts_at=clock.now(),
            ends_at=clock.now() + timedelta(days=1), percent_off_bp=1000))

    assert (past.value.code, unknown.value.code) == ("promotion_window_passed",
                                                     "price_list_not_found")
    assert len(_events(hansa)) == 2
