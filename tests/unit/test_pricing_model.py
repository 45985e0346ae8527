"""Pure pricing: tiers, promotions, the 1-minor-unit floor and the next price change."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hansa.kernel.errors import InvalidData
from hansa.kernel.money import Money
from hansa.pricing import queries
from hansa.pricing.model import (
    PriceTier,
    Promotion,
    PromotionKind,
    next_price_change,
    normalise_tiers,
    resolve_quote,
    tier_for,
    validate_promotion,
)

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
B2B_TIERS = (PriceTier(1, 1000), PriceTier(10, 900), PriceTier(100, 800))


def _promotion(pid: str = "p1", kind: PromotionKind = PromotionKind.PERCENT_OFF,
               value: int = 1500, skus: tuple[str, ...] | None = None,
               starts_at: datetime = NOON - timedelta(days=1),
               ends_at: datetime = NOON + timedelta(days=1),
               ended_at: datetime | None = None) -> Promotion:
    return Promotion(id=pid, price_list_id="pl", name="Spring", kind=kind, value=value,
                     starts_at=starts_at, ends_at=ends_at, skus=skus, ended_at=ended_at)


def test_volume_tiers_pick_the_largest_reached_minimum() -> None:
    assert [tier_for(B2B_TIERS, q).amount for q in (1, 9, 10, 99, 100, 5000)] == [
        1000, 1000, 900, 900, 800, 800]


def test_quote_without_promotion_multiplies_the_tier_price() -> None:
    quote = resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 12, [], NOON)

    assert quote.list_unit_price == Money(900, "EUR")
    assert quote.unit_price == Money(900, "EUR")
    assert quote.promotion_id is None
    assert quote.line_total == Money(10_800, "EUR")


def test_fifteen_percent_applies_to_the_tier_price() -> None:
    quote = resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 100, [_promotion()], NOON)

    assert quote.unit_price == Money(680, "EUR")
    assert quote.unit_discount == Money(120, "EUR")
    assert quote.promotion_id == "p1"
    assert quote.line_total == Money(68_000, "EUR")


def test_the_best_promotion_for_the_customer_wins() -> None:
    ten_off = _promotion("p-amount", PromotionKind.AMOUNT_OFF, 200)
    fifteen_percent = _promotion("p-percent", PromotionKind.PERCENT_OFF, 1500)

    quote = resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 1, [fifteen_percent, ten_off], NOON)

    assert (quote.unit_price, quote.promotion_id) == (Money(800, "EUR"), "p-amount")


def test_promotions_for_other_skus_or_outside_their_window_do_not_apply() -> None:
    other_sku = _promotion("p-other", skus=("NUT-M8",))
    later = _promotion("p-later", starts_at=NOON + timedelta(hours=1))
    over = _promotion("p-over", ends_at=NOON)
    ended = _promotion("p-ended", ended_at=NOON - timedelta(minutes=1))

    quote = resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 1, [other_sku, later, over, ended], NOON)

    assert quote.unit_price == Money(1000, "EUR")
    assert quote.promotion_id is None


def test_a_promotion_never_takes_a_price_below_one_minor_unit() -> None:
    everything_off = _promotion(value=10_000)
    huge_amount_off = _promotion("p2", PromotionKind.AMOUNT_OFF, 5000)

    for promotion in (everything_off, huge_amount_off):
        quote = resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 3, [promotion], NOON)
        assert quote.unit_price == Money(1, "EUR")
        assert quote.line_total == Money(3, "EUR")


def test_tiers_need_a_base_tier_and_distinct_minimums() -> None:
    with pytest.raises(InvalidData) as missing:
        normalise_tiers("BOLT-M8", [PriceTier(10, 900)])
    with pytest.raises(InvalidData) as duplicate:
        normalise_tiers("BOLT-M8", [PriceTier(1, 1000), PriceTier(1, 990)])
    with pytest.raises(InvalidData) as free:
        normalise_tiers("BOLT-M8", [PriceTier(1, 0)])
    with pytest.raises(InvalidData) as zero_quantity:
        normalise_tiers("BOLT-M8", [PriceTier(0, 1000), PriceTier(1, 1000)])

    assert [e.value.code for e in (missing, duplicate, free, zero_quantity)] == [
        "missing_base_tier", "duplicate_tier", "invalid_amount", "invalid_min_quantity"]


def test_tiers_are_stored_in_quantity_order() -> None:
    given_order = [PriceTier(100, 800), PriceTier(1, 1000), PriceTier(10, 900)]

    assert normalise_tiers("BOLT-M8", given_order) == B2B_TIERS


def test_a_quantity_below_one_is_refused() -> None:
    with pytest.raises(InvalidData) as err:
        resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 0, [], NOON)

    assert err.value.code == "invalid_quantity"


@pytest.mark.parametrize(("changes", "code"), [
    ({"value": 0}, "invalid_promotion_value"),
    ({"value": 10_001}, "invalid_promotion_value"),
    ({"kind": PromotionKind.AMOUNT_OFF, "value": -5}, "invalid_promotion_value"),
    ({"ends_at": NOON - timedelta(days=1)}, "invalid_window"),
    ({"starts_at": datetime(2026, 3, 1)}, "naive_datetime"),
    ({"skus": ()}, "empty_promotion_scope"),
])
def test_bad_promotions_are_refused_with_a_stable_code(changes: dict, code: str) -> None:
    with pytest.raises(InvalidData) as err:
        validate_promotion(_promotion(**changes))

    assert err.value.code == code


def test_next_price_change_is_the_nearest_boundary_after_the_moment() -> None:
    running = _promotion("p1", ends_at=NOON + timedelta(hours=5))
    upcoming = _promotion("p2", starts_at=NOON + timedelta(hours=2),
                          ends_at=NOON + timedelta(days=3))
    cut_short = _promotion("p3", ended_at=NOON + timedelta(hours=1))

    assert next_price_change([running, upcoming], NOON) == NOON + timedelta(hours=2)
    assert next_price_change([running, upcoming, cut_short], NOON) == NOON + timedelta(hours=1)
    assert next_price_change([running], NOON + timedelta(hours=5)) is None
    assert next_price_change([], NOON) is None


def test_a_promotion_cancelled_before_it_started_schedules_no_change() -> None:
    cancelled = _promotion(starts_at=NOON + timedelta(days=1), ends_at=NOON + timedelta(days=2),
                           ended_at=NOON)

    assert next_price_change([cancelled], NOON) is None
    assert resolve_quote("EUR", "BOLT-M8", B2B_TIERS, 1, [cancelled],
                         NOON + timedelta(days=1, hours=1)).promotion_id is None


def test_ethics_rule_price_functions_take_no_customer() -> None:
    parameters = {
        fn.__name__: list(inspect.signature(fn).parameters)
        for fn in (resolve_quote, queries.quote, queries.quotes)
    }

    assert parameters == {
        "resolve_quote": ["currency", "sku", "tiers", "quantity", "promotions", "at"],
        "quote": ["conn", "price_list_id", "sku", "quantity", "at"],
        "quotes": ["conn", "price_list_id", "skus", "at"],
    }


# Property tests ------------------------------------------------------------------------------

volume_tiers = st.lists(
    st.builds(PriceTier, st.integers(2, 10_000), st.integers(1, 10**9)), max_size=6,
    unique_by=lambda t: t.min_quantity,
)
tier_lists = st.builds(
    lambda base, volume: normalise_tiers("SKU-1", [PriceTier(1, base), *volume]),
    st.integers(1, 10**9), volume_tiers,
)

promotions = st.builds(
    lambda i, kind, bp, off, start, length, scoped: _promotion(
        pid=f"p{i}", kind=kind, value=bp if kind is PromotionKind.PERCENT_OFF else off,
        starts_at=NOON + timedelta(hours=start), ends_at=NOON + timedelta(hours=start + length),
        skus=("SKU-1",) if scoped else None),
    st.integers(0, 1000), st.sampled_from(PromotionKind), st.integers(1, 10_000),
    st.integers(1, 2 * 10**9), st.integers(-48, 48), st.integers(1, 96), st.booleans(),
)
hours = st.integers(-72, 144).map(lambda h: NOON + timedelta(hours=h))


@given(tier_lists, st.integers(1, 50_000), st.lists(promotions, max_size=5), hours)
def test_resolved_price_stays_between_one_minor_unit_and_the_tier_price(
        tiers: tuple[PriceTier, ...], quantity: int, active: list[Promotion], at: datetime) -> None:
    quote = resolve_quote("USD", "SKU-1", tiers, quantity, active, at)

    assert 1 <= quote.unit_price.amount <= quote.list_unit_price.amount
    assert quote.line_total.amount == quote.unit_price.amount * quantity
    assert quote.list_unit_price.amount == tier_for(tiers, quantity).amount


@given(tier_lists, st.integers(1, 50_000))
def test_tier_selection_takes_the_largest_minimum_not_above_the_quantity(
        tiers: tuple[PriceTier, ...], quantity: int) -> None:
    chosen = tier_for(tiers, quantity)

    assert chosen.min_quantity <= quantity
    assert all(t.min_quantity <= chosen.min_quantity for t in tiers if t.min_quantity <= quantity)


@given(tier_lists, st.lists(promotions, max_size=5), hours, st.integers(0, 10_000))
def test_the_price_holds_until_the_next_price_change(
        tiers: tuple[PriceTier, ...], active: list[Promotion], at: datetime, minutes: int) -> None:
    change = next_price_change(active, at)
    later = at + timedelta(minutes=minutes)
    assume(change is None or later < change)

    now_quote = resolve_quote("USD", "SKU-1", tiers, 1, active, at)
    later_quote = resolve_quote("USD", "SKU-1", tiers, 1, active, later)

    assert later_quote.unit_price == now_quote.unit_price
