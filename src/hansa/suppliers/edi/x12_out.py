"""Outbound X12: 997 functional acknowledgments and 850/860 purchase orders, in one envelope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from hansa.kernel.money import exponent

ELEMENT, SEGMENT, COMPONENT = "*", "~", ">"
HANSA_ID = "HANSA"


def _isa(sender: str, receiver: str, control: int, at: datetime) -> str:
    fields = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender[:15].ljust(15), "ZZ",
              receiver[:15].ljust(15), at.strftime("%y%m%d"), at.strftime("%H%M"), "U", "00401",
              f"{control:09d}", "0", "P", COMPONENT]
    return ELEMENT.join(fields) + SEGMENT


def envelope(functional_id: str, sets: Sequence[tuple[str, list[list[str]]]], *, sender: str,
             receiver: str, control: int, at: datetime) -> str:
    """ISA/GS around transaction sets (set id, body segments); ST/SE counts are computed."""
    out = [_isa(sender, receiver, control, at),
           ELEMENT.join(["GS", functional_id, sender, receiver, at.strftime("%Y%m%d"),
                         at.strftime("%H%M"), str(control), "X", "004010"]) + SEGMENT]
    for n, (set_id, body) in enumerate(sets, start=1):
        st = f"{n:04d}"
        segments = [["ST", set_id, st], *body]
        segments.append(["SE", str(len(segments) + 1), st])
        out.extend(ELEMENT.join(s) + SEGMENT for s in segments)
    out.append(ELEMENT.join(["GE", str(len(sets)), str(control)]) + SEGMENT)
    out.append(ELEMENT.join(["IEA", "1", f"{control:09d}"]) + SEGMENT)
    return "\n".join(out) + "\n"


def ack_997(*, functional_id: str, group: str, sets: Sequence[tuple[str, str]],
            accepted: bool, error: dict[str, object] | None, sender: str, control: int,
            at: datetime) -> str:
    """AK1/AK2/AK5/AK9: every set accepted, or rejected with the segment/element in error."""
    body: list[list[str]] = [["AK1", functional_id or "IB", group or "0"]]
    for set_id, st in sets or [("", "")]:
        if set_id:
            body.append(["AK2", set_id, st])
        if not accepted and error:
            body.append(["AK3", str(error.get("segment", "")), str(error.get("line", "")), "",
                         "8"])
            element = str(error.get("element", ""))
            if element:
                body.append(["AK4", element[-2:].lstrip("0") or "1", "", "7"])
        body.append(["AK5", "A" if accepted else "R"])
    n = str(len(sets))
    body.append(["AK9", "A" if accepted else "R", n, n, n if accepted else "0"])
    return envelope("FA", [("997", body)], sender=HANSA_ID, receiver=sender, control=control,
                    at=at)


def _price(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-exponent(currency)))


def po_850(*, po_number: str, lines: Sequence[tuple[str, str | None, int, int]],
           currency: str, ship_to: str, receiver: str, control: int, at: datetime) -> str:
    """A new purchase order; lines are (our SKU, supplier SKU, quantity, unit cost)."""
    body = [["BEG", "00", "SA", po_number, "", at.strftime("%Y%m%d")], ["CUR", "BY", currency]]
    if ship_to:
        body.append(["N1", "ST", ship_to, "92", ship_to])
    for n, (sku, theirs, qty, cost) in enumerate(lines, start=1):
        ids = ["BP", sku] + (["VP", theirs] if theirs else [])
        body.append(["PO1", str(n), str(qty), "EA", _price(cost, currency), "", *ids])
    body.append(["CTT", str(len(lines))])
    return envelope("PO", [("850", body)], sender=HANSA_ID, receiver=receiver, control=control,
                    at=at)


def po_860(*, po_number: str, lines: Sequence[tuple[str, str | None, int, int]],
           currency: str, receiver: str, control: int, at: datetime) -> str:
    """A PO change: every line restated with its new quantity (POC02 'CA', 'DI' for zero)."""
    body = [["BCH", "04", "SA", po_number, "", "", at.strftime("%Y%m%d")],
            ["CUR", "BY", currency]]
    for n, (sku, theirs, qty, cost) in enumerate(lines, start=1):
        ids = ["BP", sku] + (["VP", theirs] if theirs else [])
        body.append(["POC", str(n), "DI" if qty == 0 else "CA", str(qty), "", "EA",
                     _price(cost, currency), "", *ids])
    body.append(["CTT", str(len(lines))])
    return envelope("PC", [("860", body)], sender=HANSA_ID, receiver=receiver, control=control,
                    at=at)
