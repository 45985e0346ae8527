"""Level 3: the supplier JSON document (API push or signed webhook) and its signature.

{"document_id": "D-1", "sent_at": "2026-12-03T12:00:00Z", "items": [{"supplier_sku": "A1",
"sku": "TEE-M", "cost": "12.50", "currency": "USD", "stock": {"SITE": 40}, "lead_time_hours":
48, "moq": 10, "case_pack": 6, "supply_model": "mto", "components": [["CMP-1", 2]],
"attributes": {"material": "98% organic cotton, 2% elastane"}, "schedule": {"2026-12-10": 500}}],
"acks": [{"po_number": "PO-1", "status": "accepted", "lines": [["TEE-M", 10, "accepted"]]}]}
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from hansa.kernel.money import exponent, is_currency
from hansa.suppliers.model import AckRecord, DocumentError, ItemRecord, Record

REPLAY_WINDOW = timedelta(minutes=5)
MAX_ITEMS = 50_000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>"."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes,
           now: datetime, window: timedelta = REPLAY_WINDOW) -> str | None:
    """None when the signature is good and fresh, else why not."""
    if not timestamp or not signature:
        return "missing X-Hansa-Timestamp or X-Hansa-Signature"
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        return "X-Hansa-Timestamp is not a Unix time"
    if abs(now - sent) > window:
        return f"timestamp outside the {int(window.total_seconds())} s replay window"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "signature does not match"
    return None


class _Path:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, reason: str) -> DocumentError:
        return DocumentError(f"{self.where}: {reason}", element=self.where,
                             code="invalid_element")


def _int(value: Any, where: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= 10**12:
        raise _Path(where).fail(f"{value!r} is not a whole number >= {minimum}")
    return value


def _str(value: Any, where: str, max_len: int = 400) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise _Path(where).fail(f"{value!r} is not a text of 1..{max_len} characters")
    return value.strip()


def _cost(value: Any, currency: str, where: str) -> int:
    try:
        amount = Decimal(str(value)) if isinstance(value, str | int) and not isinstance(
            value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not 0 <= amount <= 10**10:
        raise _Path(where).fail(f"{value!r} is not an amount (a decimal string)")
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise _Path(where).fail(f"{value} has more decimals than {currency} allows")
    return int(scaled)


def _item(raw: Any, n: int, default_currency: str) -> ItemRecord:
    where = f"items[{n}]"
    if not isinstance(raw, dict):
        raise _Path(where).fail("is not an object")
    currency = raw.get("currency", default_currency)
    if not isinstance(currency, str) or not is_currency(currency.upper()):
        raise _Path(f"{where}.currency").fail(f"{currency!r} is not an ISO 4217 currency")
    currency = currency.upper()
    opt = {k: _int(raw[k], f"{where}.{k}", minimum=1 if k in ("moq", "case_pack") else 0)
           for k in ("lead_time_hours", "moq", "case_pack") if raw.get(k) is not None}
    stock = raw.get("stock") or {}
    attrs = raw.get("attributes") or {}
    sched = raw.get("schedule") or {}
    comps = raw.get("components") or []
    if not (isinstance(stock, dict) and isinstance(attrs, dict) and isinstance(sched, dict)
            and isinstance(comps, list)):
        raise _Path(where).fail("stock, attributes and schedule are objects, components a list")
    for day in sched:
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            raise _Path(f"{where}.schedule").fail(f"{day!r} is not an ISO date") from None
    components = []
    for i, c in enumerate(comps):
        if not (isinstance(c, list) and len(c) == 2):
            raise _Path(f"{where}.components[{i}]").fail("is not [sku, quantity]")
        components.append((_str(c[0], f"{where}.components[{i}]", 64).upper(),
                           _int(c[1], f"{where}.components[{i}]", minimum=1)))
    return ItemRecord(
        supplier_sku=_str(raw.get("supplier_sku"), f"{where}.supplier_sku", 64).upper(),
        sku=_str(raw["sku"], f"{where}.sku", 64).upper() if raw.get("sku") else None,
        description=_str(raw["description"], f"{where}.description")
        if raw.get("description") else None,
        cost=None if raw.get("cost") is None else _cost(raw["cost"], currency, f"{where}.cost"),
        currency=currency if raw.get("cost") is not None else None,
        stock=tuple((_str(k, f"{where}.stock", 32).upper(), _int(v, f"{where}.stock.{k}"))
                    for k, v in stock.items()),
        lead_time_hours=opt.get("lead_time_hours"), moq=opt.get("moq"),
        case_pack=opt.get("case_pack"),
        supply_model=_str(raw["supply_model"], f"{where}.supply_model", 3).lower()
        if raw.get("supply_model") else None,
        components=tuple(components),
        attributes=tuple((_str(k, f"{where}.attributes", 64), _str(v, f"{where}.attributes.{k}"))
                         for k, v in attrs.items()),
        schedule=tuple((k, _int(v, f"{where}.schedule.{k}")) for k, v in sched.items()),
        line=n + 1)


def _ack(raw: Any, n: int) -> AckRecord:
    where = f"acks[{n}]"
    if not isinstance(raw, dict):
        raise _Path(where).fail("is not an object")
    status = raw.get("status")
    if status not in ("accepted", "changed", "rejected"):
        raise _Path(f"{where}.status").fail("is accepted, changed or rejected")
    lines = []
    for i, line in enumerate(raw.get("lines") or []):
        if not (isinstance(line, list) and len(line) == 3):
            raise _Path(f"{where}.lines[{i}]").fail("is not [sku, quantity, status]")
        lines.append((_str(line[0], f"{where}.lines[{i}]", 64).upper(),
                      _int(line[1], f"{where}.lines[{i}]"), _str(line[2], where, 16)))
    return AckRecord(po_number=_str(raw.get("po_number"), f"{where}.po_number", 32),
                     status=status, lines=tuple(lines), line=n + 1)


def head_of(body: bytes) -> tuple[dict[str, Any], str, datetime | None]:
    """(the parsed body, its document id, its sent_at); DocumentError when malformed."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DocumentError(f"not JSON: {exc}", code="invalid_syntax") from None
    if not isinstance(doc, dict):
        raise DocumentError("the document is not a JSON object", code="invalid_syntax")
    doc_id = _str(doc.get("document_id"), "document_id", 64)
    sent = doc.get("sent_at")
    try:
        sent_at = datetime.fromisoformat(sent).astimezone(UTC) if sent is not None else None
    except (TypeError, ValueError):
        raise _Path("sent_at").fail(f"{sent!r} is not an ISO 8601 time") from None
    return doc, doc_id, sent_at


def read_json(doc: dict[str, Any], currency: str) -> list[Record]:
    """Every record of the document (validated before anything is applied)."""
    items, acks = doc.get("items") or [], doc.get("acks") or []
    if not isinstance(items, list) or not isinstance(acks, list):
        raise DocumentError("items and acks are lists", element="items", code="invalid_syntax")
    if len(items) > MAX_ITEMS:
        raise DocumentError(f"more than {MAX_ITEMS} items; split the document",
                            element="items", code="too_large")
    records: list[Record] = [_item(raw, n, currency) for n, raw in enumerate(items)]
    records += [_ack(raw, n) for n, raw in enumerate(acks)]
    return records


def ack_body(document_id: str, status: str, reason: str | None, receipt: str) -> bytes:
    """Our acknowledgement back to the supplier."""
    return orjson.dumps({"document_id": document_id, "receipt": receipt, "status": status,
                         "reason": reason})
