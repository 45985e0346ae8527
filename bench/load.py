"""The load generator: wrk with Lua scripts, or the Python fallback when wrk is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
WRK_TIMEOUT = "10s"
Tick = Callable[[float], None]


@dataclass(frozen=True)
class LoadSpec:
    """What to send: GET a URL, or POST checkouts with round-robin SKUs."""

    label: str
    url: str
    duration: float
    concurrency: int = 16
    headers: dict[str, str] = field(default_factory=dict)
    checkout_skus: tuple[str, ...] = ()

    @property
    def is_checkout(self) -> bool:
        return bool(self.checkout_skus)


@dataclass
class LoadResult:
    """What came back: rates, latency percentiles (ms), status counts, socket errors."""

    label: str
    tool: str
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    socket_errors: int
    status_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def count(self, status: int) -> int:
        return self.statuses.get(str(status), 0)

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"rps": round(self.rps, 1)}


def wrk_path() -> str | None:
    return shutil.which("wrk")


def ensure_wrk(log: Callable[[str], None]) -> str | None:
    """Find wrk; as root, apt-get install it (updating the index if the first try fails)."""
    found = wrk_path()
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("wrk not found; installing it with apt-get")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "wrk"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    if subprocess.run(install, check=False, **quiet).returncode != 0:  # type: ignore[call-overload]
        subprocess.run(["apt-get", "update"], check=False, **quiet)  # type: ignore[call-overload]
        subprocess.run(install, check=False, **quiet)  # type: ignore[call-overload]
    return wrk_path()


def wrk_version() -> str | None:
    """wrk's version line, e.g. 'wrk debian/4.1.0-3+b2 [epoll]'."""
    path = wrk_path()
    if not path:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else None


def run_load(spec: LoadSpec, tick: Tick | None = None, use_wrk: bool = True) -> LoadResult:
    """Run one timed load phase with wrk if it is available, else with the Python generator."""
    if use_wrk and wrk_path():
        return _run_wrk(spec, tick)
    import pyload

    return pyload.run(spec, tick)


def _script_for(spec: LoadSpec, workdir: Path) -> Path:
    parts = [(LUA_DIR / "summary.lua").read_text()]
    if spec.is_checkout:
        parts.append((LUA_DIR / "checkout.lua").read_text())
    script = workdir / ("checkout.lua" if spec.is_checkout else "summary.lua")
    script.write_text("\n".join(parts))
    return script


def _run_wrk(spec: LoadSpec, tick: Tick | None) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="hansa-wrk-") as tmp:
        script = _script_for(spec, Path(tmp))
        argv = [wrk_path() or "wrk", "-t1", f"-c{spec.concurrency}", f"-d{spec.duration:g}s",
                f"--timeout={WRK_TIMEOUT}", "-s", str(script)]
        for name, value in spec.headers.items():
            argv += ["-H", f"{name}: {value}"]
        argv.append(spec.url)
        if spec.is_checkout:
            argv += ["--", uuid.uuid4().hex[:12], ",".join(spec.checkout_skus)]
        out = _wait_with_ticks(argv, tick)
    line = next((x for x in reversed(out.splitlines()) if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary for {spec.label}:\n{out[-2000:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    errors = raw["errors"]
    statuses = {str(k): int(v) for k, v in raw["statuses"].items()}
    return LoadResult(
        label=spec.label, tool="wrk", requests=raw["requests"],
        duration_s=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000, p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000, max_ms=raw["max_us"] / 1000,
        statuses=statuses,
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        status_errors=errors["status"],
    )


def _wait_with_ticks(argv: list[str], tick: Tick | None) -> str:
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            while proc.poll() is None:
                if tick:
                    tick(time.perf_counter() - started)
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}:\n{text[-2000:]}")
    return text
