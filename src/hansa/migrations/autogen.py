"""Regenerate the initial migration from the current metadata (only while nothing is released).

    python -m hansa.migrations.autogen
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from hansa.db.engine import Database
from hansa.migrations import HERE, alembic_config

INITIAL = HERE / "versions" / "0001_initial.py"


def main() -> None:
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(alembic_config(db), message="initial schema", autogenerate=True,
                         rev_id="0001")
        db.dispose()
    generated = next((HERE / "versions").glob("0001_*.py"))
    if generated != INITIAL:
        generated.rename(INITIAL)
    print(f"wrote {INITIAL.relative_to(HERE.parent.parent.parent)}")


if __name__ == "__main__":
    main()
