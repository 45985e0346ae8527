"""Integration latency audit: per supplier and feed, how fast and how clean its data arrives.

Latency is the supplier's own timestamp (GS date/time, UNB date/time, JSON `sent_at`) to the
moment the document was applied, i.e. became sellable; staleness is the age of the newest
applied document. Suppliers not yet on Level 3 are ranked by what lifting them would save.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.kernel.clock import utc
from hansa.suppliers import store


@dataclass(frozen=True, slots=True)
class FeedAudit:
    supplier_code: str
    feed: str  # format/document type, e.g. x12/846
    level: int
    documents: int
    applied: int
    quarantined: int
    duplicates: int
    error_rate: float  # documents refused for malformed content
    quarantine_rate: float
    latency_p50_s: float | None
    latency_p95_s: float | None
    staleness_s: float | None
    lift_score: float  # higher: lift to Level 3 first

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


LEVELS = {"csv": 1, "edi": 2, "api": 3}


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


def audit(conn: Connection, now: datetime, *, supplier_code: str | None = None,
          limit_per_feed: int = 1000) -> list[FeedAudit]:
    """Every feed's audit, ranked: the best candidate for Level 3 first."""
    d = store.documents
    query = sa.select(d.c.supplier_code, d.c.level, d.c.format, d.c.doc_type, d.c.status,
                      d.c.sent_at, d.c.received_at, d.c.applied_at, d.c.error_at).where(
        d.c.direction == "in").order_by(d.c.received_at.desc())
    if supplier_code:
        query = query.where(d.c.supplier_code == supplier_code.upper())
    feeds: dict[tuple[str, str, str], list[Any]] = {}
    for row in conn.execute(query):
        rows = feeds.setdefault((row.supplier_code, row.level, f"{row.format}/{row.doc_type}"),
                                [])
        if len(rows) < limit_per_feed:
            rows.append(row)
    result = []
    for (code, level, feed), rows in feeds.items():
        applied = [r for r in rows if r.status == "applied"]
        quarantined = [r for r in rows if r.status in ("quarantined", "rejected")]
        errors = [r for r in quarantined if r.error_at]
        latencies = [(utc(r.applied_at) - utc(r.sent_at)).total_seconds()
                     for r in applied if r.sent_at is not None and r.applied_at is not None]
        newest = max((utc(r.sent_at or r.received_at) for r in applied), default=None)
        staleness = None if newest is None else round((now - newest).total_seconds(), 3)
        n = len(rows)
        p95 = _percentile(latencies, 0.95)
        error_rate = len(errors) / n if n else 0.0
        score = 0.0 if LEVELS[level] == 3 else (
            (p95 or 0.0) + (staleness or 0.0)) / 3600 * (1 + 10 * error_rate) + (
            100 * error_rate) + (10 if p95 is None else 0)
        result.append(FeedAudit(
            supplier_code=code, feed=feed, level=LEVELS[level], documents=n,
            applied=len(applied), quarantined=len(quarantined),
            duplicates=sum(1 for r in rows if r.status == "duplicate"),
            error_rate=round(error_rate, 4), quarantine_rate=round(len(quarantined) / n, 4)
            if n else 0.0, latency_p50_s=_percentile(latencies, 0.5), latency_p95_s=p95,
            staleness_s=staleness, lift_score=round(score, 3)))
    return sorted(result, key=lambda a: (-a.lift_score, a.supplier_code, a.feed))


def documents(conn: Connection, *, supplier_code: str | None = None, status: str | None = None,
              limit: int = 50) -> list[dict[str, Any]]:
    """Receipts of the newest inbound documents (no raw bytes)."""
    d = store.documents
    cols = [c for c in d.c if c.name != "ack"]
    query = sa.select(*cols).order_by(d.c.received_at.desc()).limit(limit)
    if supplier_code:
        query = query.where(d.c.supplier_code == supplier_code.upper())
    if status:
        query = query.where(d.c.status == status)
    return [dict(r._mapping) for r in conn.execute(query)]
