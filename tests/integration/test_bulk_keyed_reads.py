"""Keyed reads and counter upserts on the driver's cursor (hansa.db.bulk), on each dialect:
what `select_keys` returns must be what a Core query returns, and `upsert_many` must add to
the stored counters, as the demand velocities use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hansa.bootstrap import Hansa
from hansa.db import bulk
from hansa.demand import queries, store

T0 = datetime(2026, 11, 2, 0, tzinfo=UTC)
KIND = "add_to_cart"


def test_counter_upserts_add_up_and_keyed_reads_match_core(hansa: Hansa) -> None:
    counts = {(f"SKU-{n}", f"z{n % 3}", KIND, T0 + timedelta(hours=h)): (n + h, float(n))
              for n in range(2500) for h in range(3)}  # more keys than one statement holds
    with hansa.db.engine.begin() as conn:
        store.add_velocity(conn, counts)
        store.add_velocity(conn, {(f"SKU-{n}", f"z{n % 3}", KIND, T0): (10, 1.0)
                                  for n in range(0, 2500, 500)})  # adds to the stored rows
    since = T0 + timedelta(hours=1)
    keys = [(f"SKU-{n}", f"z{n % 3}", KIND) for n in range(0, 2500, 2)]
    keys += [keys[0], ("SKU-1", "z0", KIND), ("NOPE", "z0", KIND)]  # twice, wrong zone, absent
    with hansa.db.read() as conn:
        got = queries.window_counts(conn, keys, since)
        v = store.velocity
        core: dict[tuple[str, str, str], dict[datetime, int]] = {k: {} for k in keys}
        for r in conn.execute(sa.select(v).where(v.c.bucket >= since, v.c.kind == KIND)):
            if (r.item, r.zone, r.kind) in core:
                core[(r.item, r.zone, r.kind)][r.bucket] = int(r[4])
        everything = {r.bucket: int(r[4]) for r in conn.execute(
            sa.select(v).where(v.c.item == "SKU-500", v.c.zone == "z2"))}
    assert got == core
    assert got[("SKU-4", "z1", KIND)] == {T0 + timedelta(hours=1): 5, T0 + timedelta(hours=2): 6}
    assert got[("SKU-1", "z0", KIND)] == {} and got[("NOPE", "z0", KIND)] == {}
    assert everything[T0] == 500 + 10  # the second batch added to the first
    with hansa.db.read() as conn:  # a key given twice comes back once
        rows = list(bulk.select_keys(conn, store.velocity, ("item", "bucket"),
                                     ("item", "zone", "kind"),
                                     [("SKU-4", "z1", KIND), ("SKU-4", "z1", KIND)]))
    assert len(rows) == 3
