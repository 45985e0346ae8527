"""The automation engine on both databases: runs, conditions, edges, guards, compensation,
redelivery, schedules, timers and dry runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from tests.integration.automation_helpers import (
    DoEffect,
    LevelReported,
    WorkRequested,
    alarm_path,
    duplicate_step_events,
    effect_rows,
    hourly_path,
    install,
    ledger_rows,
    publish,
    redeliver_everything,
    work_path,
)

from hansa.automation import queries
from hansa.automation.messages import CancelRun, ResumeRun
from hansa.automation.model import After, Decision, Path, Schedule, StepSpec
from hansa.automation.store import edges
from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.dead_letters import list_dead_letters
from hansa.bus.store import outbox
from hansa.config import Settings
from hansa.guards import breakers
from hansa.guards.messages import EngageKillSwitch, ReleaseKillSwitch
from hansa.guards.model import Verdict
from hansa.guards.queries import recent_verdicts
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import Conflict


@pytest.fixture
def app(hansa: Hansa) -> Hansa:
    install(hansa, work_path(breakers=("feed:acme:price",)), alarm_path(),
            alarm_path("level-watch", edge=False))
    return hansa


def drain(app: Hansa) -> None:
    app.worker.run_until_idle()


def only_run(app: Hansa, path: str = "work") -> queries.RunRecord:
    with app.db.read() as conn:
        [summary] = queries.runs(conn, path=path)
        return queries.run(conn, summary.id)


def run_count(app: Hansa, path: str) -> int:
    with app.db.read() as conn:
        return len(queries.runs(conn, path=path))


def keys(run: queries.RunRecord) -> list[str]:
    return [f"run:{run.id}:{i}" for i in range(len(run.steps))]


def event_types(app: Hansa) -> list[str]:
    with app.db.read() as conn:
        return list(conn.execute(sa.select(outbox.c.type).order_by(outbox.c.position)).scalars())


# runs -----------------------------------------------------------------------------------------
def test_a_trigger_runs_every_step_once_and_completes(app: Hansa) -> None:
    [event_id] = publish(app, WorkRequested(tag="a", steps=3))

    drain(app)

    run = only_run(app)
    assert (run.status, run.trigger_id, run.trigger_type) == (
        "completed", event_id, WorkRequested.event_type())
    assert run.inputs == {"tag": "a", "steps": 3, "fail_at": None, "wait_seconds": 0}
    assert run.reasons == ["no condition", "3 writes requested"]
    assert [s.status for s in run.steps] == ["completed"] * 3
    assert [s.idempotency_key for s in run.steps] == keys(run)
    assert [s.result for s in run.steps] == [{"tag": "a", "step": i} for i in range(3)]
    assert ledger_rows(app.db) == [("a", i, "do", key) for i, key in enumerate(keys(run))]
    assert effect_rows(app.db) == [("a", 0), ("a", 1), ("a", 2)]
    assert {(v["guard"], v["allowed"]) for v in run.verdicts} == {
        ("kill-switch", True), ("path:work", True), ("feed:acme:price", True)}
    assert len(run.verdicts) == 9  # three guards before each of three steps
    assert run.finished_at is not None


def test_a_policy_that_does_not_act_records_a_skipped_run(app: Hansa) -> None:
    publish(app, WorkRequested(tag="none", steps=0))
    drain(app)

    run = only_run(app)
    assert (run.status, run.reasons, run.steps) == (
        "skipped", ["no condition", "nothing to do"], [])
    assert ledger_rows(app.db) == []


def test_a_false_condition_makes_no_run_at_all(app: Hansa) -> None:
    publish(app, LevelReported(key="x", level=5))
    drain(app)

    assert run_count(app, "level-watch") == 0
    assert run_count(app, "level-alarm") == 0
    assert ledger_rows(app.db) == []


def test_an_edge_triggered_condition_fires_once_per_crossing(app: Hansa) -> None:
    for key, level in [("x", 5), ("x", 12), ("x", 15), ("y", 12), ("x", 20), ("x", 3),
                       ("x", 11)]:
        publish(app, LevelReported(key=key, level=level))
        drain(app)

    with app.db.read() as conn:
        fired = sorted((r.trigger_data["key"], r.trigger_data["level"])
                       for r in queries.runs(conn, path="level-alarm"))
        stored = {r.key: r.value for r in conn.execute(
            sa.select(edges).where(edges.c.path == "level-alarm"))}
    assert fired == [("x", 11), ("x", 12), ("y", 12)]
    assert run_count(app, "level-watch") == 5  # not edge-triggered: every event above fires
    assert len(ledger_rows(app.db)) == 3 + 5
    assert stored == {"x": True, "y": True}


# guards ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", ["global", "path:work"])
def test_a_kill_switch_blocks_the_run_before_any_step(app: Hansa, scope: str) -> None:
    app.bus.execute(EngageKillSwitch(scope=scope, reason="supplier feed looks wrong"))
    publish(app, WorkRequested(tag="k", steps=2), LevelReported(key="z", level=50))
    drain(app)

    run = only_run(app)
    assert (run.status, run.step_cursor) == ("blocked", 0)
    assert run.error is not None and f"kill switch {scope} engaged" in run.error
    assert [s.status for s in run.steps] == ["planned", "planned"]
    assert [r[0] for r in ledger_rows(app.db)] == (["z", "z"] if scope != "global" else [])
    logged = recent_verdicts_of(app, f"kill-switch:{scope}")
    assert f"run:{run.id}:0" in logged and len(logged) == (3 if scope == "global" else 1)
    assert "hansa.automation.path_run_blocked.v1" in event_types(app)

    app.bus.execute(ReleaseKillSwitch(scope=scope))
    app.bus.execute(ResumeRun(run_id=run.id))
    drain(app)

    assert only_run(app).status == "completed"
    assert [(t, s, k) for t, s, k, _ in ledger_rows(app.db) if t == "k"] == [
        ("k", 0, "do"), ("k", 1, "do")]


def recent_verdicts_of(app: Hansa, guard: str) -> list[str]:
    with app.db.read() as conn:
        return [v["subject_key"] for v in recent_verdicts(conn, guard=guard)]


@pytest.mark.parametrize("breaker", ["path:work", "feed:acme:price"])
def test_an_open_breaker_blocks_the_run(app: Hansa, breaker: str) -> None:
    with app.db.write() as conn:
        breakers.trip(conn, breaker, Verdict(guard=breaker, allowed=False, reason="zero price"),
                      app.clock.now())
        conn.commit()
    publish(app, WorkRequested(tag="b", steps=2))
    drain(app)

    run = only_run(app)
    assert run.status == "blocked"
    assert f"breaker {breaker} is open" in (run.error or "")
    assert ledger_rows(app.db) == []

    app.bus.execute(ResumeRun(run_id=run.id))  # the breaker is still open: blocked again
    drain(app)
    assert only_run(app).status == "blocked"
    app.bus.execute(CancelRun(run_id=run.id, reason="feed fixed by hand"))
    drain(app)
    assert only_run(app).status == "cancelled"  # nothing had completed: nothing to undo
    with pytest.raises(Conflict):
        app.bus.execute(ResumeRun(run_id=run.id))
    assert ledger_rows(app.db) == []


def test_a_dry_run_breaker_records_its_verdict_and_does_not_block(app: Hansa) -> None:
    with app.db.write() as conn:
        breakers.set_dry_run(conn, "path:work", True, app.clock.now())
        breakers.trip(conn, "path:work", Verdict(guard="path:work", allowed=False,
                                                 reason="spike"), app.clock.now())
        conn.commit()
    publish(app, WorkRequested(tag="d", steps=1))
    drain(app)

    assert only_run(app).status == "completed"
    assert len(ledger_rows(app.db)) == 1


# compensation ---------------------------------------------------------------------------------
def test_a_failing_step_compensates_the_earlier_steps_in_reverse_order(app: Hansa) -> None:
    publish(app, WorkRequested(tag="f", steps=4, fail_at=2))
    drain(app)

    run = only_run(app)
    assert run.status == "compensated"
    assert [s.status for s in run.steps] == ["compensated", "compensated", "failed", "planned"]
    assert run.error is not None and run.error.startswith("step 2 (write-2) failed: ")
    assert "Conflict: step 2 of f refused" in run.error
    assert [(s, kind) for _, s, kind, _ in ledger_rows(app.db)] == [
        (0, "do"), (1, "do"), (1, "undo"), (0, "undo")]  # step 2's own write rolled back
    assert [key for *_, key in ledger_rows(app.db)][2:] == [
        f"run:{run.id}:1:undo", f"run:{run.id}:0:undo"]
    assert effect_rows(app.db) == []


def test_a_failing_first_step_fails_the_run_with_nothing_to_undo(app: Hansa) -> None:
    publish(app, WorkRequested(tag="g", steps=2, fail_at=0))
    drain(app)

    run = only_run(app)
    assert (run.status, [s.status for s in run.steps]) == ("failed", ["failed", "planned"])
    assert ledger_rows(app.db) == []


def test_redelivered_and_duplicated_events_cause_no_second_side_effect(app: Hansa) -> None:
    publish(app, WorkRequested(tag="ok", steps=3), WorkRequested(tag="bad", steps=3, fail_at=2))
    drain(app)
    before = ledger_rows(app.db)

    assert redeliver_everything(app) > 0  # same event ids: the inbox says "seen"
    assert duplicate_step_events(app) > 0  # new event ids: the run's cursor says "done"
    drain(app)

    assert ledger_rows(app.db) == before
    assert run_count(app, "work") == 2
    assert list_dead_letters(app.bus) == []


# timers and schedules -------------------------------------------------------------------------
def test_a_wait_step_resumes_when_the_clock_reaches_it_even_after_a_restart(
        app: Hansa, clock: VirtualClock) -> None:
    publish(app, WorkRequested(tag="w", steps=2, wait_seconds=3600))
    drain(app)
    run = only_run(app)
    assert (run.status, [s.status for s in run.steps]) == (
        "running", ["completed", "waiting", "planned"])
    assert run.steps[1].due_at == clock.now() + timedelta(hours=1)

    restarted = bootstrap(Settings(db=app.settings.db, bus="memory"), clock=clock)
    try:
        install(restarted, work_path(breakers=("feed:acme:price",)))
        clock.advance(timedelta(minutes=59))
        drain(restarted)
        assert len(ledger_rows(restarted.db)) == 1
        clock.advance(timedelta(minutes=1))
        drain(restarted)
        assert only_run(restarted).status == "completed"
        assert [(s, k) for _, s, k, _ in ledger_rows(restarted.db)] == [(0, "do"), (1, "do")]
    finally:
        restarted.close()


def test_cancelling_a_waiting_run_undoes_its_completed_steps(app: Hansa) -> None:
    publish(app, WorkRequested(tag="c", steps=2, wait_seconds=600))
    drain(app)

    app.bus.execute(CancelRun(run_id=only_run(app).id, reason="order cancelled"))
    drain(app)

    run = only_run(app)
    assert (run.status, run.error) == ("compensated", "cancelled by operator: order cancelled")
    assert [s.status for s in run.steps] == ["compensated", "cancelled", "planned"]
    assert [k for _, _, k, _ in ledger_rows(app.db)] == ["do", "undo"]


@pytest.mark.parametrize("catch_up", [True, False])
def test_a_schedule_fires_at_each_slot_as_the_clock_advances(
        hansa: Hansa, clock: VirtualClock, catch_up: bool) -> None:
    install(hansa, hourly_path(catch_up=catch_up))
    assert hansa.engine.arm_schedules() == 1
    assert hansa.engine.arm_schedules() == 0  # armed once, whoever asks again
    drain(hansa)
    assert ledger_rows(hansa.db) == []

    for _ in range(3):
        clock.advance(timedelta(hours=1))
        drain(hansa)
    clock.advance(timedelta(hours=3))  # three slots pass while nothing runs
    drain(hansa)

    tags = [tag for tag, *_ in ledger_rows(hansa.db)]
    caught = 6 if catch_up else 4
    assert tags == [f"2026-01-05T{h:02d}:00:00+00:00" for h in range(10, 10 + caught)]
    assert run_count(hansa, "hourly") == caught


def test_a_timer_trigger_evaluates_its_event_after_the_delay(
        hansa: Hansa, clock: VirtualClock) -> None:
    follow_up = Path(name="follow-up", trigger=After(WorkRequested, timedelta(hours=48)),
                     policy=lambda i: Decision.go([StepSpec("nudge", DoEffect(i["tag"], 99))]),
                     commands=(DoEffect,))
    install(hansa, follow_up)
    [event_id] = publish(hansa, WorkRequested(tag="late"))
    drain(hansa)
    assert run_count(hansa, "follow-up") == 0

    clock.advance(timedelta(hours=48))
    drain(hansa)

    run = only_run(hansa, "follow-up")
    assert (run.status, run.trigger_id) == ("completed", event_id)
    assert [(t, s) for t, s, *_ in ledger_rows(hansa.db)] == [("late", 99)]


# dry runs and refusals ------------------------------------------------------------------------
def test_a_dry_run_decides_without_writing(app: Hansa) -> None:
    decision = app.engine.dry_run("work", WorkRequested(tag="dry", steps=2))
    assert decision.act and [s.name for s in decision.steps] == ["write-0", "write-1"]

    publish(app, LevelReported(key="q", level=30))
    drain(app)
    still_above = app.engine.dry_run("level-alarm", LevelReported(key="q", level=40))
    fresh = app.engine.dry_run("level-alarm", LevelReported(key="r", level=40))

    assert not still_above.act and "still true for q" in still_above.reasons[0]
    assert fresh.act
    assert run_count(app, "work") == 0
    assert [(t, s) for t, s, *_ in ledger_rows(app.db)] == [("q", 30)] * 2  # alarm and watch


def test_a_step_whose_command_type_the_path_did_not_declare_is_refused(hansa: Hansa) -> None:
    rogue = Path(name="rogue", trigger=WorkRequested,
                 policy=lambda i: Decision.go([StepSpec("x", DoEffect(i["tag"], 0))]))
    install(hansa, rogue)
    publish(hansa, WorkRequested(tag="r"))
    drain(hansa)

    [letter] = list_dead_letters(hansa.bus)
    assert letter.consumer == "automation.rogue" and letter.terminal
    assert "DoEffect is not allowed in automation steps" in letter.error
    assert run_count(hansa, "rogue") == 0


def test_a_scheduled_slot_whose_policy_raises_is_a_failed_run_and_the_schedule_goes_on(
        hansa: Hansa, clock: VirtualClock) -> None:
    def broken(inputs: dict[str, object]) -> Decision:
        raise ValueError(f"no data for {inputs['slot']}")

    install(hansa, Path(name="hourly", trigger=Schedule(timedelta(hours=1)), policy=broken))
    hansa.engine.arm_schedules()
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        drain(hansa)

    with hansa.db.read() as conn:
        failed = queries.runs(conn, path="hourly", status="failed")
    assert [r.error for r in failed] == [
        "ValueError: no data for 2026-01-05T11:00:00+00:00",
        "ValueError: no data for 2026-01-05T10:00:00+00:00"]
    assert list_dead_letters(hansa.bus) == []
