"""What every `hansa <group> ...` command shares: the options, the console, the operator's
name for the audit trail, and a booted Hansa whose errors become a message and exit 1."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from hansa.bootstrap import Hansa

console = Console()

DbOption = Annotated[str | None, typer.Option(
    "--db", help="database URL [default: $HANSA_DB or sqlite:///./hansa.db]")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
ActorOption = Annotated[str, typer.Option("--actor", help="who decides (for the audit trail)")]


def operator() -> str:
    """Who runs the command, when --actor does not say."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@contextmanager
def booted(db: str | None) -> Iterator[Hansa]:
    """A booted Hansa on `db` (default: the settings'); a HansaError prints its message and
    code and exits 1; the Hansa is closed in any case."""
    from hansa.bootstrap import bootstrap
    from hansa.config import Settings
    from hansa.kernel.errors import HansaError

    hansa = bootstrap(Settings(db=db) if db else Settings())
    try:
        yield hansa
    except HansaError as exc:
        console.print(f"[red]{exc.message}[/] ({exc.code})", highlight=False)
        raise typer.Exit(1) from None
    finally:
        hansa.close()
