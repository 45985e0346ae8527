"""A path's breaker trips by itself on its steps' failure rate, blocks, and recovers half-open."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from tests.integration.automation_helpers import WorkRequested, install, publish, work_path

from hansa.automation import queries
from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.guards import queries as guards
from hansa.kernel.clock import VirtualClock


def statuses(app: Hansa) -> list[str]:
    with app.db.read() as conn:
        return [r.status for r in reversed(queries.runs(conn, path="work"))]


def breaker(app: Hansa) -> tuple[str, int]:
    with app.db.read() as conn:
        found = [b for b in guards.breakers(conn) if b.name == "path:work"]
    return ("none", 0) if not found else (found[0].current_state(app.clock.now()).value,
                                          found[0].trips)


def alerts(app: Hansa) -> list[str]:
    with app.db.read() as conn:
        return [t.rsplit(".", 2)[-2] for t in conn.execute(
            sa.select(outbox.c.type).where(outbox.c.type.like("hansa.guards.breaker_%"))
            .order_by(outbox.c.position)).scalars()]


def work(app: Hansa, *, fail: bool, times: int = 1) -> None:
    for _ in range(times):
        publish(app, WorkRequested(tag="t", steps=1, fail_at=0 if fail else None))
        app.worker.run_until_idle()


def test_too_many_failing_steps_open_the_paths_breaker_and_block_its_runs(
        hansa: Hansa, clock: VirtualClock) -> None:
    install(hansa, work_path())
    work(hansa, fail=False, times=3)
    work(hansa, fail=True, times=3)  # 3 of 6 failed: 50% is not above the 50% bound
    assert breaker(hansa) == ("none", 0)

    work(hansa, fail=True)  # 4 of 7: above
    assert breaker(hansa) == ("open", 1)
    assert alerts(hansa) == ["breaker_tripped"]
    with hansa.db.read() as conn:
        (verdict,) = guards.recent_verdicts(conn, guard="path:work")
    assert verdict["detector"] == "error_rate"
    assert verdict["reason"].startswith("4 of 7 calls failed (57.1%)")

    work(hansa, fail=False)  # a good run is blocked all the same while the breaker is open
    assert statuses(hansa)[-1] == "blocked"

    clock.advance(timedelta(minutes=16))  # cool-down over: half-open, one probe goes through
    assert breaker(hansa) == ("half_open", 1)
    work(hansa, fail=False)
    assert statuses(hansa)[-1] == "completed"
    assert breaker(hansa) == ("closed", 1)
    assert alerts(hansa) == ["breaker_tripped", "breaker_closed"]


def test_failures_spread_beyond_the_window_do_not_trip(hansa: Hansa, clock: VirtualClock) -> None:
    install(hansa, work_path())
    for _ in range(6):
        work(hansa, fail=True)
        clock.advance(timedelta(minutes=4))  # at most 3 failures within any 10 minutes

    assert breaker(hansa) == ("none", 0)
    assert statuses(hansa) == ["failed"] * 6
