"""UN/EDIFACT: pydifact tokenises; the message schemas here read PRICAT, INVRPT, ORDRSP and
DESADV into records, and write CONTRL and ORDERS."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser

from hansa.kernel.money import exponent
from hansa.suppliers.edi.schema import Seg, currency_of, parse_date, unexpected
from hansa.suppliers.model import AckRecord, DocumentError, ItemRecord, NoticeRecord, Record

MESSAGES = ("PRICAT", "INVRPT", "ORDRSP", "DESADV")
OUR_MESSAGES = ("ORDERS",)
ORDRSP_STATUS = {"29": "accepted", "4": "changed", "27": "rejected"}
LINE_STATUS = {"5": "accepted", "3": "changed", "7": "rejected", "": "accepted"}


@dataclass
class EdifactHead:
    interchange: str = ""
    sender: str = ""
    recipient: str = ""
    sent_at: datetime | None = None
    syntax: str = "UNOC:3"
    messages: list[tuple[str, str, str]] = field(default_factory=list)  # (type, ref, version)

    @property
    def doc_type(self) -> str:
        return self.messages[0][0] if self.messages else ""


def _segments(text: str) -> Iterator[Seg]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            for n, seg in enumerate(Parser().parse(text), start=1):
                yield Seg(seg.tag, tuple(tuple(e) if isinstance(e, list) else e
                                         for e in seg.elements), n)
        except (EDISyntaxError, ValueError, IndexError) as exc:  # pydifact's own refusals
            raise DocumentError(f"EDIFACT syntax: {exc}", code="invalid_syntax") from None


class _Message:
    def __init__(self, kind: str, currency: str) -> None:
        self.kind, self.currency = kind, currency
        self.item: dict[str, Any] | None = None
        self.site: str | None = None
        self.ref: str = ""
        self.po: str | None = None
        self.status = "accepted"
        self.lines: list[tuple[str, int, str]] = []
        self.first = 0

    def on(self, seg: Seg) -> Iterator[Record]:
        tag = seg.tag
        self.first = self.first or seg.line
        if tag == "BGM":
            self.ref = seg.text(2)
            if self.kind == "ORDRSP":
                self.status = ORDRSP_STATUS.get(seg.text(3) or seg.text(1), "accepted")
                self.po = self.po or self.ref
            elif self.kind == "ORDERS":
                self.po = self.ref
        elif tag == "RFF" and seg.component(1, 1) == "ON":
            self.po = seg.component(1, 2, required=True)
        elif tag == "CUX":
            self.currency = currency_of(seg, 1, comp=2)
        elif tag == "LOC" and seg.text(1) in ("18", "162"):
            self.site = seg.component(2, 1, required=True).upper()
        elif tag == "LIN":
            yield from self.flush_item()
            theirs = seg.component(3, 1).upper()
            if self.kind in ("PRICAT", "INVRPT"):
                if not theirs:
                    raise seg.error(3, "the supplier item number is blank")
                self.item = {"supplier_sku": theirs, "line": seg.line, "stock": {},
                             "attributes": {}, "schedule": {}}
            else:
                self.lines.append((theirs, 0, LINE_STATUS.get(seg.text(2), "changed")))
        elif tag == "PIA":
            ours = seg.component(2, 1).upper()
            if self.item is not None and seg.component(2, 2) in ("IN", "BP"):
                self.item["sku"] = ours or None
            elif self.lines and ours:
                _sku, qty, status = self.lines[-1]
                self.lines[-1] = (ours, qty, status)
        elif tag == "QTY":
            yield from self._qty(seg)
        elif tag in ("IMD", "PRI", "DTM") and self.item is not None:
            self._item_detail(seg)
        elif tag in ("DTM", "NAD", "CPS", "PAC", "UNS", "CNT", "MOA", "TDT", "FTX", "IMD",
                     "PRI", "LOC", "RFF", "ALI", "PGI"):
            return
        else:
            raise unexpected(seg, f"in an {self.kind}")

    def _qty(self, seg: Seg) -> Iterator[Record]:
        qualifier = seg.component(1, 1, required=True)
        qty = seg.integer(1, comp=2)
        item = self.item
        if item is not None:
            if qualifier in ("145", "198"):  # actual stock / quantity available
                if self.site is None:
                    raise DocumentError("QTY before any LOC+18 site", line=seg.line,
                                        segment="QTY", code="missing_site")
                item["stock"][self.site] = qty
            elif qualifier == "53":
                item["moq"] = qty
            elif qualifier == "52":
                item["case_pack"] = qty
            elif qualifier == "21" and seg.component(1, 3):  # planned production, dated
                item["schedule"][seg.component(1, 3)] = qty
        elif self.lines:
            sku, _old, status = self.lines[-1]
            self.lines[-1] = (sku, qty or 0, status)
        else:
            raise unexpected(seg, "before its LIN")
        return iter(())

    def _item_detail(self, seg: Seg) -> None:
        item = self.item
        assert item is not None
        if seg.tag == "IMD":
            text = seg.component(3, 4, required=True)[:400]
            code = seg.text(2)
            if code == "MAT":
                item["attributes"]["material"] = text
            else:
                item["description"] = text
        elif seg.tag == "PRI":
            if seg.component(1, 1) in ("AAA", "AAB"):
                item["cost"] = seg.amount(1, self.currency, comp=2)
                if item["cost"] is None:
                    raise seg.error(1, "the price is blank")
        elif seg.tag == "DTM" and seg.component(1, 1) == "LT":  # lead time in hours (ours)
            item["lead_time_hours"] = seg.integer(1, comp=2)

    def flush_item(self) -> Iterator[Record]:
        i = self.item
        if i is not None:
            yield ItemRecord(
                supplier_sku=i["supplier_sku"], sku=i.get("sku"),
                description=i.get("description"), cost=i.get("cost"),
                currency=self.currency if "cost" in i else None,
                stock=tuple(i["stock"].items()), moq=i.get("moq"), case_pack=i.get("case_pack"),
                lead_time_hours=i.get("lead_time_hours"),
                attributes=tuple(i["attributes"].items()),
                schedule=tuple(i["schedule"].items()), line=i["line"])
        self.item = None

    def finish(self) -> Iterator[Record]:
        yield from self.flush_item()
        if self.kind == "ORDRSP":
            yield AckRecord(po_number=self.po or "", status=self.status,
                            lines=tuple(self.lines), line=self.first)
        elif self.kind in ("DESADV", "ORDERS"):
            yield NoticeRecord(kind="shipment" if self.kind == "DESADV" else "order",
                               reference=self.ref, po_number=self.po,
                               lines=tuple((s, q) for s, q, _ in self.lines), line=self.first)


def read_edifact(text: str, head: EdifactHead, currency: str) -> Iterator[Record]:
    """Records of every message in the interchange, in order; fills `head`."""
    current: _Message | None = None
    count = 0
    for seg in _segments(text):
        if seg.tag == "UNA":
            continue
        if seg.tag == "UNB":
            head.syntax = ":".join(seg.raw(1)) if isinstance(seg.raw(1), tuple) else seg.text(1)
            head.sender, head.recipient = seg.component(2, 1), seg.component(3, 1)
            head.interchange = seg.text(5, required=True, max_len=14)
            head.sent_at = parse_date(seg, 4, seg.component(4, 1), seg.component(4, 2))
        elif seg.tag == "UNH":
            kind = seg.component(2, 1, required=True)
            if kind not in MESSAGES + OUR_MESSAGES:
                raise seg.error(2, f"message type {kind} is not one we read "
                                   f"({', '.join(MESSAGES)})")
            head.messages.append((kind, seg.text(1, required=True, max_len=14),
                                  ":".join(seg.raw(2)[1:4]) if isinstance(seg.raw(2), tuple)
                                  else ""))
            current, count = _Message(kind, currency), 1
        elif seg.tag == "UNT":
            if current is None:
                raise unexpected(seg, "without its UNH")
            count += 1
            if seg.integer(1) != count:
                raise seg.error(1, f"counts {seg.text(1)} segments, the message has {count}")
            if seg.text(2) != head.messages[-1][1]:
                raise seg.error(2, "does not match the UNH reference")
            yield from current.finish()
            current = None
        elif seg.tag == "UNZ":
            if seg.text(2) != head.interchange:
                raise seg.error(2, "does not match the UNB reference")
            if seg.integer(1) != len(head.messages):
                raise seg.error(1, f"counts {seg.text(1)} messages, found {len(head.messages)}")
        elif current is None:
            raise unexpected(seg, "outside a message")
        else:
            count += 1
            yield from current.on(seg)
    if current is not None or not head.messages or not head.interchange:
        raise DocumentError("the interchange is truncated or has no message",
                            code="invalid_envelope")


def _join(segments: Sequence[Sequence[Any]]) -> str:
    def esc(v: str) -> str:
        return "".join("?" + c if c in "?+:'" else c for c in v)

    def el(e: str | Sequence[str]) -> str:
        return esc(e) if isinstance(e, str) else ":".join(esc(c) for c in e)

    return "".join("+".join([str(s[0])] + [el(e) for e in s[1:]]) + "'\n" for s in segments)


def _interchange(messages: list[tuple[str, str, list[list[Any]]]], *, recipient: str,
                 reference: str, at: datetime) -> str:
    segs: list[list[Any]] = [["UNB", ["UNOC", "3"], ["HANSA", "14"], [recipient, "14"],
                              [at.strftime("%y%m%d"), at.strftime("%H%M")], reference]]
    for ref, kind_version, body in messages:
        head = ["UNH", ref, kind_version.split(":")]
        segs += [head, *body, ["UNT", str(len(body) + 2), ref]]
    segs.append(["UNZ", str(len(messages)), reference])
    return "UNA:+.? '\n" + _join(segs)


def contrl(head: EdifactHead, *, accepted: bool, error: dict[str, Any] | None,
           reference: str, at: datetime) -> str:
    """CONTRL: the interchange acknowledged (action 7) or rejected (4) with the segment."""
    action = "7" if accepted else "4"
    body: list[list[Any]] = [["UCI", head.interchange or "0", [head.sender or "UNKNOWN"],
                              ["HANSA"], action]]
    for kind, ref, version in head.messages:
        body.append(["UCM", ref, [kind, *version.split(":")], action])
        if not accepted and error:
            body.append(["UCS", str(error.get("line", 0)), "13"])
    return _interchange([("1", "CONTRL:D:3:UN", body)], recipient=head.sender or "UNKNOWN",
                        reference=reference, at=at)


def orders(*, po_number: str, lines: Sequence[tuple[str, str | None, int, int]],
           currency: str, recipient: str, reference: str, at: datetime,
           change: bool = False) -> str:
    """ORDERS D.96A: BGM function 9 (original) or 5 (replace) for a change."""
    body: list[list[Any]] = [["BGM", "220", po_number, "5" if change else "9"],
                             ["DTM", ["137", at.strftime("%Y%m%d"), "102"]],
                             ["CUX", ["2", currency, "9"]]]
    for n, (sku, theirs, qty, cost) in enumerate(lines, start=1):
        body.append(["LIN", str(n), "", [theirs or sku, "SA"]])
        body.append(["PIA", "5", [sku, "IN"]])
        body.append(["QTY", ["21", str(qty)]])
        body.append(["PRI", ["AAA", str(Decimal(cost).scaleb(-exponent(currency)))]])
    body += [["UNS", "S"], ["CNT", ["2", str(len(lines))]]]
    return _interchange([("1", "ORDERS:D:96A:UN", body)], recipient=recipient,
                        reference=reference, at=at)
