"""kill -9 in the middle of the exceptions path: after restarts, each incident has exactly one
ticket, one message, one credit, one run, and at most one reship (reserved once, picked once).

HANSA_EXCEPTIONS_KILLS (default 3 per dialect) raises the number of kills, e.g. 50.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from tests.integration.automation_helpers import START
from tests.integration.logistics_helpers import PHILADELPHIA, SKU, scan, stock_up, track
from tests.integration.test_automation_crash import _wait_for_line

from hansa.automation import queries as automation_queries
from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.dead_letters import list_dead_letters
from hansa.config import Settings
from hansa.inventory import store as inventory_store
from hansa.kernel.clock import VirtualClock
from hansa.logistics import store as logistics_store
from hansa.logistics.messages import SetExceptionPolicy
from hansa.logistics.model import TrackingStatus
from hansa.support import store as support_store

KILLS = int(os.environ.get("HANSA_EXCEPTIONS_KILLS", "3"))
PER_LIFE = 6


def _spawn(url: str, life: int) -> subprocess.Popen[str]:
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "src")]),
           "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.exceptions_worker", url, str(life)],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_line(child, "worker ready")
    return child


def _count(app: Hansa, table: sa.Table, column: str, where: sa.ColumnElement[bool] | None = None
           ) -> Counter[str]:
    query = sa.select(table.c[column])
    if where is not None:
        query = query.where(where)
    with app.db.read() as conn:
        return Counter(str(v) for v in conn.execute(query).scalars())


def _tickets(app: Hansa) -> int:
    return sum(_count(app, support_store.tickets, "reference").values())


def _settled(app: Hansa, shipments: int) -> bool:
    with app.db.read() as conn:
        runs = automation_queries.counts_by_status(conn, path="exceptions")
    return sum(runs.values()) == shipments and set(runs) == {"completed"}


def test_killing_workers_mid_path_leaves_one_of_each_effect_per_incident(db_url: str) -> None:
    rng = random.Random(os.environ.get("HANSA_KILL_SEED", "exceptions"))
    clock = VirtualClock(START)
    app = bootstrap(Settings(db=db_url, bus="memory"), clock=clock, migrate=True)
    ids = stock_up(app, per_location=100)
    app.bus.execute(SetExceptionPolicy(merchant="default", bands=[(10**9, 0.0)]))
    shipments = 0
    kills_mid_path = 0
    try:
        for life in range(KILLS):
            for i in range(PER_LIFE):
                code = f"K{life}-{i}"
                track(app, origin=ids["CHI"], shipment_id=code, code=code)
                scan(app, TrackingStatus.IN_TRANSIT, START, code=code, **PHILADELPHIA)
                shipments += 1
            done = _tickets(app)
            child = _spawn(app.settings.db, life + 1)
            for _ in range(6000):  # a liveness bound, not a timing assertion
                if _tickets(app) > done:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.2))
            child.send_signal(signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
            kills_mid_path += not _settled(app, shipments)
            for i in range(PER_LIFE):  # the carrier repeats an old scan: a duplicate
                code = f"K{life}-{i}"
                assert scan(app, TrackingStatus.IN_TRANSIT, START, code=code,
                            **PHILADELPHIA) == "duplicate"
        survivor = _spawn(app.settings.db, KILLS + 1)
        for _ in range(1200):
            if _settled(app, shipments):
                break
            time.sleep(0.1)
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0

        incidents = _count(app, logistics_store.incidents, "shipment_id")
        references = {f"inc-{s}-1" for s in incidents}
        assert len(incidents) == shipments and set(incidents.values()) == {1}
        for table in (support_store.tickets, support_store.messages):
            assert _count(app, table, "reference") == Counter(dict.fromkeys(references, 1))
        assert _count(app, support_store.credit_entries, "reference") == Counter(
            dict.fromkeys(references, 1))
        reservations = _count(app, inventory_store.reservations, "reference",
                              inventory_store.reservations.c.reference.like("reship:%"))
        picks = _count(app, inventory_store.ledger, "reference",
                       inventory_store.ledger.c.kind == "pick")
        assert set(reservations.values()) <= {1} and set(picks.values()) <= {1}
        assert sum(picks.values()) == sum(reservations.values()) == shipments  # all released
        with app.db.read() as conn:
            on_hand = conn.execute(sa.select(sa.func.sum(inventory_store.levels.c.on_hand))
                                   .where(inventory_store.levels.c.sku == SKU)).scalar()
        assert on_hand == 300 - shipments
        assert list_dead_letters(app.bus) == []
        print(f"\nexceptions kill -9 on {app.db.dialect}: {KILLS} kills ({kills_mid_path} "
              f"mid-path), {shipments} incidents, one ticket/message/credit/reship each")
    finally:
        app.close()
