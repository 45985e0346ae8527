"""The `hansa` command as a user runs it: real subprocesses on a SQLite file."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hansa.bootstrap import bootstrap
from hansa.catalog import queries as catalog
from hansa.channels import queries as channels
from hansa.config import Settings
from hansa.inventory import queries as inventory
from tests.e2e.server import free_port


def _hansa_command() -> list[str]:
    """The installed `hansa` entry point of this interpreter's environment."""
    script = Path(sys.executable).parent / "hansa"
    if script.exists():
        return [str(script)]
    found = shutil.which("hansa")
    return [found] if found else [sys.executable, "-m", "hansa.cli"]


HANSA = _hansa_command()


def _env() -> dict[str, str]:
    """The caller's environment without HANSA_* settings, so only the flags count."""
    return {k: v for k, v in os.environ.items() if not k.startswith("HANSA_")}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HANSA, *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=300, check=False)


def _words(text: str) -> str:
    """Rich wraps at the terminal width; compare text with its whitespace collapsed."""
    return " ".join(text.split())


@pytest.fixture
def db(sqlite_url: str) -> str:
    """A SQLite file in the test's tmp_path (conftest's `sqlite_url`)."""
    return sqlite_url


@contextmanager
def _background(args: list[str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `hansa` process in a session of its own; its whole process group dies at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen([*HANSA, *args], cwd=cwd, env=_env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=20)
                break
            except subprocess.TimeoutExpired:
                continue
        proc.wait()


def _wait_for_page(proc: subprocess.Popen[bytes], url: str, log: Path) -> httpx.Response:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"hansa exited with {proc.returncode}:\n{log.read_text()}")
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"hansa did not serve {url}:\n{log.read_text()}")


def test_db_upgrade_creates_the_schema_and_is_idempotent(db: str, tmp_path: Path) -> None:
    first = _run("db", "upgrade", "--db", db, cwd=tmp_path)
    second = _run("db", "upgrade", "--db", db, cwd=tmp_path)

    assert (first.returncode, second.returncode) == (0, 0)
    assert re.fullmatch(r"schema at revision \S+ on sqlite", _words(first.stdout))
    assert _words(second.stdout) == _words(first.stdout)
    assert (tmp_path / "hansa.db").stat().st_size > 0


def test_seed_demo_prints_what_it_seeded_and_refuses_a_second_run(db: str,
                                                                  tmp_path: Path) -> None:
    seeded = _run("seed", "demo", "--db", db, "--products", "20", cwd=tmp_path)
    again = _run("seed", "demo", "--db", db, "--products", "20", cwd=tmp_path)

    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    match = re.search(r"seeded (\d+) products \((\d+) variants\), (\d+) locations, "
                      r"(\d+) channels, (\d+) suppliers, (\d+) units of stock",
                      _words(seeded.stdout))
    assert match is not None, seeded.stdout
    products, variants, locations, channel_count, suppliers, units = map(int, match.groups())
    assert (locations, channel_count, suppliers) == (8, 3, 5)
    hansa = bootstrap(Settings(db=db, bus="memory"))
    try:
        with hansa.db.read() as conn:
            stored = catalog.products(conn)
            assert products == len(stored) >= 20
            assert variants == sum(len(p.variants) for p in stored)
            assert locations == len(inventory.locations(conn))
            assert [c.key for c in channels.channels(conn)] == ["b2b-eu", "chat-sea", "dtc-us"]
            skus = [v.sku for p in stored for v in p.variants]
            skus += [c.sku for p in stored for c in p.components]
            assert units == sum(lv.on_hand for lv in inventory.levels(conn, set(skus)))
    finally:
        hansa.close()

    assert again.returncode == 1
    assert "this database already has channels; seed an empty one" in _words(again.stdout)
    assert "Traceback" not in again.stdout + again.stderr


def test_seed_demo_refuses_fewer_than_ten_products(db: str, tmp_path: Path) -> None:
    result = _run("seed", "demo", "--db", db, "--products", "3", cwd=tmp_path)

    assert result.returncode == 2
    assert "--products" in result.stderr


def test_bus_dead_letters_lists_none_on_a_fresh_database(db: str, tmp_path: Path) -> None:
    _run("db", "upgrade", "--db", db, cwd=tmp_path)

    result = _run("bus", "dead-letters", "--db", db, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    rows = [line.replace("\u2503", " ").replace("\u2502", " ").split()
            for line in result.stdout.splitlines() if any(ch.isalpha() for ch in line)]
    assert rows == [["id", "consumer", "type", "attempts", "failed", "at", "error"]]


def test_bus_replay_of_an_unknown_dead_letter_says_so_without_a_traceback(
        db: str, tmp_path: Path) -> None:
    _run("db", "upgrade", "--db", db, cwd=tmp_path)

    result = _run("bus", "replay", "no-such-letter", "--db", db, cwd=tmp_path)

    assert result.returncode == 1
    assert _words(result.stdout) == "no dead letter no-such-letter"
    assert "Traceback" not in result.stdout + result.stderr


def test_demo_seeds_once_and_serves_the_storefront_page(db: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"

    with _background(["demo", "--db", db, "--port", str(port), "--products", "20"],
                     tmp_path, log) as proc:
        page = _wait_for_page(proc, f"http://127.0.0.1:{port}/", log)
        api = httpx.get(f"http://127.0.0.1:{port}/store/products",
                        headers={"X-Channel-Key": "dtc-us"}, params={"limit": 200})

    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Hansa Store (US)</h1>" in page.text
    titles = [p["title"] for p in api.json()["products"]]
    assert len(titles) == api.json()["total"] > 0
    assert page.text.count('<article class="card"') == len(titles)
    for title in titles:
        assert f"<h2>{title}</h2>" in page.text
    assert re.search(r'<strong class="price">\d+\.\d{2} USD</strong>', page.text)
    output = _words(log.read_text())
    assert re.search(r"seeded \d+ products \(\d+ variants\), 8 locations, 3 channels", output)
    assert f"storefront page http://127.0.0.1:{port}/" in output


def test_demo_on_a_seeded_database_serves_it_as_it_is(db: str, tmp_path: Path) -> None:
    assert _run("seed", "demo", "--db", db, "--products", "20", cwd=tmp_path).returncode == 0
    port = free_port()
    log = tmp_path / "demo.log"

    with _background(["demo", "--db", db, "--port", str(port), "--products", "20"],
                     tmp_path, log) as proc:
        health = _wait_for_page(proc, f"http://127.0.0.1:{port}/healthz", log)

    assert health.json()["database"] == "sqlite"
    output = _words(log.read_text())
    assert "database already seeded; serving it as it is" in output
    assert "seeded" not in output.replace("already seeded", "")
