"""Server subprocesses for the bench: spawn in their own process group, time start-up, kill."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

POLL_SECONDS = 0.020
BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = REPO / ".venv" / "bin"

_live: list[Server] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_bin() -> str:
    """The venv's Python if there is one, else this interpreter."""
    candidate = VENV_BIN / "python"
    return str(candidate) if candidate.exists() else sys.executable


def hansa_bin() -> str:
    """The `hansa` console script of the venv, else the one on PATH."""
    candidate = VENV_BIN / "hansa"
    return str(candidate) if candidate.exists() else "hansa"


def bench_env() -> dict[str, str]:
    """The environment for servers: no stray HANSA_* settings, the known admin token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANSA_")}
    env["HANSA_ADMIN_TOKEN"] = "hansa-admin"
    env["COLUMNS"] = "200"  # keep Rich from wrapping the server's banner in the log
    return env


@dataclass
class Server:
    """One server process started by the bench, with its log file and start-up timings."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    spawned_at: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        """Spawn the process in a new session (its own process group)."""
        log = self.log_path.open("wb")
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                     env=bench_env(), start_new_session=True, cwd=REPO)
        log.close()
        _live.append(self)

    def wait_for(self, label: str, path: str, headers: dict[str, str] | None = None,
                  timeout: float = 60.0) -> float:
        """Poll `path` every 20 ms until it answers 200; record and return seconds since spawn."""
        deadline = time.perf_counter() + timeout
        with httpx.Client(timeout=5.0) as client:
            while time.perf_counter() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; "
                                       f"log tail:\n{self.log_tail()}")
                try:
                    if client.get(self.base_url + path, headers=headers).status_code == 200:
                        elapsed = time.perf_counter() - self.spawned_at
                        self.timings[label] = elapsed
                        return elapsed
                except httpx.TransportError:
                    pass
                time.sleep(POLL_SECONDS)
        raise TimeoutError(f"{self.name}: no 200 from {path} within {timeout:.0f} s; "
                           f"log tail:\n{self.log_tail()}")

    def memory(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of the server process, in MB."""
        facts: dict[str, float] = {}
        status = Path(f"/proc/{self.pid}/status").read_text()
        for line in status.splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                facts[key.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
        return facts

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL it if it lingers."""
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                _signal_group(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=8)
                except subprocess.TimeoutExpired:
                    _signal_group(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
            # children that outlived the leader, if any
            _signal_group(self.proc.pid, signal.SIGKILL)
        finally:
            if self in _live:
                _live.remove(self)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def machine_cpu() -> tuple[float, float]:
    """Machine-wide (busy, total) CPU seconds since boot, summed over all CPUs, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / ticks, sum(fields[:8]) / ticks


def load_average() -> float:
    """The 1-minute load average: how much else this machine is running."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def stop_all() -> None:
    """Stop every server the bench started and has not stopped yet."""
    for server in list(_live):
        server.stop()


def hansa_server(db_url: str, workdir: Path) -> Server:
    """`hansa serve --db URL --port P`, the real server."""
    port = free_port()
    return Server("hansa", [hansa_bin(), "serve", "--db", db_url, "--port", str(port)], port,
                  workdir / f"hansa-{port}.log")


def bare_server(db_url: str, workdir: Path) -> Server:
    """bench/bare_app.py: one primary-key read per request, the ceiling."""
    port = free_port()
    argv = [python_bin(), str(BENCH_DIR / "bare_app.py"), "--db", db_url, "--port", str(port)]
    return Server("bare", argv, port, workdir / f"bare-{port}.log")


def seed(db_url: str, workdir: Path) -> float:
    """`hansa seed demo --db URL` into an empty database; returns seconds taken."""
    started = time.perf_counter()
    log = workdir / "seed.log"
    with log.open("wb") as out:
        done = subprocess.run([hansa_bin(), "seed", "demo", "--db", db_url], stdout=out,
                              stderr=subprocess.STDOUT, env=bench_env(), cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed ({done.returncode}):\n{log.read_text()[-3000:]}")
    return time.perf_counter() - started
