"""The CSV row reader: its exact whole-number and cost readings agree with Decimal on every
input, and a row with several faults reports the first one, field by field, as before."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hansa.db.bulk import JsonCodec
from hansa.kernel.money import exponent
from hansa.suppliers.model import DocumentError, ItemRecord
from hansa.suppliers.tabular import _Reader, read_csv

HEADER = ["supplier_sku", "sku", "cost", "currency", "moq", "stock:IT-FI-FAB", "attr:material"]


def _reference_cost(text: str, currency: str, *, decimal: str = ".", thousands: str = "",
                    cost_per: int = 1) -> int:
    """The reading by Decimal alone, as every cost was read before the exact shortcut."""
    cleaned = text.replace(thousands, "") if thousands else text
    value = Decimal(cleaned.replace(decimal, ".") if decimal != "." else cleaned) / cost_per
    return int(value.scaleb(exponent(currency)).quantize(Decimal(1)))


def _reader(**spec: object) -> _Reader:
    columns = {h: h for h in HEADER}
    return _Reader({"columns": columns, **spec}, HEADER, "USD")


def _cost(reader: _Reader, text: str, currency: str) -> int:
    row = ["A-1", "", text, currency, "", "", ""]
    cost = reader.record(row, 2).cost
    assert cost is not None
    return cost


@given(whole=st.integers(0, 10**12 - 1), fraction=st.text("0123456789", max_size=5),
       currency=st.sampled_from(["USD", "JPY", "KWD", "EUR"]), dot=st.booleans())
def test_cost_reading_agrees_with_decimal(whole: int, fraction: str, currency: str,
                                          dot: bool) -> None:
    text = f"{whole}.{fraction}" if dot or fraction else str(whole)
    assert _cost(_reader(), text, currency) == _reference_cost(text, currency)


@given(whole=st.integers(0, 10**9), fraction=st.text("0123456789", max_size=4),
       cost_per=st.sampled_from([1, 10, 100]))
def test_cost_reading_with_decimal_commas_and_a_price_unit(whole: int, fraction: str,
                                                           cost_per: int) -> None:
    text = f"{whole:,}".replace(",", ".") + ("," + fraction if fraction else "")
    reader = _reader(decimal=",", thousands=".", cost_per=cost_per)
    assert _cost(reader, text, "EUR") == _reference_cost(text, "EUR", decimal=",",
                                                         thousands=".", cost_per=cost_per)


@pytest.mark.parametrize("text", ["-1.50", "1e3", "0012.5", ".5", "1_000", "1.005", "٣"])
def test_unusual_costs_take_the_decimal_reading(text: str) -> None:
    try:
        expected = _reference_cost(text, "USD")
    except ArithmeticError:  # Decimal refuses it: so must the reader
        with pytest.raises(DocumentError):
            _cost(_reader(), text, "USD")
        return
    assert _cost(_reader(), text, "USD") == expected


def test_a_row_reads_into_the_record_fields() -> None:
    chunks = [("\ufeff" + ",".join(HEADER) + "\n").encode(),
              b" fl-1 , sku-1 ,12.5,usd,6,40, cotton \n,,,,,,\n", b"FL-2,,,,,,\n"]
    one, two = read_csv(chunks, None, "EUR")
    assert one == ItemRecord(supplier_sku="FL-1", sku="SKU-1", cost=1250, currency="USD",
                             stock=(("IT-FI-FAB", 40),), moq=6,
                             attributes=(("material", "cotton"),), line=2)
    assert two == ItemRecord(supplier_sku="FL-2", line=4)


def test_the_first_fault_of_a_row_is_reported() -> None:
    reader = _reader()
    with pytest.raises(DocumentError) as cost:
        reader.record(["A", "", "x", "USD", "y", "z", ""], 7)
    assert cost.value.describe() == "line 7, column cost: 'x' is not a number"
    with pytest.raises(DocumentError) as moq:
        reader.record(["A", "", "1", "USD", "y", "z", ""], 8)
    assert moq.value.describe() == "line 8, column moq: 'y' is not a number"
    with pytest.raises(DocumentError) as currency:
        reader.record(["A", "", "1", "XXY", "", "", ""], 9)
    assert currency.value.describe() == "line 9, column currency: unknown currency 'XXY'"


@pytest.mark.parametrize("value", [{}, [], {"a": "b"}, {"a": 1}, {"a": True}, {"a": 1.0},
                                   [["X", 1]], [["X", True]], [["X", 1.0]], {"a": None},
                                   {"a": "b", "c": "d"}, {"a": {"b": "c"}}])
def test_json_codec_text_is_json_dumps_whatever_was_seen_before(value: object) -> None:
    codec = JsonCodec(size=2)
    for earlier in ({"a": 1}, {"a": True}, [["X", 1]], {"a": "b"}):
        codec.decode(codec.encode(earlier))
    assert codec.encode(value) == json.dumps(value)
    assert codec.decode(json.dumps(value)) == value
    assert codec.decode(value) == value  # a driver that decodes JSON itself
