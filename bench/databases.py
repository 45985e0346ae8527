"""Fresh databases for a bench run: a SQLite file, or a PostgreSQL database dropped afterwards."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "hansa_bench"


@dataclass
class BenchDatabase:
    """One database under test: its kind, the URL the server gets, and how to remove it."""

    kind: str
    url: str
    path: Path | None = None
    server: str = PG_SERVER

    def drop(self) -> None:
        """Delete the SQLite file (and WAL) or drop the PostgreSQL database."""
        if self.kind == "sqlite" and self.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        elif self.kind == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)", self.server)

    def size_mb(self) -> float | None:
        """The database's size on disk, in MB."""
        if self.kind == "sqlite" and self.path is not None:
            total = sum(Path(f"{self.path}{s}").stat().st_size for s in ("", "-wal")
                        if Path(f"{self.path}{s}").exists())
            return round(total / 2**20, 1)
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return round(row[0] / 2**20, 1) if row else None


def fresh(kind: str, workdir: Path, pg_server: str = PG_SERVER) -> BenchDatabase:
    """A new empty database of `kind` ('sqlite' or 'postgres')."""
    if kind == "sqlite":
        path = workdir / "hansa-bench.db"
        db = BenchDatabase("sqlite", f"sqlite:///{path}", path)
        db.drop()
        return db
    if kind == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)", pg_server)
        _pg_admin(f"CREATE DATABASE {PG_DATABASE}", pg_server)
        return BenchDatabase("postgres", f"{pg_server}/{PG_DATABASE}", server=pg_server)
    raise ValueError(f"unknown database kind {kind!r}")


def _pg_admin(statement: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def sqlite_version() -> str:
    return sqlite3.sqlite_version


def postgres_version(server: str = PG_SERVER) -> str | None:
    """The server's version string, or None if it does not answer."""
    try:
        import psycopg

        with psycopg.connect(f"{server}/postgres", connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else None
    except Exception:
        return None
