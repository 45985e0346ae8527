"""Inbound X12: pyx12's reader tokenises; the set schemas here turn segments into records.

Sets: 832 price/sales catalog, 846 inventory advice, 855 PO acknowledgment, 856 ship notice
(HL loops), 810 invoice. Envelope errors found by pyx12 (counts, control numbers) and element
errors found here are DocumentErrors naming line, segment and element.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from pyx12.errors import X12Error
from pyx12.x12file import X12Reader

from hansa.suppliers.edi.schema import Seg, currency_of, iso_day, parse_date, unexpected
from hansa.suppliers.model import AckRecord, DocumentError, ItemRecord, NoticeRecord, Record

SETS = ("832", "846", "855", "856", "810")
OUR_SETS = ("850", "860", "997")  # what we send; read back for round trips
OURS = ("BP", "SK")  # buyer's part number / our stock keeping unit
THEIRS = ("VP",)  # vendor's (seller's) part number
ACK_STATUS = {"AT": "accepted", "AD": "accepted", "AC": "changed", "AK": "changed",
              "RJ": "rejected", "RD": "rejected"}


@dataclass
class X12Head:
    """Envelope facts, filled while reading: control numbers, sender, time, sets seen."""

    interchange: str = ""
    group: str = ""
    sender: str = ""
    sent_at: datetime | None = None
    functional_id: str = ""
    sets: list[tuple[str, str]] = field(default_factory=list)  # (set id, ST02)

    @property
    def doc_type(self) -> str:
        return self.sets[0][0] if self.sets else ""


def _seg(raw: Any, line: int) -> Seg:
    elements: list[str | tuple[str, ...]] = []
    for i in range(1, len(raw) + 1):
        try:
            elements.append(raw.get_value(f"{i:02d}"))
        except IndexError:  # a composite
            comp = raw.get(f"{i:02d}")
            elements.append(tuple(comp[j].get_value() for j in range(len(comp))))
    return Seg(raw.get_seg_id(), tuple(elements), line)


def _ids(seg: Seg, start: int) -> tuple[str | None, str | None]:
    """(our SKU, supplier SKU) from the qualifier/id pairs starting at element `start`."""
    ours = theirs = None
    for pos in range(start, len(seg.elements) + 1, 2):
        qual, value = seg.text(pos), seg.text(pos + 1, max_len=64)
        if qual in OURS and value:
            ours = ours or value.upper()
        elif qual in THEIRS and value:
            theirs = value.upper()
        elif qual and not value:
            raise seg.error(pos + 1, f"the {qual} item number is blank")
    return ours, theirs


class _ItemSet:
    """832 and 846: one LIN loop per item."""

    def __init__(self, set_id: str, currency: str) -> None:
        self.set_id, self.currency = set_id, currency
        self.item: dict[str, Any] | None = None
        self.site: str | None = None

    def on(self, seg: Seg) -> Iterator[Record]:
        tag = seg.tag
        if tag == "LIN":
            yield from self.flush()
            ours, theirs = _ids(seg, 2)
            if not theirs:
                raise DocumentError("LIN has no VP (vendor part number)", line=seg.line,
                                    segment="LIN", element="LIN03", code="invalid_element")
            self.item = {"supplier_sku": theirs, "sku": ours, "line": seg.line, "stock": {},
                         "attributes": {}, "schedule": {}}
            return
        if tag == "CUR":
            self.currency = currency_of(seg, 2)
            return
        if tag == "N1" and seg.text(1) in ("WH", "SU", "SF"):
            self.site = seg.text(4, required=True).upper()
            return
        if tag in ("BIA", "BCT", "DTM", "REF", "N1", "N3", "N4", "CTT", "PER"):
            return
        item = self.item
        if item is None:
            raise unexpected(seg, "before the first LIN")
        if tag == "PID":
            text = seg.text(5, required=True, max_len=400)
            if seg.text(2) in ("MAC", "MAT"):
                item["attributes"]["material"] = text
            elif seg.text(2) == "ATT":
                name, _, value = text.partition("=")
                if not value:
                    raise seg.error(5, "an ATT attribute is written name=value")
                item["attributes"][name.strip()] = value.strip()
            else:
                item["description"] = text
        elif tag == "CTP":
            item["cost"] = seg.amount(3, self.currency)
            if item["cost"] is None:
                raise seg.error(3, "is required but blank")
            moq = seg.integer(4, required=False)
            if moq is not None:
                item["moq"] = moq
        elif tag == "PO4":
            item["case_pack"] = seg.integer(1)
        elif tag == "LDT":
            qty = seg.integer(2)
            unit = seg.text(3)
            hours = {"HR": 1, "DA": 24, "WK": 168}.get(unit)
            if hours is None:
                raise seg.error(3, f"lead time unit {unit!r} is not HR, DA or WK")
            item["lead_time_hours"] = (qty or 0) * hours
        elif tag == "QTY":
            qty = seg.integer(2)
            if seg.text(1) in ("33", "17"):  # available for sale / on hand
                if self.site is None:
                    raise DocumentError("QTY before any N1*WH site", line=seg.line,
                                        segment="QTY", code="missing_site")
                item["stock"][self.site] = qty
        elif tag == "SCH":
            qty = seg.integer(1)
            item["schedule"][iso_day(seg, 6, seg.text(6, required=True))] = qty
        else:
            raise unexpected(seg, f"in a {self.set_id}")

    def flush(self) -> Iterator[Record]:
        if self.item is not None:
            i = self.item
            yield ItemRecord(
                supplier_sku=i["supplier_sku"], sku=i["sku"], description=i.get("description"),
                cost=i.get("cost"), currency=self.currency if "cost" in i else None,
                stock=tuple(i["stock"].items()), lead_time_hours=i.get("lead_time_hours"),
                moq=i.get("moq"), case_pack=i.get("case_pack"),
                attributes=tuple(i["attributes"].items()), schedule=tuple(i["schedule"].items()),
                line=i["line"])
        self.item = None


class _LineSet:
    """855, 856 and 810: a header reference and item lines."""

    def __init__(self, set_id: str, currency: str) -> None:
        self.set_id, self.currency = set_id, currency
        self.ref: str | None = None
        self.po: str | None = None
        self.status: str | None = None
        self.lines: list[tuple[str, int, str]] = []
        self.total: int | None = None
        self.first_line = 0
        self.pending: tuple[str, int] | None = None

    def on(self, seg: Seg) -> Iterator[Record]:
        tag = seg.tag
        self.first_line = self.first_line or seg.line
        if tag == "BAK":
            self.po = seg.text(3, required=True)
            self.status = ACK_STATUS.get(seg.text(2))
            if self.status is None:
                raise seg.error(2, f"acknowledgment type {seg.text(2)!r} is unknown")
        elif tag == "BSN":
            self.ref = seg.text(2, required=True)
        elif tag == "BIG":
            self.ref = seg.text(2, required=True)
            self.po = seg.text(4) or None
        elif tag in ("BEG", "BCH"):
            self.po = seg.text(3, required=True)
        elif tag == "POC":
            ours, theirs = _ids(seg, 8)
            self.lines.append((ours or theirs or "", seg.integer(3) or 0, "changed"))
        elif tag == "AK1":
            self.ref = seg.text(2, required=True)
        elif tag in ("AK2", "AK3", "AK4", "AK5"):
            pass
        elif tag == "AK9":
            self.status = "accepted" if seg.text(1) in ("A", "E") else "rejected"
        elif tag == "PRF":
            self.po = seg.text(1, required=True)
        elif tag in ("PO1", "IT1"):
            ours, theirs = _ids(seg, 6)
            qty = seg.integer(2) or 0
            if tag == "IT1":
                seg.amount(4, self.currency)
            self.lines.append((ours or theirs or "", qty, "accepted"))
            if not (ours or theirs):
                raise seg.error(7, "the line names no item")
        elif tag == "ACK":
            if not self.lines:
                raise unexpected(seg, "before a PO1")
            code = seg.text(1, required=True)
            sku, _qty, _ = self.lines[-1]
            self.lines[-1] = (sku, seg.integer(2, required=False) or _qty,
                              "rejected" if code.startswith("R") else
                              "changed" if code in ("IC", "IQ", "IP") else "accepted")
        elif tag == "LIN":
            ours, theirs = _ids(seg, 2)
            self.pending = (ours or theirs or "", 0)
        elif tag == "SN1":
            if self.pending is None:
                raise unexpected(seg, "before its LIN")
            self.lines.append((self.pending[0], seg.integer(2) or 0, "shipped"))
            self.pending = None
        elif tag == "TDS":
            self.total = seg.amount(1, self.currency, implied_decimals=2)
        elif tag == "CUR":
            self.currency = currency_of(seg, 2)
        return iter(())

    def flush(self) -> Iterator[Record]:
        if self.set_id == "855":
            yield AckRecord(po_number=self.po or "", status=self.status or "accepted",
                            lines=tuple(self.lines), line=self.first_line)
        else:
            kind = {"856": "shipment", "810": "invoice", "850": "order",
                    "997": f"functional_ack:{self.status}"}.get(self.set_id, "order_change")
            yield NoticeRecord(kind=kind, reference=self.ref or "", po_number=self.po,
                               lines=tuple((s, q) for s, q, _ in self.lines), total=self.total,
                               line=self.first_line)


def _open(stream: TextIO) -> X12Reader:
    try:
        return X12Reader(stream)
    except X12Error as exc:
        raise DocumentError(f"not an X12 interchange: {exc}", line=1, segment="ISA",
                            code="invalid_envelope") from None


def read_x12(stream: TextIO, head: X12Head, currency: str) -> Iterator[Record]:
    """Records of every transaction set in the interchange, in order; fills `head`."""
    reader = _open(stream)
    current: _ItemSet | _LineSet | None = None
    try:
        for raw in reader:
            seg = _seg(raw, reader.get_cur_line())
            errors = reader.pop_errors()
            if errors:
                raise DocumentError(f"envelope: {errors[0][2]}", line=seg.line,
                                    segment=seg.tag, code="invalid_envelope")
            if seg.tag == "ISA":
                head.interchange, head.sender = seg.text(13), seg.text(6)
            elif seg.tag == "GS":
                head.group, head.functional_id = seg.text(6), seg.text(1)
                head.sent_at = parse_date(seg, 4, seg.text(4), seg.text(5))
            elif seg.tag == "ST":
                set_id = seg.text(1, required=True)
                if set_id not in SETS + OUR_SETS:
                    raise seg.error(1, f"transaction set {set_id} is not one we read "
                                       f"({', '.join(SETS)})")
                head.sets.append((set_id, seg.text(2, required=True)))
                current = (_ItemSet if set_id in ("832", "846") else _LineSet)(set_id, currency)
            elif seg.tag == "SE":
                if current is None:
                    raise unexpected(seg, "without its ST")
                yield from current.flush()
                current = None
            elif seg.tag in ("GE", "IEA"):
                continue
            elif current is None:
                raise unexpected(seg, "outside a transaction set")
            else:
                yield from current.on(seg)
        reader.cleanup()
        errors = reader.pop_errors()
    except X12Error as exc:
        raise DocumentError(f"X12 syntax: {exc}", line=reader.get_cur_line(),
                            code="invalid_syntax") from None
    if errors:
        raise DocumentError(f"envelope: {errors[0][2]}", line=reader.get_cur_line(),
                            code="invalid_envelope")
    if current is not None or not head.sets:
        raise DocumentError("the interchange ends inside a transaction set or has none",
                            line=reader.get_cur_line(), code="invalid_envelope")
