"""`hansa suppliers ...`: import supplier files, the integration audit, quarantined documents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hansa.heads.cli.common import ActorOption, DbOption, booted, console, operator

suppliers_app = typer.Typer(help="Supplier integration: imports, audit, quarantine.",
                            no_args_is_help=True)

SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json", ".x12": "x12",
            ".edi": "x12", ".edifact": "edifact"}
CHUNK = 1 << 20


def _format_of(path: Path, given: str | None) -> str:
    if given:
        return given
    if path.suffix.lower() == ".edi" and path.read_bytes()[:3] in (b"UNA", b"UNB"):
        return "edifact"
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise typer.BadParameter(f"cannot tell the format of {path.name}; pass --format")
    return fmt


@suppliers_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the file")],
    supplier: Annotated[str, typer.Option("--supplier", help="supplier code")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="csv, xlsx, x12, edifact or json [default: from the suffix]")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="mapping profile")] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
) -> None:
    """Store the file raw with a receipt, then apply it all or not at all."""
    from hansa.suppliers.messages import ProcessSupplierDocument, ReceiveSupplierDocument

    kind = _format_of(file, fmt)
    size = file.stat().st_size
    with booted(db) as hansa, Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
        console=console, disable=as_json,
    ) as progress:
        task = progress.add_task(f"receiving {file.name}", total=size)

        def chunks() -> Iterator[bytes]:
            with file.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    progress.advance(task, len(chunk))
                    yield chunk

        doc_id = hansa.bus.execute(ReceiveSupplierDocument(
            supplier_code=supplier, format=kind, chunks=chunks(), filename=file.name,
            profile=profile))
        progress.update(task, description=f"applying {file.name}")
        outcome = hansa.bus.execute(ProcessSupplierDocument(document_id=doc_id))
        progress.update(task, description=f"{outcome.status} {file.name}")
    body = {"document_id": outcome.document_id, "status": outcome.status,
            "records": outcome.records, "changes": outcome.changes, "reason": outcome.reason,
            "quarantine_id": outcome.quarantine_id}
    if as_json:
        typer.echo(json.dumps(body))
    else:
        colour = {"applied": "green", "duplicate": "yellow"}.get(outcome.status, "red")
        console.print(f"[{colour}]{outcome.status}[/] {outcome.records} records, "
                      f"{outcome.changes} changes" + (f": {outcome.reason}" if outcome.reason
                                                      else ""))
    if outcome.status == "quarantined":
        raise typer.Exit(2)


def _s(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


@suppliers_app.command("audit")
def audit_command(
    db: DbOption = None,
    supplier: Annotated[str | None, typer.Option("--supplier")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Per supplier and feed: level, latency p50/p95, staleness, error and quarantine rates,
    ranked by what to lift to Level 3 first."""
    from hansa.suppliers.audit import audit

    with booted(db) as hansa, hansa.db.read() as conn:
        feeds = audit(conn, hansa.clock.now(), supplier_code=supplier)
    if as_json:
        typer.echo(json.dumps([f.as_dict() for f in feeds]))
        return
    table = Table("rank", "supplier", "feed", "level", "docs", "p50 s", "p95 s", "stale s",
                  "errors", "quarantined", "lift score", title="Integration latency audit")
    for n, f in enumerate(feeds, start=1):
        table.add_row(str(n), f.supplier_code, f.feed, f"L{f.level}", str(f.documents),
                      _s(f.latency_p50_s), _s(f.latency_p95_s), _s(f.staleness_s),
                      f"{f.error_rate:.1%}", f"{f.quarantine_rate:.1%}", _s(f.lift_score))
    console.print(table)


@suppliers_app.command("quarantine")
def quarantine_command(
    action: Annotated[str, typer.Argument(help="list, approve or reject")] = "list",
    quarantine_id: Annotated[str | None, typer.Argument(help="for approve/reject")] = None,
    db: DbOption = None, actor: ActorOption = "",
) -> None:
    """Quarantined supplier documents: list them, approve (apply) or reject one."""
    from hansa.guards.messages import ApproveQuarantined, RejectQuarantined
    from hansa.suppliers.audit import documents

    if action == "list":
        table = Table("quarantine id", "supplier", "feed", "received", "reason")
        with booted(db) as hansa, hansa.db.read() as conn:
            for d in documents(conn, status="quarantined", limit=200):
                table.add_row(d["quarantine_id"] or "", d["supplier_code"],
                              f"{d['format']}/{d['doc_type']}",
                              d["received_at"].isoformat(timespec="seconds"), d["reason"] or "")
        console.print(table)
        return
    if action not in ("approve", "reject") or not quarantine_id:
        raise typer.BadParameter("use: quarantine list | approve ID | reject ID")
    command = ApproveQuarantined if action == "approve" else RejectQuarantined
    with booted(db) as hansa:
        hansa.bus.execute(command(quarantine_id=quarantine_id, actor=actor or operator()))
    console.print(f"{action}d {quarantine_id}")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@suppliers_app.command("inbox")
def inbox_command(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="inbox folder")],
    supplier: Annotated[str, typer.Option("--supplier", help="supplier code")],
    fmt: Annotated[str | None, typer.Option("--format")] = None,
    profile: Annotated[str | None, typer.Option("--profile")] = None,
    every: Annotated[float, typer.Option(
        "--every", help="poll every N seconds (0: one pass and exit)")] = 0.0,
    db: DbOption = None,
) -> None:
    """Apply every file dropped in FOLDER, oldest first; move each to done/ or quarantined/."""
    import time

    from hansa.suppliers.messages import ProcessSupplierDocument, ReceiveSupplierDocument

    done, held = folder / "done", folder / "quarantined"
    done.mkdir(exist_ok=True)
    held.mkdir(exist_ok=True)
    with booted(db) as hansa:
        while True:
            files = sorted((p for p in folder.iterdir() if p.is_file()
                            and not p.name.startswith(".")),
                           key=lambda p: (p.stat().st_mtime, p.name))
            for path in files:
                doc_id = hansa.bus.execute(ReceiveSupplierDocument(
                    supplier_code=supplier, format=_format_of(path, fmt),
                    chunks=_file_chunks(path), filename=path.name, profile=profile))
                outcome = hansa.bus.execute(ProcessSupplierDocument(document_id=doc_id))
                path.rename((held if outcome.status == "quarantined" else done) / path.name)
                console.print(f"{path.name}: {outcome.status}"
                              + (f" ({outcome.reason})" if outcome.reason else ""))
            if every <= 0:
                return
            time.sleep(every)
