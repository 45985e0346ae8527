"""Durability of the bus on both databases: what was committed survives restarts and crashes,
and concurrent workers on PostgreSQL deliver each event exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import _reset_postgres
from tests.integration.bus_helpers import (
    FAST,
    Fault,
    Pinged,
    create_effects_table,
    drain_worker,
    effect_rows,
    effects,
    inbox_rows,
    recording_handler,
    unrelayed_count,
)

from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.dead_letters import list_dead_letters
from hansa.bus.dispatcher import Outcome, RetryPolicy
from hansa.bus.unit_of_work import UnitOfWork
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock

REPO = Path(__file__).resolve().parents[2]
Boot = Callable[..., Hansa]


@pytest.fixture
def boot(clock: VirtualClock) -> Iterator[Boot]:
    """Start a Hansa on a URL (a process start); every one started is closed at teardown."""
    started: list[Hansa] = []

    def start(url: str, *, retry: RetryPolicy = FAST) -> Hansa:
        app = bootstrap(Settings(db=url, bus="memory"), clock=clock, migrate=True, retry=retry)
        create_effects_table(app.db)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()


def _commit(app: Hansa, *events: Pinged, deliver_at: datetime | None = None) -> list[str]:
    with app.bus.uow() as uow:
        for event in events:
            uow.record(event, deliver_at=deliver_at)
        uow.commit()
    return [envelope.id for envelope in uow.envelopes]


# restarts -----------------------------------------------------------------------------------
def test_a_crash_between_commit_and_relay_loses_no_event(db_url: str, boot: Boot) -> None:
    calls: list[tuple[str, int]] = []
    first = boot(db_url)
    _commit(first, Pinged(n=1), Pinged(n=2))
    first.db.dispose()  # the process goes away before its relay ran

    restarted = boot(db_url)
    restarted.bus.subscribe(Pinged, "audit", recording_handler("audit", calls))
    assert unrelayed_count(restarted.db) == 2
    drain_worker(restarted.worker)

    assert effect_rows(restarted.db) == [("audit", 1), ("audit", 2)]
    assert calls == [("audit", 1), ("audit", 2)]
    assert unrelayed_count(restarted.db) == 0


def test_a_relayed_but_undelivered_event_survives_a_restart(db_url: str, boot: Boot) -> None:
    calls: list[tuple[str, int]] = []
    first = boot(db_url)
    first.bus.subscribe(Pinged, "audit", recording_handler("audit", []))
    _commit(first, Pinged(n=3))
    assert first.worker.relay.relay_once() == 1
    first.db.dispose()  # gone after the relay, before any consumer ran

    restarted = boot(db_url)
    restarted.bus.subscribe(Pinged, "audit", recording_handler("audit", calls))
    drain_worker(restarted.worker)

    assert calls == [("audit", 3)]
    assert effect_rows(restarted.db) == [("audit", 3)]


def test_a_durable_timer_fires_after_a_restart(db_url: str, boot: Boot,
                                               clock: VirtualClock) -> None:
    calls: list[tuple[str, int]] = []
    first = boot(db_url)
    _commit(first, Pinged(n=4), deliver_at=clock.now() + timedelta(hours=48))
    first.db.dispose()

    restarted = boot(db_url)
    restarted.bus.subscribe(Pinged, "reship-release", recording_handler("reship-release", calls))
    drain_worker(restarted.worker)
    assert calls == []

    clock.advance(timedelta(hours=48))
    drain_worker(restarted.worker)
    assert calls == [("reship-release", 4)]


def test_retry_attempts_are_counted_across_a_restart(db_url: str, boot: Boot,
                                                     clock: VirtualClock) -> None:
    policy = RetryPolicy(max_attempts=3, base=timedelta(minutes=1), factor=4)
    first = boot(db_url, retry=policy)
    first.bus.subscribe(Pinged, "flaky", recording_handler("flaky", [], Fault(RuntimeError)))
    _commit(first, Pinged(n=5))
    drain_worker(first.worker)  # attempt 1 fails; attempt 2 is due in a minute
    first.db.dispose()

    calls: list[tuple[str, int]] = []
    restarted = boot(db_url, retry=policy)
    restarted.bus.subscribe(Pinged, "flaky",
                            recording_handler("flaky", calls, Fault(RuntimeError)))
    clock.advance(timedelta(minutes=1))
    drain_worker(restarted.worker)
    clock.advance(timedelta(minutes=4))
    drain_worker(restarted.worker)

    assert calls == [("flaky", 5), ("flaky", 5)]
    [letter] = list_dead_letters(restarted.bus)
    assert letter.attempts == 3


# a real crash -------------------------------------------------------------------------------
CRASHING_CHILD = textwrap.dedent(
    """
    import os, signal, sys

    from hansa.bootstrap import bootstrap
    from hansa.config import Settings
    from hansa.kernel.clock import VirtualClock
    from tests.integration.bus_helpers import Pinged

    app = bootstrap(Settings(db=sys.argv[1], bus="memory"), clock=VirtualClock(), migrate=True)
    with app.bus.uow() as uow:
        for n in range(3):
            uow.record(Pinged(n=n))
        uow.commit()
    print("committed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no relay, no clean shutdown
    """
)


def test_events_committed_by_a_killed_process_are_delivered_exactly_once(
    db_url: str, boot: Boot
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])}
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_CHILD, db_url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout == "committed\n"

    calls: list[tuple[str, int]] = []
    survivor = boot(db_url)
    survivor.bus.subscribe(Pinged, "audit", recording_handler("audit", calls))
    survivor.bus.subscribe(Pinged, "ledger", recording_handler("ledger", calls))
    assert unrelayed_count(survivor.db) == 3
    drain_worker(survivor.worker)
    drain_worker(survivor.worker)  # a second drain finds nothing more to do

    expected = sorted([("audit", n) for n in range(3)] + [("ledger", n) for n in range(3)])
    assert sorted(calls) == expected
    assert sorted(effect_rows(survivor.db)) == expected
    assert len(inbox_rows(survivor.db)) == 6


# concurrent workers (PostgreSQL row locks) -------------------------------------------------
@pytest.fixture
def pg_url(pg_database: str) -> str:
    _reset_postgres(pg_database)
    return pg_database


@pytest.mark.postgres
def test_two_workers_draining_concurrently_deliver_each_event_once(
    pg_url: str, boot: Boot
) -> None:
    calls: list[tuple[str, int]] = []
    apps = [boot(pg_url), boot(pg_url)]  # two processes' worth of engine, bus, relay, worker
    for app in apps:
        for name in ("audit", "ledger"):
            app.bus.subscribe(Pinged, name, recording_handler(name, calls))
    for batch in range(20):
        _commit(apps[0], *[Pinged(n=batch * 10 + i) for i in range(10)])

    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def work(app: Hansa) -> None:
        try:
            barrier.wait()
            for _ in range(500):
                app.worker.run_until_idle()
                if not unrelayed_count(app.db) and not app.worker.deliveries.pending():
                    return
            raise AssertionError("the bus did not drain")
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    expected = sorted((name, n) for name in ("audit", "ledger") for n in range(200))
    assert sorted(calls) == expected
    assert sorted(effect_rows(apps[0].db)) == expected
    assert len(inbox_rows(apps[0].db)) == 400
    assert list_dead_letters(apps[0].bus) == []


@pytest.mark.postgres
def test_two_workers_racing_on_one_event_apply_it_once(pg_url: str, boot: Boot) -> None:
    """The second worker's inbox row waits for the first one's commit, then is a duplicate:
    the handler runs once, not twice with one rolled back."""
    app = boot(pg_url)
    first_inside = threading.Event()
    release = threading.Event()
    handled: list[int] = []

    def racing(event: Pinged, uow: UnitOfWork) -> None:
        handled.append(event.n)
        uow.conn.execute(effects.insert().values(consumer="race", n=event.n))
        first_inside.set()
        release.wait(timeout=30)  # hold the transaction open while the other worker tries

    app.bus.subscribe(Pinged, "race", racing)
    with app.bus.uow() as uow:
        uow.record(Pinged(n=1))
        uow.commit()
    [envelope] = uow.envelopes
    outcomes: list[Outcome] = []

    def attempt() -> None:
        outcomes.append(app.dispatcher.attempt(app.bus.consumer("race"), envelope, 1).outcome)

    first = threading.Thread(target=attempt)
    first.start()
    assert first_inside.wait(timeout=30)
    second = threading.Thread(target=attempt)
    second.start()
    second.join(timeout=1)  # still waiting on the first worker's uncommitted inbox row
    assert second.is_alive() and outcomes == []
    release.set()
    first.join()
    second.join()

    assert sorted(o.value for o in outcomes) == ["duplicate", "handled"]
    assert handled == [1]
    assert effect_rows(app.db) == [("race", 1)]
    assert inbox_rows(app.db) == [("race", envelope.id)]


# failure hooks ------------------------------------------------------------------------------
def test_a_failure_hook_keeps_its_writes_while_the_failed_attempt_is_undone(
        db_url: str, boot: Boot) -> None:
    app = boot(db_url)
    heard: list[str] = []

    def failing(event: Pinged, uow: UnitOfWork) -> None:
        uow.conn.execute(effects.insert().values(consumer="handler", n=event.n))
        raise RuntimeError("endpoint down")

    def on_failure(event: Pinged, exc: Exception, uow: UnitOfWork) -> None:
        heard.append(str(exc))
        uow.conn.execute(effects.insert().values(consumer="hook", n=event.n))

    def broken_hook(event: Pinged, exc: Exception, uow: UnitOfWork) -> None:
        uow.conn.execute(effects.insert().values(consumer="broken-hook", n=event.n))
        raise ValueError("the hook itself fails")

    app.bus.subscribe(Pinged, "calls", failing, on_failure=on_failure)
    app.bus.subscribe(Pinged, "calls-2", failing, on_failure=broken_hook)
    _commit(app, Pinged(n=7))
    for _ in range(FAST.max_attempts + 1):  # FAST retries at once
        drain_worker(app.worker)

    assert heard == ["endpoint down"] * FAST.max_attempts
    # every attempt's handler writes were undone; the hook's stayed (the broken one's went)
    assert sorted(effect_rows(app.db)) == [("hook", 7)] * FAST.max_attempts
    assert sorted(d.consumer for d in list_dead_letters(app.bus)) == ["calls", "calls-2"]
