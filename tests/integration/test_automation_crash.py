"""Durability of automation runs: random crash points (property test), real kill -9 of worker
processes, two workers sharing one database (and NATS), and `hansa worker`'s clean stop.

HANSA_PROPERTY_EXAMPLES (default 20) and HANSA_KILL_TIMES (default 10 per dialect, about 25 s
each: a worker start costs a second of imports) raise the effort, e.g. HANSA_KILL_TIMES=50.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.conftest import NATS_URL, _reset_postgres, require_service
from tests.integration.automation_helpers import (
    Crasher,
    SimulatedCrash,
    WorkRequested,
    duplicate_step_events,
    duplicates,
    expected_ledger,
    expected_status,
    install,
    ledger_by_worker,
    ledger_rows,
    outbox_position,
    publish,
    redeliver_everything,
    work_path,
)
from tests.integration.bus_helpers import FAST, _delete_stream

from hansa import migrations
from hansa.automation import queries
from hansa.automation.engine import Engine
from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.dead_letters import list_dead_letters
from hansa.bus.deliveries import LEASE, DeliveryWorker
from hansa.bus.dispatcher import Dispatcher
from hansa.bus.messagebus import MessageBus
from hansa.bus.relay import Relay
from hansa.bus.worker import BusWorker
from hansa.config import Settings
from hansa.db.engine import Database
from hansa.kernel.clock import VirtualClock

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("HANSA_PROPERTY_EXAMPLES", "20"))
KILL_TIMES = int(os.environ.get("HANSA_KILL_TIMES", "10"))
_tags = itertools.count()

RunSpec = tuple[int, int | None]  # (steps, fail_at)
run_specs = st.integers(1, 4).flatmap(
    lambda n: st.tuples(st.just(n), st.one_of(st.none(), st.integers(0, n - 1))))


def runs_by_tag(app: Hansa, prefix: str, path: str = "work") -> dict[str, queries.RunRecord]:
    with app.db.read() as conn:
        found = queries.runs(conn, path=path, limit=10_000)
    return {r.trigger_data["tag"]: r for r in found if r.trigger_data["tag"].startswith(prefix)}


def assert_exactly_once(app: Hansa, prefix: str, specs: dict[str, RunSpec],
                        path: str = "work") -> None:
    """One run per trigger, in its expected end state; each side effect once, undos reversed."""
    runs = runs_by_tag(app, prefix, path)
    assert sorted(runs) == sorted(specs)
    ledger = [(tag, step, kind) for tag, step, kind, _ in ledger_rows(app.db)]
    for tag, (steps, fail_at) in specs.items():
        assert runs[tag].status == expected_status(fail_at), (tag, runs[tag].error)
        assert [row for row in ledger if row[0] == tag] == expected_ledger(tag, steps, fail_at)
    assert list_dead_letters(app.bus) == []


# random crash points --------------------------------------------------------------------------
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(run_specs, min_size=1, max_size=4),
       in_commands=st.sets(st.integers(1, 8), max_size=3),
       after_commits=st.sets(st.integers(1, 12), max_size=4),
       duplicate=st.booleans())
def test_each_side_effect_happens_once_whatever_the_crash_points(
        db_url: str, clock: VirtualClock, specs: list[RunSpec], in_commands: set[int],
        after_commits: set[int], duplicate: bool) -> None:
    prefix = f"p{next(_tags)}-{uuid.uuid4().hex[:6]}-"
    tagged = {f"{prefix}{i}": spec for i, spec in enumerate(specs)}
    crasher = Crasher(in_commands=in_commands, after_commits=after_commits)
    # A path of its own per example: the examples share one database and a clock that barely
    # moves, so the failures the examples ask for would add up in one path's error-rate
    # breaker (ADR 17) until it blocks a run the example expects to complete.
    path = f"work-{prefix[:-1]}"

    def start() -> Hansa:
        app = bootstrap(Settings(db=db_url, bus="memory"), clock=clock, migrate=True, retry=FAST)
        install(app, work_path(path), crasher=crasher)
        return app

    app = start()
    since = outbox_position(app)  # the database is shared by the examples of one dialect
    publish(app, *(WorkRequested(tag=tag, steps=n, fail_at=f) for tag, (n, f) in tagged.items()))
    crasher.armed = True
    for _ in range(len(in_commands) + len(after_commits) + 1):
        try:
            app.worker.run_until_idle()
            break
        except SimulatedCrash:  # the process died mid-way: restart once its leases ran out
            app.close()
            clock.advance(LEASE + timedelta(seconds=1))
            app = start()
    crasher.armed = False
    event(f"crashes and restarts: {crasher.crashes}")
    try:
        if duplicate:
            redeliver_everything(app, since)
            duplicate_step_events(app, since)
            app.worker.run_until_idle()
        assert_exactly_once(app, prefix, tagged, path)
    finally:
        app.close()


# kill -9 ------------------------------------------------------------------------------------
def _wait_for_line(child: subprocess.Popen[str], text: str, timeout: float = 120) -> None:
    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()):
                line = child.stdout.readline()
                if text in line:
                    return
                if not line:
                    break
    stderr = child.stderr.read() if child.stderr else ""
    raise AssertionError(f"worker never said {text!r}; stderr: {stderr}")


def _spawn(url: str, life: int, stream: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
           "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.automation_worker", url, str(life),
         *([stream] if stream else [])],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_line(child, "worker ready")
    return child


def _unfinished(app: Hansa, statuses: tuple[str, ...] = ("pending", "running",
                                                         "compensating")) -> int:
    with app.db.read() as conn:
        counts = queries.counts_by_status(conn, path="work")
    return sum(n for status, n in counts.items() if status in statuses)


def _wait_for_progress(app: Hansa, done: int) -> None:
    """Until the worker has made a side effect beyond the first `done` (a liveness bound)."""
    for _ in range(6000):
        if len(ledger_rows(app.db)) > done:
            return
        time.sleep(0.01)
    raise AssertionError("the worker made no progress")


def test_killing_workers_at_random_moments_applies_every_step_once(
        db_url: str, clock: VirtualClock) -> None:
    _kill_and_restart(db_url, clock, stream=None)


@pytest.mark.postgres
@pytest.mark.nats
def test_killing_workers_on_nats_applies_every_step_once(
        pg_database: str, clock: VirtualClock) -> None:
    """As above with the relay and consumers on JetStream: a killed worker's unacked messages
    are redelivered (after 2 s here) to the next worker, whose inbox dedupes what had committed."""
    require_service("NATS JetStream", "127.0.0.1", 4222)
    _reset_postgres(pg_database)
    stream = f"K{uuid.uuid4().hex[:10].upper()}"
    try:
        _kill_and_restart(pg_database, clock, stream=stream)
    finally:
        asyncio.run(_delete_stream(NATS_URL, stream))


def _kill_and_restart(db_url: str, clock: VirtualClock, *, stream: str | None) -> None:
    rng = random.Random(os.environ.get("HANSA_KILL_SEED", "hansa"))
    app = bootstrap(Settings(db=db_url, bus="memory"), clock=clock, migrate=True)
    install(app, work_path())  # the parent only publishes and counts; workers do the runs
    specs: dict[str, RunSpec] = {}
    mid_run = 0  # kills that left a run part-way through its steps or compensations
    try:
        for life in range(KILL_TIMES):
            batch = {f"k{life}-{i}": (4, 2 if i == 0 else None) for i in range(4)}
            specs.update(batch)
            publish(app, *(WorkRequested(tag=t, steps=n, fail_at=f) for t, (n, f) in batch.items()))
            done = len(ledger_rows(app.db))
            child = _spawn(app.settings.db, life + 1, stream)
            _wait_for_progress(app, done)
            time.sleep(rng.uniform(0.0, 0.15))
            child.send_signal(signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
            mid_run += _unfinished(app, ("running", "compensating")) > 0
        survivor = _spawn(app.settings.db, KILL_TIMES + 1, stream)
        for _ in range(600):  # a liveness bound, not a timing assertion
            if _unfinished(app) == 0 and len(runs_by_tag(app, "k")) == len(specs):
                break
            time.sleep(0.1)
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
        assert_exactly_once(app, "k", specs)
        assert duplicates(app.db) == 0
        lives = sorted(ledger_by_worker(app.db).items())
        print(f"\nkill -9 on {app.db.dialect}{' + NATS' if stream else ''}: {KILL_TIMES} kills "
              f"({mid_run} mid-run), {len(specs)} runs, {len(ledger_rows(app.db))} side "
              f"effects, {duplicates(app.db)} duplicates; side effects by life: {lives}")
    finally:
        app.close()


# two workers on one database ----------------------------------------------------------------
@pytest.fixture
def pg_url(pg_database: str) -> str:
    _reset_postgres(pg_database)
    return pg_database


def _nats_app(url: str, clock: VirtualClock, stream: str) -> Hansa:
    """A Hansa on JetStream with its own stream and subjects (wired as bootstrap does)."""
    from hansa.bus.backends.nats import NatsTransport

    db = Database(url)
    bus = MessageBus(db, clock)
    engine = Engine(bus)
    dispatcher = Dispatcher(bus, FAST)
    transport = NatsTransport(bus, dispatcher, NATS_URL, stream=stream,
                              subject_prefix=stream.lower())
    worker = BusWorker(Relay(bus, transport), DeliveryWorker(bus, dispatcher), transport)
    return Hansa(settings=Settings(db=url, bus="nats", nats_url=NATS_URL), db=db, clock=clock,
                 bus=bus, dispatcher=dispatcher, transport=transport, worker=worker,
                 engine=engine)


def _share(apps: list[Hansa], specs: dict[str, RunSpec]) -> None:
    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def work(app: Hansa) -> None:
        try:
            barrier.wait()
            for _ in range(2000):
                app.worker.run_until_idle()
                if len(runs_by_tag(app, "w")) == len(specs) and _unfinished(app) == 0:
                    return
            raise AssertionError("the runs did not finish")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.postgres
@pytest.mark.parametrize("transport", ["memory", pytest.param("nats", marks=pytest.mark.nats)])
def test_two_workers_share_the_runs_and_never_both_run_a_step(
        pg_url: str, clock: VirtualClock, transport: str) -> None:
    schema = Database(pg_url)
    migrations.upgrade(schema)  # once, before two processes' worth of workers start
    schema.dispose()
    stream = f"A{uuid.uuid4().hex[:10]}"
    build: Callable[[], Hansa]
    if transport == "nats":
        require_service("NATS JetStream", "127.0.0.1", 4222)
        build = lambda: _nats_app(pg_url, clock, stream)  # noqa: E731
    else:
        build = lambda: bootstrap(Settings(db=pg_url), clock=clock, retry=FAST)  # noqa: E731
    apps = [build(), build()]
    for name, app in zip(("one", "two"), apps, strict=True):
        install(app, work_path(), worker=name)
        app.transport.start()
    specs = {f"w{i}": (3, 1 if i % 5 == 0 else None) for i in range(40)}
    try:
        publish(apps[0], *(WorkRequested(tag=t, steps=n, fail_at=f) for t, (n, f) in specs.items()))
        _share(apps, specs)

        assert_exactly_once(apps[0], "w", specs)
        assert duplicates(apps[0].db) == 0
        by_worker = ledger_by_worker(apps[0].db)
        print(f"\ntwo workers ({transport}): side effects by worker {dict(by_worker)}")
        assert sum(by_worker.values()) == 32 * 3 + 8 * 2  # 32 clean runs, 8 do-then-undo
    finally:
        for app in apps:
            app.close()
        if transport == "nats":
            asyncio.run(_delete_stream(NATS_URL, stream))


# the worker command -------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_command_stops_cleanly_on_a_signal(sqlite_url: str, signum: int,
                                                      tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "hansa.cli", "worker", "--db", sqlite_url],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    _wait_for_line(child, "worker ready")

    child.send_signal(signum)
    out, err = child.communicate(timeout=30)

    assert child.returncode == 0, err
    assert "worker stopped" in out

