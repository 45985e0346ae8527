"""Supplier items are written through the driver's executemany (hansa.db.bulk): what lands in
the tables must read back through SQLAlchemy exactly as Core would have written it, on each
dialect, and a re-import must merge, compare and update as before."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from tests.integration.supplier_helpers import SKU, ingest, merchant

from hansa.bootstrap import Hansa
from hansa.db import bulk
from hansa.kernel.clock import VirtualClock
from hansa.suppliers import store

HEADER = "supplier_sku,sku,cost,currency,stock:IT-FI-FAB,moq,attr:material,components\n"


def _items(hansa: Hansa) -> dict[str, sa.Row[tuple[object, ...]]]:
    with hansa.db.read() as conn:
        return {r.supplier_sku: r for r in conn.execute(sa.select(store.items))}


def test_bulk_written_items_read_back_as_core_writes_them(hansa: Hansa,
                                                          clock: VirtualClock) -> None:
    merchant(hansa)
    body = HEADER + (f"FL-1,{SKU},24.40,USD,12,6,organic cotton,\n"
                     "FL-2,,3.10,USD,7,,,PART-A*2|PART-B*1\n")
    outcome = ingest(hansa, "FLORENCE-LAB", "csv", body.encode())
    assert (outcome.status, outcome.records, outcome.changes) == ("applied", 2, 2)
    first = clock.now()
    items = _items(hansa)
    one, two = items["FL-1"], items["FL-2"]
    assert (one.sku, one.cost, one.currency, one.moq, one.case_pack) == (SKU, 2440, "USD", 6, None)
    assert one.attributes == {"material": "organic cotton"} and one.components == []
    assert two.components == [["PART-A", 2], ["PART-B", 1]] and two.attributes == {}
    assert one.updated_at == first and one.observed_at == first  # aware UTC, as Core reads it
    with hansa.db.read() as conn:  # a bound datetime compares with what bulk stored
        it = store.items.c
        assert conn.execute(sa.select(sa.func.count()).select_from(store.items)
                            .where(it.updated_at >= first, it.updated_at <= first)).scalar() == 2
        st = store.item_stock.c
        assert conn.execute(sa.select(st.quantity).where(st.supplier_sku == "FL-1",
                                                         st.updated_at == first)).scalar() == 12

    clock.advance(timedelta(minutes=5, microseconds=250))
    again = HEADER + "FL-1,,24.40,USD,15,,blend,\nFL-2,,3.10,USD,7,,,\nFL-3,,1.00,USD,,,,\n"
    outcome = ingest(hansa, "FLORENCE-LAB", "csv", again.encode())
    assert (outcome.status, outcome.records, outcome.changes) == ("applied", 3, 2)
    items = _items(hansa)
    one, two = items["FL-1"], items["FL-2"]
    assert one.sku == SKU and one.moq == 6  # left blank: kept
    assert one.attributes == {"material": "blend"} and one.updated_at == clock.now()
    assert two.components == [["PART-A", 2], ["PART-B", 1]] and two.updated_at == first
    with hansa.db.read() as conn:
        st = store.item_stock.c
        assert conn.execute(sa.select(st.quantity, st.updated_at)
                            .where(st.supplier_sku == "FL-1")).one() == (15, clock.now())


def test_bulk_helpers_on_the_callers_transaction(hansa: Hansa) -> None:
    merchant(hansa)
    columns = ("supplier_id", "supplier_sku", "site_id", "quantity", "updated_at")
    with hansa.db.write() as conn:
        now = bulk.db_value(conn, store.item_stock.c.updated_at, hansa.clock.now())
        rows = [("S", f"K-{n}", "SITE", n, now) for n in range(2500)]
        bulk.insert_many(conn, store.item_stock, columns, rows)
        bulk.update_many(conn, store.item_stock, ("quantity",),  # a key twice: the last wins
                         ("supplier_id", "supplier_sku", "site_id"),
                         [(-5, "S", "K-7", "SITE"), (-2, "S", "K-8", "SITE"),
                          (-1, "S", "K-7", "SITE")])
        keys = [f"K-{n}" for n in range(0, 7500, 3)]  # more keys than one IN list holds
        found = dict(bulk.select_in(conn, store.item_stock, ("supplier_sku", "quantity"),
                                    [("supplier_id", "S")], "supplier_sku", keys))
        assert len(found) == 834 and found["K-0"] == 0 and found["K-2499"] == 2499
        assert dict(bulk.select_in(conn, store.item_stock, ("supplier_sku", "quantity"),
                                   [("site_id", "SITE")], "supplier_sku",
                                   ["K-7", "K-8", "K-9"])) == {"K-7": -1, "K-8": -2, "K-9": 9}
        assert list(bulk.select_in(conn, store.item_stock, ("supplier_sku", "quantity"),
                                   [], "supplier_sku", ["K-7", "K-7"])) == [("K-7", -1)]
        conn.rollback()
    with hansa.db.read() as conn:  # rolled back with the transaction it ran in
        assert conn.execute(sa.select(sa.func.count()).select_from(store.item_stock)).scalar() == 0
