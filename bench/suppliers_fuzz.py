"""Fuzz the supplier document pipeline with thousands of malformed CSV, X12, EDIFACT and JSON
documents (mutated real fixtures and generated garbage): every one must end applied, duplicate
or quarantined with a reason, never crash and never half apply. Writes
bench/results/suppliers_fuzz.json.

    .venv/bin/python bench/suppliers_fuzz.py [--per-format 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from hansa.bootstrap import bootstrap
from hansa.config import Settings
from hansa.inventory.store import ledger, levels
from hansa.suppliers import store
from hansa.suppliers.messages import ProcessSupplierDocument, ReceiveSupplierDocument

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.integration.supplier_helpers import FIXTURES, merchant  # noqa: E402

SEEDS = {
    "x12": [("SHENZHEN-WORKS", p) for p in sorted(FIXTURES.glob("x12_*.edi"))],
    "edifact": [("PORTO-TEXTIL", p) for p in sorted(FIXTURES.glob("edifact_*.edi"))],
    "csv": [("FLORENCE-LAB", None)],
    "json": [("MEMPHIS-SUPPLY", None)],
}
CSV = (b"supplier_sku,sku,cost,currency,stock:IT-FI-FAB,moq,attr:material\n"
       b"FL-1,HARTEE-SAN-M,24.60,USD,12,6,linen\nFL-2,,3.10,USD,7,1,\n")
JSON = (b'{"document_id": "J-1", "items": [{"supplier_sku": "MS-1", "sku": "HARTEE-SAN-M",'
        b' "stock": {"US-TX-DROP": 5}, "attributes": {"material": "hemp"}}]}')
TOKENS = [b"", b"*", b"~", b"'", b"+", b":", b"?", b",", b"\n", b'"', b"X", b"9", b"-1",
          b"\xff", b"1e999", b"QTY*33*", b"LIN**VP*", b"QTY+145:", b"{", b"]", b"null"]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(out) + 1)
        cut = rng.choice((0, 0, 1, 2, 5))
        out[at:at + cut] = rng.choice(TOKENS)
    return bytes(out)


def unique(data: bytes, fmt: str, n: int) -> bytes:
    """A fresh control number, so that dedupe by control number does not hide the parser."""
    if fmt == "x12":
        return re.sub(rb"0000001\d\d", f"{10_000 + n:09d}".encode(), data)
    return re.sub(rb"\b900\d\b", str(50_000 + n).encode(), data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-format", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    outcomes: dict[str, Counter[str]] = {}
    problems: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        hansa = bootstrap(Settings(db=f"sqlite:///{tmp}/fuzz.db"), migrate=True)
        merchant(hansa)
        for fmt, seeds in SEEDS.items():
            counts: Counter[str] = Counter()
            for n in range(args.per_format):
                supplier, path = rng.choice(seeds)
                base = unique(path.read_bytes(), fmt, n) if path else (
                    CSV if fmt == "csv" else JSON.replace(b"J-1", f"J-{n}".encode()))
                data = mutate(rng, base) if n % 10 else bytes(rng.randrange(256)
                                                               for _ in range(rng.randrange(64)))
                with hansa.db.read() as conn:
                    before = _fingerprint(conn)
                try:
                    doc = hansa.bus.execute(ReceiveSupplierDocument(
                        supplier_code=supplier, format=fmt, chunks=[data]))
                    outcome = hansa.bus.execute(ProcessSupplierDocument(document_id=doc))
                except Exception as exc:  # a crash: the pipeline must never raise
                    problems.append(f"{fmt} #{n}: crash {type(exc).__name__}: {exc}")
                    continue
                counts[outcome.status] += 1
                if outcome.status == "quarantined":
                    with hansa.db.read() as conn:
                        after = _fingerprint(conn)
                    if after != before:
                        problems.append(f"{fmt} #{n}: partial apply")
                    if not outcome.reason or outcome.reason.startswith("unexpected"):
                        problems.append(f"{fmt} #{n}: reason {outcome.reason!r}")
            outcomes[fmt] = counts
        hansa.close()
    report = {"inputs": args.per_format * len(SEEDS), "seconds":
              round(time.perf_counter() - started, 1), "outcomes": outcomes,
              "crashes_or_partial_applies": len(problems), "problems": problems[:20]}
    out = ROOT / "bench" / "results" / "suppliers_fuzz.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 1 if problems else 0


def _fingerprint(conn: sa.Connection) -> tuple[object, ...]:
    """Row counts and value sums that any applied change would move."""
    counts = tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                   for t in (store.items, store.item_stock, store.schedule, ledger,
                             store.purchase_orders))
    sums = (conn.execute(sa.select(sa.func.sum(store.items.c.cost))).scalar(),
            conn.execute(sa.select(sa.func.sum(store.item_stock.c.quantity))).scalar(),
            conn.execute(sa.select(sa.func.sum(levels.c.on_hand))).scalar())
    return counts + sums


if __name__ == "__main__":
    sys.exit(main())
