"""Alembic migrations for the whole schema (every context's tables, one history)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from hansa.db.engine import Database

HERE = Path(__file__).resolve().parent


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    config.attributes["database"] = db
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest)."""
    command.upgrade(alembic_config(db), revision)


def current(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
