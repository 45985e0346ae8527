"""Level 1: CSV and XLSX files read row by row through a supplier's column-mapping profile.

A profile (JSON, saved per supplier and name) says which column holds what, and how to read
it: {"delimiter": ";", "encoding": "cp1252", "decimal": ",", "thousands": ".",
"currency": "EUR", "cost_per": 1, "lead_time_unit": "days", "columns": {"supplier_sku":
"Artikel", "sku": "Unsere SKU", "cost": "Preis", "currency": "Waehrung", "stock:IT-FI-FAB":
"Bestand", "lead_time": "Lieferzeit", "moq": "MOQ", "case_pack": "VPE", "supply_model":
"Modell", "components": "Teile", "description": "Text", "attr:material": "Material",
"plan:2026-12-10": "Plan KW50"}}; components are written `SKU*2|SKU-B*1`. Without a profile, the
columns are named as the canonical fields are.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from hansa.kernel.money import exponent, is_currency
from hansa.suppliers.model import DocumentError, ItemRecord

CANONICAL = ("supplier_sku", "sku", "description", "cost", "currency", "lead_time", "moq",
             "case_pack", "supply_model", "components")
PREFIXES = ("stock:", "attr:", "plan:")  # stock:<site code>, attr:<name>, plan:<ISO date>
LEAD_UNITS = {"hours": 1, "days": 24, "weeks": 168}
MAX_FIELD = 4096


def default_profile(header: list[str]) -> dict[str, Any]:
    cols = {h: h for h in header if h in CANONICAL or h.startswith(PREFIXES)}
    return {"columns": cols}


def validate_profile(spec: dict[str, Any]) -> None:
    """Refuse a profile that cannot work (raises ValueError with the reason)."""
    cols = spec.get("columns")
    if not isinstance(cols, dict) or "supplier_sku" not in cols:
        raise ValueError("a profile maps at least 'supplier_sku' to a column")
    for key in cols:
        if key not in CANONICAL and not key.startswith(PREFIXES):
            raise ValueError(f"unknown field {key!r} in the profile")
    if spec.get("lead_time_unit", "hours") not in LEAD_UNITS:
        raise ValueError("lead_time_unit is hours, days or weeks")
    codecs.lookup(spec.get("encoding", "utf-8"))
    if spec.get("currency") and not is_currency(spec["currency"]):
        raise ValueError(f"unknown currency {spec['currency']!r}")


def text_lines(chunks: Iterable[bytes], encoding: str) -> Iterator[str]:
    """Decoded lines from byte chunks, never more than one chunk plus a line in memory."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    rest = ""
    first = True
    for chunk in chunks:
        text = rest + decoder.decode(chunk)
        if first and text.startswith("\ufeff"):
            text = text[1:]
        first = False
        lines = text.splitlines(keepends=True)
        rest = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        yield from lines
    tail = rest + decoder.decode(b"", final=True)
    if tail:
        yield tail


