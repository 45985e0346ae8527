"""Benchmark the Hansa server on SQLite and PostgreSQL; write bench/results/ (see README.md)."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markdown import Markdown

import databases
import load
import report
import servers
from scenarios import RunConfig, Ui, bench_database

QUICK_DURATION = 5.0
QUICK_WARMUP = 1.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; see bench/README.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both",
                        help="which database(s) to bench [both]")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_DURATION:g} s phases, {QUICK_WARMUP:g} s warm-up")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds measured per load phase [15, or 5 with --quick]")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of warm-up before each phase [3, or 1 with --quick]")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="open connections during load [16]")
    parser.add_argument("--python-load", action="store_true",
                        help="use the Python load generator even if wrk is installed")
    parser.add_argument("--pg-server", default=databases.PG_SERVER,
                        help=f"PostgreSQL server URL, without database [{databases.PG_SERVER}]")
    parser.add_argument("--keep-db", action="store_true",
                        help="keep the SQLite file and the hansa_bench database afterwards")
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the selected databases, write the results, print the summary; 0 if all ran."""
    args = parse_args(argv)
    console = Console()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    duration = args.duration or (QUICK_DURATION if args.quick else 15.0)
    warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else 3.0)

    use_wrk = not args.python_load and load.ensure_wrk(console.print) is not None
    if not use_wrk:
        console.print("[yellow]wrk is not available: using the Python load generator; its "
                      "figures are bound by the client, not the server[/]")
    cfg = RunConfig(duration=duration, warmup=warmup, concurrency=args.concurrency,
                    use_wrk=use_wrk, keep_db=args.keep_db, pg_server=args.pg_server)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    started = datetime.now(UTC)
    doc: dict[str, Any] = {
        "timestamp": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": report.machine(args.pg_server),
        "config": {"databases": kinds, "duration": duration, "warmup": warmup,
                   "concurrency": args.concurrency,
                   "tool": "wrk" if use_wrk else "python (client-bound)",
                   "wrk_threads": 1 if use_wrk else None},
        "results": {},
        "errors": {},
    }
    m = doc["machine"]
    console.print(f"[bold]Hansa bench[/]: {m['nproc']} CPUs, {m['memory_mb']:,} MB, "
                  f"Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}; "
                  f"{warmup:g} s warm-up + {duration:g} s per phase at concurrency "
                  f"{args.concurrency} with {doc['config']['tool']}")
    workdir = Path(tempfile.mkdtemp(prefix="hansa-bench-"))
    failed = False
    try:
        for kind in kinds:
            try:
                doc["results"][kind] = bench_database(kind, cfg, workdir, Ui(console))
            except Exception as exc:
                failed = True
                doc["errors"][kind] = f"{type(exc).__name__}: {exc}"
                console.print(f"[red]{kind} failed[/]: {traceback.format_exc()}")
    finally:
        servers.stop_all()
        if failed or args.keep_db:
            console.print(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    doc["targets"] = report.targets(doc["results"])
    json_path, md_path = report.write(doc)
    console.rule("[bold]summary")
    console.print(Markdown(md_path.read_text()))
    console.print(f"wrote {json_path} and {md_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
