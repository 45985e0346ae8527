"""`hansa demand signals | spikes | plan` as a user runs them, on a SQLite file."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

from hansa.bootstrap import bootstrap
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock
from tests.e2e.test_cli import HANSA, _env
from tests.integration.demand_helpers import (
    QUIET_ZIP,
    SKU,
    START,
    STORM_ALERT,
    STORM_ZIP,
    build,
    carts,
    history,
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HANSA, "demand", *args], capture_output=True, text=True,
                          env=_env() | {"COLUMNS": "200"}, timeout=120, check=False)


def test_signals_spikes_and_plan_from_the_terminal(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hansa.db'}"
    clock = VirtualClock()
    app = bootstrap(Settings(db=db), clock=clock, migrate=True)
    history(build(app, clock), {STORM_ZIP: 4, QUIET_ZIP: 4})
    app.close()
    # the CLI runs on the wall clock: signals stamped "now" against a baseline per hour of day
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps({"type": "FeatureCollection", "features": [STORM_ALERT]}))
    loaded = _run("signals", str(alerts), "--db", db, "--json")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["alerts"] == 1
    lines = tmp_path / "carts.jsonl"
    lines.write_text("\n".join(json.dumps(carts(STORM_ZIP, START + timedelta(hours=h), 1))
                               for h in range(3)) + "\n")
    assert json.loads(_run("signals", str(lines), "--db", db, "--json").stdout)["signals"] == 3
    assert json.loads(_run("spikes", "--db", db, "--json").stdout) == []
    assert "ratio" in _run("spikes", "--db", db).stdout
    plan = json.loads(_run("plan", SKU, "--db", db, "--json").stdout)
    assert plan["supplier"] == "ACME-TEX" and plan["lead_time_hours"] == 72
    assert plan["methods"] == ["seasonal-day"] and plan["on_order"] == 48
    table = _run("plan", SKU.lower(), "--db", db)
    assert table.returncode == 0 and "order up to" in table.stdout


def test_zones_mapping_from_the_terminal_lets_a_zone_alert_cover_its_places(
        tmp_path: Path) -> None:
    from hansa.demand import queries
    from hansa.kernel.geo import us_zip_position, zone_of
    from tests.integration.test_demand_zones import MAPPING, ZONE_ALERT

    db = f"sqlite:///{tmp_path / 'hansa.db'}"
    bootstrap(Settings(db=db), clock=VirtualClock(), migrate=True).close()
    mapping = tmp_path / "zones.csv"
    mapping.write_text(MAPPING)
    loaded = _run("zones", str(mapping), "--db", db, "--json")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == {"areas": 2, "cells": 3, "alerts_updated": 0}
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps({"type": "FeatureCollection", "features": [ZONE_ALERT]}))
    assert _run("signals", str(alerts), "--db", db).returncode == 0
    app = bootstrap(Settings(db=db), clock=VirtualClock())
    position = us_zip_position("11201")
    assert position is not None
    with app.db.read() as conn:
        covering = queries.alerts_covering(conn, zone_of(position),
                                           START + timedelta(days=14, hours=22))
    app.close()
    assert [a["event"] for a in covering] == ["Winter Storm Warning"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,postal_code\nNOPE,11201\n")
    refused = _run("zones", str(bad), "--db", db)
    assert refused.returncode != 0 and "NOPE" in refused.stdout + refused.stderr
