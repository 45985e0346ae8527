"""The migration history builds exactly the schema the code declares, on both dialects."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hansa import migrations
from hansa.db.engine import Database
from hansa.migrations.schema import metadata


def test_upgrade_to_head_leaves_no_difference_to_the_models(db_url: str) -> None:
    db = Database(db_url)
    migrations.upgrade(db)

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []
    assert migrations.current(db) == "0001"
    db.dispose()


def test_upgrading_twice_changes_nothing(db_url: str) -> None:
    db = Database(db_url)
    migrations.upgrade(db)

    migrations.upgrade(db)

    assert migrations.current(db) == "0001"
    db.dispose()
