"""The EDI schema layer: our 850/860/ORDERS are read back by our parsers and pyx12's reader,
and malformed elements are reported with line, segment and element."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pyx12.x12file import X12Reader

from hansa.suppliers.edi import edifact, x12_in, x12_out
from hansa.suppliers.model import DocumentError, ItemRecord, NoticeRecord

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LINES = [("HARTEE-SAN-M", "SZW-TEE-M", 100, 980), ("HARTEE-SAN-L", None, 5, 1999)]


def _x12(text: str) -> tuple[x12_in.X12Head, list[object]]:
    head = x12_in.X12Head()
    return head, list(x12_in.read_x12(io.StringIO(text), head, "USD"))


@pytest.mark.parametrize("make", [
    lambda: x12_out.po_850(po_number="PO-1", lines=LINES, currency="USD", ship_to="US-NJ-WH",
                           receiver="SHENZHEN", control=42, at=AT),
    lambda: x12_out.po_860(po_number="PO-1", lines=LINES, currency="USD", receiver="SHENZHEN",
                           control=43, at=AT),
])
def test_our_850_and_860_round_trip_through_pyx12_and_our_reader(make) -> None:  # type: ignore[no-untyped-def]
    text = make()
    reader = X12Reader(io.StringIO(text))
    tags = [seg.get_seg_id() for seg in reader]
    reader.cleanup()
    assert reader.pop_errors() == []
    assert tags[0] == "ISA" and tags[-1] == "IEA"
    head, records = _x12(text)
    assert head.doc_type in ("850", "860") and head.sender.strip() == "HANSA"
    [notice] = records
    assert isinstance(notice, NoticeRecord) and notice.po_number == "PO-1"
    assert notice.lines == (("HARTEE-SAN-M", 100), ("HARTEE-SAN-L", 5))


def test_our_orders_round_trips_through_pydifact_and_our_reader() -> None:
    text = edifact.orders(po_number="PO-9", lines=LINES, currency="EUR", recipient="PORTO",
                          reference="77", at=AT, change=True)
    head = edifact.EdifactHead()
    [notice] = list(edifact.read_edifact(text, head, "EUR"))
    assert head.messages == [("ORDERS", "1", "D:96A:UN")] and head.interchange == "77"
    assert isinstance(notice, NoticeRecord) and notice.po_number == "PO-9"
    assert notice.lines == (("HARTEE-SAN-M", 100), ("HARTEE-SAN-L", 5))
    assert "BGM+220+PO-9+5'" in text and "PRI+AAA:19.99'" in text


def test_997_is_itself_readable_and_names_the_error() -> None:
    text = x12_out.ack_997(functional_id="IB", group="101", sets=[("846", "0001")],
                           accepted=False, error={"line": 7, "segment": "QTY",
                                                  "element": "QTY02"},
                           sender="SHENZHEN", control=5, at=AT)
    _head, records = _x12(text)
    assert "AK3*QTY*7**8~" in text and "AK4*2**7~" in text and "AK9*R*1*1*0~" in text
    [notice] = records
    assert isinstance(notice, NoticeRecord) and notice.kind == "functional_ack:rejected"
    assert notice.reference == "101"


def test_846_items_and_a_bad_element_with_its_place() -> None:
    text = x12_out.envelope("IB", [("846", [["N1", "WH", "F", "92", "SZ-FAB"],
                                            ["LIN", "", "VP", "A-1", "SK", "TEE"],
                                            ["QTY", "33", "12"], ["LIN", "", "VP", "A-2"],
                                            ["QTY", "33", "x"]])],
                            sender="S", receiver="HANSA", control=1, at=AT)
    head = x12_in.X12Head()
    records = x12_in.read_x12(io.StringIO(text), head, "USD")
    first = next(records)
    assert first == ItemRecord(supplier_sku="A-1", sku="TEE", stock=(("SZ-FAB", 12),), line=5)
    with pytest.raises(DocumentError) as caught:
        list(records)
    assert caught.value.where == {"line": 8, "segment": "QTY", "element": "QTY02"}


def test_edifact_unt_count_mismatch_is_precise() -> None:
    text = ("UNB+UNOC:3+P:14+HANSA:14+261203:1200+1'UNH+1+INVRPT:D:96A:UN'BGM+35+X+9'"
            "UNT+9+1'UNZ+1+1'")
    with pytest.raises(DocumentError) as caught:
        list(edifact.read_edifact(text, edifact.EdifactHead(), "EUR"))
    assert caught.value.where == {"line": 4, "segment": "UNT", "element": "UNT01"}
