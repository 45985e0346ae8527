"""`hansa paths ...` end to end on a real SQLite file: add, list, dry-run, disable, history,
resume and cancel, with errors printed as one line and a non-zero exit code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hansa import migrations
from hansa.bootstrap import Hansa, bootstrap
from hansa.cli import app
from hansa.config import Settings
from hansa.db.engine import Database
from hansa.guards.messages import EngageKillSwitch, ReleaseKillSwitch
from hansa.orders.messages import OrderPlaced
from tests.integration.automation_helpers import publish

FLOW = Path(__file__).resolve().parents[2] / "examples" / "flows" / "big-orders.yaml"
ORDER = {"order_id": "o-1", "number": "H-1", "channel_id": "c", "currency": "USD",
         "total": 25000, "lines": [], "postal_code": "10001", "country": "US"}
runner = CliRunner()


@pytest.fixture
def db(sqlite_url: str) -> str:
    migrations.upgrade(Database(sqlite_url))
    return sqlite_url


@pytest.fixture
def hansa(db: str) -> Iterator[Hansa]:
    """A second process's view of the same file: it fires triggers and runs the worker."""
    booted = bootstrap(Settings(db=db, bus="memory"))
    yield booted
    booted.close()


def paths(db: str, *args: str) -> tuple[int, str]:
    """Exit code and output with table borders and line wrapping taken out."""
    result = runner.invoke(app, ["paths", *args, "--db", db])
    return result.exit_code, " ".join(re.sub("[\u2500-\u257f]", " ", result.output).split())


def test_add_list_dry_run_disable_and_history(db: str, hansa: Hansa) -> None:
    code, out = paths(db, "add", str(FLOW))
    assert code == 0 and out.startswith("flow big-orders v1 created (enabled)")
    assert "big-orders flow hansa.orders.order_placed.v1 yes 1" in paths(db, "list")[1]

    code, out = paths(db, "dry-run", "big-orders", "--event", json.dumps(ORDER))
    assert code == 0 and "condition: True fires: True" in out
    assert "0:tag TagSubject RevertAction" in out and "1:notify NotifyOperator" in out
    assert paths(db, "dry-run", "big-orders", "--event", "{nope")[0] == 2

    assert hansa.flows is not None and hansa.flows.register_stored() == 1  # as on a restart
    publish(hansa, OrderPlaced(**ORDER))
    hansa.worker.run_until_idle()
    code, out = paths(db, "history", "--path", "big-orders", "--json")
    (run,) = json.loads(runner.invoke(app, ["paths", "history", "--json", "--db", db]).output)
    assert code == 0 and run["status"] == "completed" and len(run["steps"]) == 2

    assert paths(db, "disable", "big-orders") == (0, "flow big-orders disabled")
    assert "big-orders flow hansa.orders.order_placed.v1 no 1" in paths(db, "list")[1]
    code, out = paths(db, "enable", "nope")
    assert code == 1 and "flow_not_found" in out


def test_resume_and_cancel_blocked_runs(db: str, hansa: Hansa) -> None:
    assert paths(db, "add", str(FLOW))[0] == 0
    assert hansa.flows is not None and hansa.flows.register_stored() == 1
    hansa.bus.execute(EngageKillSwitch(scope="path:big-orders", reason="audit"))
    publish(hansa, OrderPlaced(**ORDER), OrderPlaced(**(ORDER | {"order_id": "o-2"})))
    hansa.worker.run_until_idle()
    code, out = paths(db, "history", "--status", "blocked")
    blocked = json.loads(runner.invoke(
        app, ["paths", "history", "--status", "blocked", "--json", "--db", db]).output)
    assert code == 0 and len(blocked) == 2
    first, second = (r["id"] for r in blocked)

    hansa.bus.execute(ReleaseKillSwitch(scope="path:big-orders"))
    assert paths(db, "resume", first) == (0, f"run {first} resumed")
    assert paths(db, "cancel", second, "--reason", "test order")[0] == 0
    hansa.worker.run_until_idle()

    runs = {r["id"]: r for r in json.loads(runner.invoke(
        app, ["paths", "history", "--json", "--db", db]).output)}
    assert (runs[first]["status"], runs[second]["status"]) == ("completed", "cancelled")
    code, out = paths(db, "resume", second)
    assert code == 1 and "run_not_blocked" in out
