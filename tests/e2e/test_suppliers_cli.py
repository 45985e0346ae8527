"""`hansa suppliers import | audit | quarantine` as a user runs them, on a SQLite file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hansa.bootstrap import bootstrap
from hansa.config import Settings
from tests.e2e.test_cli import HANSA, _env
from tests.integration.supplier_helpers import FIXTURES, merchant


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HANSA, "suppliers", *args], capture_output=True, text=True,
                          env=_env() | {"COLUMNS": "200"}, timeout=120, check=False)


def test_import_audit_and_quarantine_from_the_terminal(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hansa.db'}"
    app = bootstrap(Settings(db=db), migrate=True)
    merchant(app)
    app.close()
    good = _run("import", str(FIXTURES / "x12_846_inventory.edi"), "--supplier",
                "SHENZHEN-WORKS", "--db", db, "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["status"] == "applied"
    bad_file = tmp_path / "broken.csv"
    bad_file.write_text("supplier_sku,cost,currency\nA-1,12.5x,USD\n")
    bad = _run("import", str(bad_file), "--supplier", "FLORENCE-LAB", "--db", db, "--json")
    assert bad.returncode == 2
    refused = json.loads(bad.stdout)
    assert refused["reason"] == "line 2, column cost: '12.5x' is not a number"
    audit = json.loads(_run("audit", "--db", db, "--json").stdout)
    assert {(a["supplier_code"], a["feed"], a["level"]) for a in audit} == {
        ("SHENZHEN-WORKS", "x12/846", 2), ("FLORENCE-LAB", "csv/csv", 1)}
    listed = _run("quarantine", "list", "--db", db)
    assert refused["quarantine_id"][:8] in listed.stdout
    rejected = _run("quarantine", "reject", refused["quarantine_id"], "--db", db)
    assert rejected.returncode == 0, rejected.stderr
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.edi").write_bytes((FIXTURES / "x12_832_catalog.edi").read_bytes())
    (inbox / "b.csv").write_text("supplier_sku\n\"unterminated\n")
    swept = _run("inbox", str(inbox), "--supplier", "SHENZHEN-WORKS", "--db", db)
    assert swept.returncode == 0, swept.stderr
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a.edi"]
    assert sorted(p.name for p in (inbox / "quarantined").iterdir()) == ["b.csv"]
    table = _run("audit", "--db", db)
    assert "Integration latency audit" in table.stdout and "SHENZHEN-WORKS" in table.stdout
