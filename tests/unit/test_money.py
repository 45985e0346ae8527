"""Money: integer minor units, one currency at a time, exact parsing, scaling and allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hansa.kernel.money import CurrencyMismatch, Money, exponent, is_currency

amounts = st.integers(min_value=-(10**15), max_value=10**15)
ratio_lists = st.lists(st.integers(min_value=0, max_value=1_000), min_size=1, max_size=12).filter(
    lambda ratios: sum(ratios) > 0
)

# --- construction -----------------------------------------------------------------------------


def test_money_holds_integer_minor_units_and_currency() -> None:
    # given / when
    price = Money(1999, "USD")
    # then
    assert price.amount == 1999
    assert price.currency == "USD"
    assert price.as_dict() == {"amount": 1999, "currency": "USD"}


@pytest.mark.parametrize("amount", [19.99, 1.0, True, False, Decimal("19.99"), "1999", None])
def test_money_refuses_non_integer_amounts(amount: object) -> None:
    # given an amount that is not a plain int of minor units
    # when / then
    with pytest.raises(TypeError, match="must be an int of minor units"):
        Money(amount, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["ABC", "usd", "US", "USDX", "", "12$"])
def test_money_refuses_unknown_currency(currency: str) -> None:
    # given a code that is not an ISO 4217 currency
    # when / then
    with pytest.raises(ValueError, match="unknown ISO 4217 currency"):
        Money(100, currency)


def test_is_currency_knows_active_codes() -> None:
    # given / when / then
    assert is_currency("USD") is True
    assert is_currency("EUR") is True
    assert is_currency("JPY") is True
    assert is_currency("ABC") is False
    assert is_currency("eur") is False


def test_zero_is_zero_minor_units() -> None:
    # given / when
    nothing = Money.zero("EUR")
    # then
    assert nothing == Money(0, "EUR")


def test_money_is_frozen() -> None:
    # given
    price = Money(100, "USD")
    # when / then
    with pytest.raises(AttributeError):
        price.amount = 5  # type: ignore[misc]
    assert price == Money(100, "USD")


def test_equal_amounts_in_different_currencies_are_not_equal() -> None:
    # given / when / then
    assert Money(100, "USD") != Money(100, "EUR")
    assert Money(100, "USD") == Money(100, "USD")
    assert hash(Money(100, "USD")) == hash(Money(100, "USD"))


# --- exponents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_exponent_matches_iso_4217_minor_units(currency: str, digits: int) -> None:
    # given / when / then
    assert exponent(currency) == digits


# --- arithmetic -------------------------------------------------------------------------------


def test_add_and_subtract_within_a_currency() -> None:
    # given
    a, b = Money(1999, "USD"), Money(501, "USD")
    # when / then
    assert a + b == Money(2500, "USD")
    assert a - b == Money(1498, "USD")
    assert b - a == Money(-1498, "USD")
    assert -a == Money(-1999, "USD")


def test_multiply_by_an_int_either_side() -> None:
    # given
    price = Money(250, "EUR")
    # when / then
    assert price * 3 == Money(750, "EUR")
    assert 3 * price == Money(750, "EUR")
    assert price * 0 == Money(0, "EUR")


@pytest.mark.parametrize("factor", [1.5, Decimal("1.5"), True])
def test_multiply_refuses_non_int_factors(factor: object) -> None:
    # given
    price = Money(250, "EUR")
    # when / then
    with pytest.raises(TypeError, match="use scale"):
        price * factor  # type: ignore[operator]


def test_comparisons_within_a_currency() -> None:
    # given
    small, large = Money(100, "USD"), Money(200, "USD")
    # when / then
    assert small < large
    assert small <= large
    assert small <= Money(100, "USD")
    assert large > small
    assert large >= small
    assert large >= Money(200, "USD")
    assert not large < small


def test_combining_currencies_raises_currency_mismatch() -> None:
    # given
    dollars, euros = Money(100, "USD"), Money(100, "EUR")
    # when / then
    with pytest.raises(CurrencyMismatch, match="USD vs EUR"):
        dollars + euros
    with pytest.raises(CurrencyMismatch):
        dollars - euros
    with pytest.raises(CurrencyMismatch):
        dollars < euros  # noqa: B015
    with pytest.raises(CurrencyMismatch):
        dollars >= euros  # noqa: B015


def test_currency_mismatch_is_a_value_error() -> None:
    # given / when / then
    assert issubclass(CurrencyMismatch, ValueError)


def test_combining_with_a_plain_number_raises_type_error() -> None:
    # given
    price = Money(100, "USD")
    # when / then
    with pytest.raises(TypeError, match="cannot combine Money with int"):
        price + 1  # type: ignore[operator]


# --- parse ------------------------------------------------------------------------------------


def test_parse_reads_a_decimal_string_exactly() -> None:
    # given / when / then
    assert Money.parse("19.99", "USD") == Money(1999, "USD")
    assert Money.parse(" 19.99 ", "USD") == Money(1999, "USD")
    assert Money.parse("19.9", "USD") == Money(1990, "USD")
    assert Money.parse("19", "USD") == Money(1900, "USD")
    assert Money.parse("19.990", "USD") == Money(1999, "USD")
    assert Money.parse("-0.05", "USD") == Money(-5, "USD")
    assert Money.parse(Decimal("0.10"), "EUR") == Money(10, "EUR")


def test_parse_uses_the_currency_exponent() -> None:
    # given / when / then
    assert Money.parse("1999", "JPY") == Money(1999, "JPY")
    assert Money.parse("1.234", "KWD") == Money(1234, "KWD")
    assert Money.parse("0.001", "KWD") == Money(1, "KWD")


@pytest.mark.parametrize(
    ("text", "currency"),
    [("19.999", "USD"), ("0.001", "EUR"), ("19.5", "JPY"), ("1.2345", "KWD")],
)
def test_parse_refuses_more_decimals_than_the_currency_has(text: str, currency: str) -> None:
    # given / when / then
    with pytest.raises(ValueError, match="more decimals than"):
        Money.parse(text, currency)


def test_parse_refuses_extra_decimals_even_beyond_default_decimal_precision() -> None:
    # given 26 integer digits plus three decimals: 31 significant digits, more than Decimal's 28
    text = "12345678901234567890123456.789"
    # when / then
    with pytest.raises(ValueError, match="more decimals than"):
        Money.parse(text, "USD")


def test_parse_keeps_every_digit_of_a_long_amount() -> None:
    # given / when
    parsed = Money.parse("12345678901234567890123456.78", "USD")
    # then
    assert parsed == Money(1234567890123456789012345678, "USD")


@pytest.mark.parametrize("text", ["abc", "", "19,99", "$19.99", "NaN", "Infinity", "-inf"])
def test_parse_refuses_non_numbers_with_value_error(text: str) -> None:
    # given / when / then
    with pytest.raises(ValueError):
        Money.parse(text, "USD")


def test_parse_refuses_an_unknown_currency() -> None:
    # given / when / then
    with pytest.raises(ValueError, match="unknown ISO 4217 currency"):
        Money.parse("1.00", "XYZ")


# --- scale and percent_off --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "ratio", "expected"),
    [
        (5, "0.5", 2),  # 2.5 -> 2 (even)
        (15, "0.5", 8),  # 7.5 -> 8 (even)
        (25, "0.5", 12),  # 12.5 -> 12
        (-5, "0.5", -2),
        (-15, "0.5", -8),
        (1000, "0.333", 333),
        (1000, Decimal("1.0005"), 1000),  # 1000.5 -> 1000
        (1001, Decimal("1.0005"), 1002),  # 1001.5005 -> 1002
        (100, 3, 300),
    ],
)
def test_scale_rounds_half_to_even(amount: int, ratio: Decimal | int | str, expected: int) -> None:
    # given
    money = Money(amount, "USD")
    # when
    scaled = money.scale(ratio)
    # then
    assert scaled == Money(expected, "USD")


@pytest.mark.parametrize(
    ("amount", "basis_points", "expected"),
    [
        (10_000, 1_250, 8_750),  # 12.5% off 100.00
        (1999, 1_000, 1799),  # 10% off 19.99: discount 199.9 -> 200
        (1999, 0, 1999),
        (1999, 10_000, 0),
        (25, 1_000, 23),  # discount 2.5 -> 2 (even)
        (35, 1_000, 31),  # discount 3.5 -> 4 (even)
    ],
)
def test_percent_off(amount: int, basis_points: int, expected: int) -> None:
    # given
    price = Money(amount, "USD")
    # when
    discounted = price.percent_off(basis_points)
    # then
    assert discounted == Money(expected, "USD")


@pytest.mark.parametrize("basis_points", [-1, 10_001])
def test_percent_off_refuses_discounts_outside_0_to_100_percent(basis_points: int) -> None:
    # given / when / then
    with pytest.raises(ValueError, match="between 0 and 100%"):
        Money(1999, "USD").percent_off(basis_points)


# --- allocate ---------------------------------------------------------------------------------


def test_allocate_three_ways_gives_the_remainder_to_the_first() -> None:
    # given / when
    parts = Money(100, "USD").allocate([1, 1, 1])
    # then
    assert parts == [Money(34, "USD"), Money(33, "USD"), Money(33, "USD")]


def test_allocate_a_negative_amount_mirrors_the_positive_one() -> None:
    # given / when
    parts = Money(-100, "USD").allocate([1, 1, 1])
    # then
    assert parts == [Money(-34, "USD"), Money(-33, "USD"), Money(-33, "USD")]


def test_allocate_gives_the_remainder_to_the_largest_remainders() -> None:
    # given shares 3.5, 1.5, 5.0 of 10 by 7:3:10 (total 20)
    # when
    parts = Money(10, "EUR").allocate([7, 3, 10])
    # then
    assert parts == [Money(4, "EUR"), Money(1, "EUR"), Money(5, "EUR")]


def test_allocate_gives_zero_to_zero_ratios() -> None:
    # given / when
    parts = Money(5, "USD").allocate([0, 1, 0, 1])
    # then
    assert parts == [Money(0, "USD"), Money(3, "USD"), Money(0, "USD"), Money(2, "USD")]


@pytest.mark.parametrize("ratios", [[], [0], [0, 0], [1, -1], [-1]])
def test_allocate_refuses_invalid_ratios(ratios: list[int]) -> None:
    # given / when / then
    with pytest.raises(ValueError, match="non-negative and not all zero"):
        Money(100, "USD").allocate(ratios)


@settings(deadline=None)
@given(amount=amounts, ratios=ratio_lists)
def test_allocate_parts_always_sum_to_the_whole(amount: int, ratios: list[int]) -> None:
    # given
    whole = Money(amount, "USD")
    # when
    parts = whole.allocate(ratios)
    # then
    assert len(parts) == len(ratios)
    assert all(part.currency == "USD" for part in parts)
    assert sum(part.amount for part in parts) == amount


@settings(deadline=None)
@given(amount=amounts, ratios=ratio_lists)
def test_allocate_parts_stay_within_one_minor_unit_of_the_exact_share(
    amount: int, ratios: list[int]
) -> None:
    # given
    total = sum(ratios)
    # when
    parts = Money(amount, "USD").allocate(ratios)
    # then
    for part, ratio in zip(parts, ratios, strict=True):
        exact = Fraction(amount * ratio, total)
        assert abs(part.amount - exact) < 1


@settings(deadline=None)
@given(amount=amounts, ratios=ratio_lists)
def test_allocate_gives_zero_ratios_zero_parts(amount: int, ratios: list[int]) -> None:
    # given / when
    parts = Money(amount, "USD").allocate(ratios)
    # then
    for part, ratio in zip(parts, ratios, strict=True):
        if ratio == 0:
            assert part == Money(0, "USD")


# --- format -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1999, "USD"), "19.99 USD"),
        (Money(5, "USD"), "0.05 USD"),
        (Money(-5, "USD"), "-0.05 USD"),
        (Money(0, "EUR"), "0.00 EUR"),
        (Money(100000, "EUR"), "1000.00 EUR"),
        (Money(1999, "JPY"), "1999 JPY"),
        (Money(1, "KWD"), "0.001 KWD"),
        (Money(12345, "KWD"), "12.345 KWD"),
    ],
)
def test_format_shows_the_currency_decimals(money: Money, text: str) -> None:
    # given / when / then
    assert money.format() == text
    assert str(money) == text


def test_to_decimal_is_exact() -> None:
    # given / when / then
    assert Money(1999, "USD").to_decimal() == Decimal("19.99")
    assert Money(1999, "JPY").to_decimal() == Decimal("1999")
    assert Money(1234, "KWD").to_decimal() == Decimal("1.234")
