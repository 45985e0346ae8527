"""Machine facts, the targets from the issue, and the JSON and Markdown written to results/."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import databases
import load

RESULTS_DIR = Path(__file__).resolve().parent / "results"
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}

PRODUCTS_RPS = 1500.0
PRODUCTS_P99_MS = 50.0
CHECKOUT_OPS = 100.0
CHECKOUT_P99_MS = 300.0
RSS_MB = 200.0
FIRST_REQUEST_S = 3.0
PG_SHARE = 0.5
BUSY_LOADAVG = 1.0


def machine(pg_server: str) -> dict[str, Any]:
    """nproc, memory, CPU model, kernel and the versions of Python, SQLite, PostgreSQL, wrk."""
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "memory_mb": round(mem_kb / 1024),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": databases.sqlite_version(),
        "postgresql": databases.postgres_version(pg_server),
        "wrk": load.wrk_version(),
        "loadavg_1m": float(Path("/proc/loadavg").read_text().split()[0]),
    }


def _ok_rate(section: dict[str, Any], status: int) -> float:
    """Responses per second with `status` (wrk counts them only for checkout)."""
    if section["statuses"]:
        return section["statuses"].get(str(status), 0) / section["duration_s"]
    return (section["requests"] - section["status_errors"]) / section["duration_s"]


def _peak_rss(run: dict[str, Any]) -> float:
    return max(run[phase]["memory"].get("vmhwm_mb", 0.0) for phase in ("products", "checkout"))


def targets(runs: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """Each target of the issue with the measured figure and PASS, MISS or n/a."""
    rows: list[dict[str, str]] = []

    def add(target: str, measured: str | None, ok: bool | None) -> None:
        verdict = "n/a" if ok is None else ("PASS" if ok else "MISS")
        rows.append({"target": target, "measured": measured or "not run", "verdict": verdict})

    sq, pg = runs.get("sqlite"), runs.get("postgres")
    if sq:
        p, c = sq["products"], sq["checkout"]
        add(f"SQLite product listing >= {PRODUCTS_RPS:.0f} req/s", f"{p['rps']:,.0f} req/s",
            _ok_rate(p, 200) >= PRODUCTS_RPS and p["socket_errors"] == 0)
        add(f"SQLite product listing p99 < {PRODUCTS_P99_MS:.0f} ms", f"{p['p99_ms']:.1f} ms",
            p["p99_ms"] < PRODUCTS_P99_MS)
        add(f"SQLite checkout >= {CHECKOUT_OPS:.0f} orders/s",
            f"{c['orders_per_s']:,.1f} orders/s", c["orders_per_s"] >= CHECKOUT_OPS)
        add(f"SQLite checkout p99 < {CHECKOUT_P99_MS:.0f} ms", f"{c['p99_ms']:.1f} ms",
            c["p99_ms"] < CHECKOUT_P99_MS)
    else:
        for label in ("SQLite product listing", "SQLite checkout"):
            add(label, None, None)
    for kind, run in (("sqlite", sq), ("postgres", pg)):
        if not run:
            continue
        name = NAMES[kind]
        rss = _peak_rss(run)
        add(f"{name} server RSS < {RSS_MB:.0f} MB (VmHWM peak)", f"{rss:.0f} MB", rss < RSS_MB)
        first = run["startup"]["first_products_s"]
        add(f"{name} first request answered < {FIRST_REQUEST_S:.0f} s after spawn",
            f"{first:.2f} s", first < FIRST_REQUEST_S)
    if sq and pg:
        share_p = _ok_rate(pg["products"], 200) / max(_ok_rate(sq["products"], 200), 1e-9)
        share_c = pg["checkout"]["orders_per_s"] / max(sq["checkout"]["orders_per_s"], 1e-9)
        add(f"PostgreSQL product listing >= {PG_SHARE:.0%} of SQLite", f"{share_p:.0%}",
            share_p >= PG_SHARE)
        add(f"PostgreSQL checkout >= {PG_SHARE:.0%} of SQLite", f"{share_c:.0%}",
            share_c >= PG_SHARE)
    else:
        add(f"PostgreSQL throughput >= {PG_SHARE:.0%} of SQLite", None, None)
    return rows


def _non_ok(section: dict[str, Any], ok: int) -> str:
    parts = [f"{code}: {n}" for code, n in sorted(section["statuses"].items()) if code != str(ok)]
    if not section["statuses"] and section["status_errors"]:
        parts.append(f">=400: {section['status_errors']}")
    if section["socket_errors"]:
        parts.append(f"socket: {section['socket_errors']}")
    return ", ".join(parts) or "none"


def _cpu_ms(section: dict[str, Any]) -> str:
    """Server CPU milliseconds per request: steadier than req/s when the machine is shared."""
    return f"{1000 * section['server_cpu_s'] / max(section['requests'], 1):.2f}"


def _metric_rows(run: dict[str, Any]) -> dict[str, str]:
    p, c, b = run["products"], run["checkout"], run["bare"]
    mem = f"{c['memory'].get('vmrss_mb', 0):.0f} / {_peak_rss(run):.0f} MB"
    return {
        "seed (hansa seed demo)": f"{run['seed_s']:.1f} s",
        "start-up: spawn to /healthz 200": f"{run['startup']['healthz_s']:.2f} s",
        "start-up: spawn to first /store/products 200":
            f"{run['startup']['first_products_s']:.2f} s",
        "products: req/s": f"{p['rps']:,.0f}",
        "products: p50 / p99": f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} ms",
        "products: errors": _non_ok(p, 200),
        "products: share of ceiling": f"{p['rps'] / max(b['rps'], 1e-9):.0%}",
        "checkout: orders/s (201s)": f"{c['orders_per_s']:,.1f}",
        "checkout: p50 / p99": f"{c['p50_ms']:.1f} / {c['p99_ms']:.1f} ms",
        "checkout: non-201 by status": _non_ok(c, 201),
        "checkout: orders created (admin total delta)": f"{c['orders_created']:,}",
        "checkout: share of ceiling": f"{c['orders_per_s'] / max(b['rps'], 1e-9):.1%}",
        "ceiling (bare PK read): req/s": f"{b['rps']:,.0f}",
        "ceiling: p50 / p99": f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f} ms",
        "server CPU busy (products / checkout / ceiling)":
            f"{p['server_cores_busy']:.2f} / {c['server_cores_busy']:.2f} / "
            f"{b['server_cores_busy']:.2f} cores",
        "server CPU per request (products / checkout / ceiling)":
            f"{_cpu_ms(p)} / {_cpu_ms(c)} / {_cpu_ms(b)} ms",
        "machine CPU busy, all processes (same phases)":
            f"{p['machine_cores_busy']:.2f} / {c['machine_cores_busy']:.2f} / "
            f"{b['machine_cores_busy']:.2f} of {os.cpu_count()} cores",
        "1-min load average before each phase (same phases)":
            f"{p['loadavg_1m'][0]:.1f} / {c['loadavg_1m'][0]:.1f} / {b['loadavg_1m'][0]:.1f}",
        "server RSS after products": f"{p['memory'].get('vmrss_mb', 0):.0f} MB",
        "server RSS after checkout / VmHWM peak": mem,
        "database size after run": f"{run.get('db_size_mb') or 0:.0f} MB",
    }


def markdown(doc: dict[str, Any]) -> str:
    """The summary: machine line, one table of figures per database, one table of targets."""
    m, cfg, runs = doc["machine"], doc["config"], doc["results"]
    kinds = [k for k in ("sqlite", "postgres") if k in runs]
    lines = [
        f"# Hansa bench — {doc['timestamp']}",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_mb']:,} MB RAM, "
        f"kernel {m['kernel']}; Python {m['python']}, SQLite {m['sqlite']}, "
        f"PostgreSQL {m['postgresql'] or 'n/a'}; load generator: {cfg['tool']}.",
        f"Load: concurrency {cfg['concurrency']}, {cfg['warmup']:g} s warm-up then "
        f"{cfg['duration']:g} s measured per phase; client and server share the machine.",
        f"1-min load average when the run started: {m['loadavg_1m']:.1f}.",
        "",
    ]
    if m["loadavg_1m"] > BUSY_LOADAVG:
        lines += [f"**Other work was running on this machine (load average above "
                  f"{BUSY_LOADAVG:g}): treat the figures as noisy; the shares of the ceiling, "
                  "measured in the same minute, are the steadier comparison.**", ""]
    if cfg["tool"] != "wrk":
        lines += ["**The Python load generator was used: figures are bound by the client.**", ""]
    if kinds:
        rows = {k: _metric_rows(runs[k]) for k in kinds}
        lines.append("| metric | " + " | ".join(NAMES[k] for k in kinds) + " |")
        lines.append("| --- |" + " --- |" * len(kinds))
        for metric in rows[kinds[0]]:
            lines.append(f"| {metric} | " + " | ".join(rows[k][metric] for k in kinds) + " |")
        lines.append("")
    lines += ["| target | measured | verdict |", "| --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['measured']} | **{t['verdict']}** |"
              for t in doc["targets"]]
    for kind, error in doc.get("errors", {}).items():
        lines += ["", f"**{NAMES.get(kind, kind)} failed:** `{error}`"]
    return "\n".join(lines) + "\n"


def write(doc: dict[str, Any]) -> tuple[Path, Path]:
    """Write results/<timestamp>.json, results/latest.json and results/latest.md."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = doc["timestamp"].replace(":", "").replace("-", "")
    json_path = RESULTS_DIR / f"bench-{stamp}.json"
    text = json.dumps(doc, indent=2, default=str)
    json_path.write_text(text + "\n")
    (RESULTS_DIR / "latest.json").write_text(text + "\n")
    md_path = RESULTS_DIR / "latest.md"
    md_path.write_text(markdown(doc))
    return json_path, md_path
