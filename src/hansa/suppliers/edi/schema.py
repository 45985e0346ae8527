"""The schema layer shared by X12 and EDIFACT: typed element access with precise errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from hansa.kernel.money import exponent, is_currency
from hansa.suppliers.model import DocumentError


@dataclass(frozen=True, slots=True)
class Seg:
    """One segment: its tag, its elements (composites as tuples of components), its line."""

    tag: str
    elements: tuple[str | tuple[str, ...], ...]
    line: int

    def raw(self, pos: int) -> str | tuple[str, ...]:
        return self.elements[pos - 1] if 0 < pos <= len(self.elements) else ""

    def text(self, pos: int, *, required: bool = False, max_len: int = 80) -> str:
        """Element `pos` (1-based) as text; the first component of a composite."""
        value = self.raw(pos)
        text = (value[0] if value else "") if isinstance(value, tuple) else value
        text = text.strip()
        if required and not text:
            raise self.error(pos, "is required but blank")
        if len(text) > max_len:
            raise self.error(pos, f"is longer than {max_len} characters")
        return text

    def component(self, pos: int, comp: int, *, required: bool = False) -> str:
        value = self.raw(pos)
        parts = value if isinstance(value, tuple) else (value,)
        text = parts[comp - 1].strip() if comp <= len(parts) else ""
        if required and not text:
            raise self.error(pos, f"component {comp} is required but blank")
        return text

    def integer(self, pos: int, *, required: bool = True, comp: int | None = None) -> int | None:
        text = self.component(pos, comp) if comp else self.text(pos)
        if not text:
            if required:
                raise self.error(pos, "is required but blank")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self.error(pos, f"{text!r} is not a number") from None
        if value != value.to_integral_value() or abs(value) > 10**12:
            raise self.error(pos, f"{text!r} is not a whole quantity")
        return int(value)

    def amount(self, pos: int, currency: str, *, comp: int | None = None,
               implied_decimals: int | None = None) -> int | None:
        """A decimal money element as minor units of `currency` (None when blank)."""
        text = self.component(pos, comp) if comp else self.text(pos)
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self.error(pos, f"{text!r} is not an amount") from None
        if not value.is_finite() or abs(value) > 10**12:
            raise self.error(pos, f"{text!r} is not an amount")
        if implied_decimals is not None:
            value = value.scaleb(-implied_decimals)
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise self.error(pos, f"{text} has more decimals than {currency} allows")
        return int(scaled)

    def error(self, pos: int, reason: str) -> DocumentError:
        return DocumentError(f"{self.tag}{pos:02d} {reason}", line=self.line, segment=self.tag,
                             element=f"{self.tag}{pos:02d}", code="invalid_element")


def currency_of(seg: Seg, pos: int, comp: int | None = None) -> str:
    code = (seg.component(pos, comp) if comp else seg.text(pos)).upper()
    if not is_currency(code):
        raise seg.error(pos, f"{code!r} is not an ISO 4217 currency")
    return code


def parse_date(seg: Seg, pos: int, text: str, time: str = "") -> datetime:
    """CCYYMMDD or YYMMDD (+ HHMM) in UTC."""
    fmt = {8: "%Y%m%d", 6: "%y%m%d"}.get(len(text))
    try:
        if fmt is None:
            raise ValueError(text)
        moment = datetime.strptime(text + time[:4].ljust(4, "0"), fmt + "%H%M")
    except ValueError:
        raise seg.error(pos, f"{text!r} is not a date") from None
    return moment.replace(tzinfo=UTC)


def iso_day(seg: Seg, pos: int, text: str) -> str:
    return parse_date(seg, pos, text).date().isoformat()


def unexpected(seg: Seg, where: str) -> DocumentError:
    return DocumentError(f"segment {seg.tag} is not expected {where}", line=seg.line,
                         segment=seg.tag, code="unexpected_segment")
