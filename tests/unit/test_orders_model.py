"""Pure orders: totals, order numbers, status transitions, contact checks, request fingerprints."""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hansa.kernel.errors import Conflict, InvalidData
from hansa.kernel.ids import new_id
from hansa.orders.model import (
    Address,
    OrderStatus,
    PricedLine,
    Totals,
    fingerprint,
    order_number,
    totals,
    transition,
    validate_contact,
    validate_idempotency_key,
    validate_lines,
)

ORDER_NUMBER = re.compile(r"^H-[0-9A-HJKMNP-TV-Z]{10}$")  # Crockford base32: no I, L, O, U
ADA = Address(name="Ada Buyer", line1="1 Main St", city="New York", postal_code="10001",
              country="US")


def _line(sku: str, quantity: int, list_price: int, price: int) -> PricedLine:
    return PricedLine(sku=sku, product_id=f"p-{sku}", quantity=quantity,
                      list_unit_price=list_price, unit_price=price,
                      promotion_id=None if price == list_price else "promo")


priced_lines = st.lists(
    st.builds(lambda q, lp, off: _line("SKU", q, lp, lp - off),
              st.integers(1, 10_000), st.integers(1, 1_000_000), st.integers(0, 999_999))
    .filter(lambda ln: ln.unit_price >= 1),
    max_size=20,
)


# totals -------------------------------------------------------------------------------------
def test_totals_sum_list_prices_and_discounts() -> None:
    lines = [_line("TEE-M", 2, 2500, 2125), _line("MUG", 3, 1200, 1200)]

    assert totals(lines) == Totals(subtotal=8600, discount=750, total=7850)


def test_an_empty_order_totals_zero() -> None:
    assert totals([]) == Totals(0, 0, 0)


@given(priced_lines)
def test_the_total_is_the_sum_of_line_totals_and_subtotal_less_discount(
        lines: list[PricedLine]) -> None:
    result = totals(lines)

    assert result.total == sum(ln.line_total for ln in lines)
    assert result.total == result.subtotal - result.discount
    assert 0 <= result.discount <= result.subtotal


# order numbers ------------------------------------------------------------------------------
@given(st.uuids())
def test_an_order_number_is_h_dash_and_ten_crockford_characters(order_id: uuid.UUID) -> None:
    assert ORDER_NUMBER.match(order_number(str(order_id)))


def test_an_order_number_encodes_the_low_50_bits_of_the_id() -> None:
    order_id = "01890a5d-ac96-774b-bcce-b302099a8057"  # low 50 bits: 0x2b302099a8057

    assert order_number(order_id) == "H-NK084SN02Q"
    assert order_number(order_id.upper()) == "H-NK084SN02Q"


def test_order_numbers_of_many_new_ids_are_unique() -> None:
    ids = [new_id() for _ in range(20_000)]

    numbers = {order_number(i) for i in ids}

    assert len(numbers) == len(ids)
    assert all(ORDER_NUMBER.match(n) for n in numbers)


# transitions --------------------------------------------------------------------------------
ALLOWED = {
    (OrderStatus.PLACED, OrderStatus.PAID),
    (OrderStatus.PLACED, OrderStatus.CANCELLED),
    (OrderStatus.PAID, OrderStatus.FULFILLED),
    (OrderStatus.PAID, OrderStatus.CANCELLED),
}


@pytest.mark.parametrize(("current", "to"), sorted(ALLOWED))
def test_allowed_transitions_return_the_new_status(current: OrderStatus, to: OrderStatus) -> None:
    assert transition(current, to) is to


@pytest.mark.parametrize(("current", "to"), sorted(
    (a, b) for a in OrderStatus for b in OrderStatus if (a, b) not in ALLOWED))
def test_every_other_transition_is_a_conflict(current: OrderStatus, to: OrderStatus) -> None:
    with pytest.raises(Conflict) as err:
        transition(current, to)

    assert err.value.code == "invalid_transition"
    assert err.value.details == {"status": current.value}


# contact, lines and keys --------------------------------------------------------------------
def test_a_plain_email_and_full_address_pass() -> None:
    validate_contact("ada@example.com", ADA)
    validate_contact("ada+shop@mail.example.co.uk", dataclasses.replace(ADA, country="de"))


@pytest.mark.parametrize("email", ["", "ada", "ada@example", "ada@@example.com",
                                   "ada @example.com", "ada@example.c", "@example.com",
                                   "ada@example.com\n"])
def test_a_malformed_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidData) as err:
        validate_contact(email, ADA)

    assert err.value.code == "invalid_email"


@pytest.mark.parametrize("country", ["", "U", "USA", "U1", "--", "ÜS", "\u0391\u0392", "US\n"])
def test_a_country_that_is_not_iso_alpha_2_is_refused(country: str) -> None:
    with pytest.raises(InvalidData) as err:
        validate_contact("ada@example.com", dataclasses.replace(ADA, country=country))

    assert err.value.code == "invalid_country"


@pytest.mark.parametrize("field", ["name", "line1", "city", "postal_code"])
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_required_address_field_is_refused(field: str, blank: str) -> None:
    with pytest.raises(InvalidData) as err:
        validate_contact("ada@example.com", dataclasses.replace(ADA, **{field: blank}))

    assert err.value.code == "invalid_address"


@pytest.mark.parametrize(("lines", "code"), [
    ([], "empty_order"),
    ([("A", 1)] * 201, "too_many_lines"),
    ([("A", 0)], "invalid_quantity"),
    ([("A", 10_001)], "invalid_quantity"),
])
def test_bad_lines_are_refused(lines: list[tuple[str, int]], code: str) -> None:
    with pytest.raises(InvalidData) as err:
        validate_lines(lines)

    assert err.value.code == code


def test_two_hundred_lines_of_ten_thousand_pass() -> None:
    validate_lines([(f"SKU-{i}", 10_000) for i in range(200)])


@pytest.mark.parametrize("key", ["", "short", "has space in it", "x" * 121, "émoji-key-1",
                                 "retry-key-1\n"])
def test_a_malformed_idempotency_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidData) as err:
        validate_idempotency_key(key)

    assert err.value.code == "invalid_idempotency_key"


# fingerprints -------------------------------------------------------------------------------
REQUEST: dict[str, Any] = {"cart_id": None, "lines": [("TEE-M", 2)], "email": "ada@example.com",
                           "address": dataclasses.asdict(ADA)}


def test_the_same_request_in_another_key_order_has_the_same_fingerprint() -> None:
    shuffled = {"address": dict(reversed(list(REQUEST["address"].items()))),
                "email": "ada@example.com", "lines": [["TEE-M", 2]], "cart_id": None}

    assert fingerprint(shuffled) == fingerprint(REQUEST)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(REQUEST))


def test_a_changed_request_has_another_fingerprint() -> None:
    assert fingerprint({**REQUEST, "lines": [("TEE-M", 3)]}) != fingerprint(REQUEST)
    assert fingerprint({**REQUEST, "email": "bob@example.com"}) != fingerprint(REQUEST)


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8),
                                                       st.none()), max_size=12), st.randoms())
def test_fingerprints_ignore_key_order(payload: dict[str, Any], rnd: Any) -> None:
    items = list(payload.items())
    rnd.shuffle(items)

    assert fingerprint(dict(items)) == fingerprint(payload)
