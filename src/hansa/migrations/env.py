"""Alembic environment: runs on the Database that `hansa.migrations.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from hansa.db.engine import Database
from hansa.migrations.schema import metadata

config = context.config


def run_migrations_online() -> None:
    db = config.attributes.get("database")
    if db is None:
        db = Database(config.get_main_option("sqlalchemy.url") or "sqlite:///./hansa.db")
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=db.is_sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()


run_migrations_online()
