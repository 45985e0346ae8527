"""Shared fixtures: real databases (SQLite file, PostgreSQL) and a booted Hansa per test."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock

IN_CI = os.environ.get("CI", "").lower() == "true"
# Rich sizes tables to the terminal; tests (and the CLI processes they start) have none, and
# under xdist not even an inherited width: give every run the same wide console.
os.environ["COLUMNS"] = "200"
PG_ADMIN_URL = os.environ.get("HANSA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("HANSA_TEST_NATS", "nats://127.0.0.1:4222")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a laptop without the service; under CI=true a missing service is a failure."""
    if _reachable(host, port):
        return
    if IN_CI:
        pytest.fail(f"{name} is not reachable on {host}:{port} and CI=true requires it")
    pytest.skip(f"{name} not running on {host}:{port}")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"hansa_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


def _reset_postgres(url: str) -> None:
    """Drop everything so that every test starts from a migrated, empty schema."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each integration test runs once per dialect."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hansa.db'}"
    url: str = request.getfixturevalue("pg_database")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hansa.db'}"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def hansa(db_url: str, clock: VirtualClock) -> Iterator[Hansa]:
    """A migrated Hansa on the test's database, in-process bus, virtual clock, no threads."""
    settings = Settings(db=db_url, bus="memory", listing_stock_lag_ms=0)
    app = bootstrap(settings, clock=clock, migrate=True)
    yield app
    app.close()