class _Reader:
    """One profile compiled against one header: a column position per field, read per row."""

    def __init__(self, spec: dict[str, Any], header: list[str], currency: str) -> None:
        self.spec = spec
        self.decimal = spec.get("decimal", ".")
        self.thousands = spec.get("thousands", "")
        self.currency = spec.get("currency") or currency
        self.cost_per = int(spec.get("cost_per", 1))
        self.lead = LEAD_UNITS[spec.get("lead_time_unit", "hours")]
        position = {h.strip(): i for i, h in enumerate(header)}
        self.cols: dict[str, int] = {}
        for field, column in spec["columns"].items():
            if column not in position:
                raise DocumentError(f"column {column!r} (for {field}) is not in the header",
                                    line=1, column=str(column), code="missing_column")
            self.cols[field] = position[column]
        names = spec["columns"]
        # A row is padded to `width` cells plus one blank: an unmapped field reads cell -1.
        self.width = max(self.cols.values(), default=0) + 1
        self.at = {f: self.cols.get(f, -1) for f in CANONICAL}
        self.stock_fields = [(self.cols[f], f[6:].upper(), names[f]) for f in self.cols
                             if f.startswith("stock:")]
        self.attr_fields = [(self.cols[f], f[5:]) for f in self.cols if f.startswith("attr:")]
        self.plan_fields = [(self.cols[f], self._day(f[5:], 1, str(names[f])), names[f])
                            for f in self.cols if f.startswith("plan:")]
        self.currencies: dict[str, int] = {}  # known good currency -> its exponent

    def _number(self, text: str, line: int, column: str) -> Decimal:
        cleaned = text.replace(self.thousands, "") if self.thousands else text
        if self.decimal != ".":
            cleaned = cleaned.replace(self.decimal, ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise DocumentError(f"{text!r} is not a number", line=line, column=column,
                                code="invalid_number") from None
        if not value.is_finite() or abs(value) > 10**12:
            raise DocumentError(f"{text!r} is out of range", line=line, column=column,
                                code="invalid_number")
        return value

    def _int(self, text: str, line: int, column: str) -> int:
        if text.isascii() and text.isdigit() and len(text) <= 12:  # the common case, exact
            return int(text)
        value = self._number(text, line, column)
        if value != value.to_integral_value():
            raise DocumentError(f"{text!r} is not a whole number", line=line, column=column,
                                code="invalid_number")
        return int(value)

    def _cost(self, text: str, currency: str, line: int) -> int:
        """Minor units of `currency`. Plain digits with at most the currency's decimals are
        read exactly without Decimal; anything else goes through Decimal (same result)."""
        places = self.currencies[currency]
        if self.cost_per == 1:
            cleaned = text.replace(self.thousands, "") if self.thousands else text
            if self.decimal != ".":
                cleaned = cleaned.replace(self.decimal, ".")
            whole, _dot, fraction = cleaned.partition(".")
            if (cleaned.isascii() and whole.isdigit() and len(whole) <= 12
                    and (not fraction or (fraction.isdigit() and len(fraction) <= places))):
                return int(whole) * 10**places + int(fraction.ljust(places, "0") or "0")
        value = self._number(text, line, self.spec["columns"]["cost"]) / self.cost_per
        return int(value.scaleb(places).quantize(Decimal(1)))

    def _currency(self, currency: str, line: int) -> None:
        if not is_currency(currency):
            raise DocumentError(f"unknown currency {currency!r}", line=line,
                                column=self.spec["columns"].get("currency"),
                                code="invalid_currency")
        self.currencies[currency] = exponent(currency)

    def _whole(self, text: str, line: int, field: str) -> int | None:
        if not text:
            return None
        if text.isdigit() and text.isascii() and len(text) <= 12:
            return int(text)
        return self._int(text, line, self.spec["columns"][field])

    def record(self, row: list[str], line: int) -> ItemRecord:
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        row = [*row, ""]
        at, whole = self.at, self._whole
        currency = (row[at["currency"]].strip() or self.currency).upper()
        cost: int | None = None
        if cost_text := row[at["cost"]].strip():
            if currency not in self.currencies:
                self._currency(currency, line)
            cost = self._cost(cost_text, currency, line)
        lead = whole(row[at["lead_time"]].strip(), line, "lead_time")
        moq = whole(row[at["moq"]].strip(), line, "moq")
        pack = whole(row[at["case_pack"]].strip(), line, "case_pack")
        stock = tuple([(site, self._int(text, line, column)) for i, site, column
                       in self.stock_fields if (text := row[i].strip())])
        attrs = tuple([(name, text) for i, name in self.attr_fields
                       if (text := row[i].strip())])
        plan = tuple([(day, self._int(text, line, column)) for i, day, column
                      in self.plan_fields if (text := row[i].strip())])
        parts = row[at["components"]].strip()
        return ItemRecord(  # positional, in the field order (faster than keywords)
            row[at["supplier_sku"]].strip().upper(), row[at["sku"]].strip().upper() or None,
            row[at["description"]].strip() or None, cost,
            currency if cost is not None else None, stock,
            None if lead is None else lead * self.lead, moq, pack,
            row[at["supply_model"]].strip().lower() or None,
            self._components(parts, line) if parts else (), attrs, plan, line)

    def _day(self, text: str, line: int, column: str) -> str:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise DocumentError(f"{text!r} in the profile is not an ISO date", line=line,
                                column=column, code="invalid_date") from None

    def _components(self, text: str, line: int) -> tuple[tuple[str, int], ...]:
        """`SKU*2|SKU-B*1`: the components of a configured (CTO) item."""
        if not text:
            return ()
        found = []
        for part in text.split("|"):
            sku, _, qty = part.partition("*")
            if not sku.strip() or not qty.strip().isdigit() or int(qty) < 1:
                raise DocumentError(f"component {part!r} is not SKU*quantity", line=line,
                                    column=str(self.spec["columns"]["components"]),
                                    code="invalid_component")
            found.append((sku.strip().upper(), int(qty)))
        return tuple(found)


def read_csv(chunks: Iterable[bytes], spec: dict[str, Any] | None,
             currency: str) -> Iterator[ItemRecord]:
    """Item records, one per data row, streamed."""
    encoding = (spec or {}).get("encoding", "utf-8")
    lines = text_lines(chunks, encoding)
    try:
        first = next(lines, "")
        delimiter = (spec or {}).get("delimiter") or _sniff(first)
        reader = csv.reader(_chain(first, lines), delimiter=delimiter, strict=True)
        header = next(reader, None)
        if not header:
            raise DocumentError("the file is empty", line=1, code="empty_file")
        parse = _Reader(spec or default_profile(header), header, currency)
        for row in reader:
            if not "".join(row).strip():  # blank cells only
                continue
            if max(map(len, row)) > MAX_FIELD:
                raise DocumentError("a field is longer than 4096 characters",
                                    line=reader.line_num, code="field_too_long")
            yield parse.record(row, reader.line_num)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not {encoding}: {exc.reason}", code="invalid_encoding") from None
    except csv.Error as exc:
        raise DocumentError(f"CSV syntax: {exc}", code="invalid_syntax") from None


def _sniff(first: str) -> str:
    return max((",", ";", "\t", "|"), key=first.count)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def read_xlsx(chunks: Iterable[bytes], spec: dict[str, Any] | None,
              currency: str) -> Iterator[ItemRecord]:
    """Item records from the first sheet of a workbook (openpyxl's read-only, row-streaming)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"not an XLSX workbook: {exc}", code="invalid_syntax") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        if not header:
            raise DocumentError("the sheet is empty", line=1, code="empty_file")
        parse = _Reader(spec or default_profile(header), header, currency)
        for n, values in enumerate(rows, start=2):
            row = ["" if c is None else _cell(c) for c in values]
            if any(row):
                yield parse.record(row, n)
    finally:
        book.close()


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
