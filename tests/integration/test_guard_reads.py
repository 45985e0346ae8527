"""One-statement reads on the guarded step path, against both databases: the kill switch and
breakers a step asks before it runs, and a tag written without reading it first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hansa.automation import flow_store as fs
from hansa.automation.actions import TagSubject
from hansa.bootstrap import Hansa
from hansa.guards import breakers, gates, killswitch
from hansa.guards.model import BreakerState, Verdict

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _switch(hansa: Hansa, scope: str, *, engaged: bool) -> None:
    with hansa.db.write() as conn:
        killswitch.set_switch(conn, scope, engaged=engaged, reason=f"{scope} test",
                              actor="ops", at=AT)
        conn.commit()


def test_the_step_read_finds_no_switch_and_only_existing_breakers(hansa: Hansa) -> None:
    with hansa.db.write() as conn:
        breakers.ensure(conn, "path:a", AT)
        breakers.trip(conn, "path:a", Verdict(guard="path:a", allowed=False, reason="too many"),
                      AT)
        conn.commit()
    _switch(hansa, "path:other", engaged=True)
    _switch(hansa, "path:a", engaged=False)
    with hansa.db.read() as conn:
        switch, found = gates.switch_and_breakers(conn, ["path:a"], ["path:a", "path:b"])
    assert switch is None
    assert list(found) == ["path:a"]
    breaker = found["path:a"]
    assert (breaker.state, breaker.reason, breaker.trips, breaker.opened_at,
            breaker.cooldown, breaker.dry_run) == (BreakerState.OPEN, "too many", 1, AT,
                                                   timedelta(minutes=15), False)


def test_the_step_read_sees_the_global_switch_and_the_path_switch(hansa: Hansa) -> None:
    _switch(hansa, "path:a", engaged=True)
    with hansa.db.read() as conn:
        switch, found = gates.switch_and_breakers(conn, ["path:a"], [])
    assert switch is not None and (switch.scope, switch.reason) == ("path:a", "path:a test")
    assert found == {}
    _switch(hansa, "global", engaged=True)
    with hansa.db.read() as conn:
        switch, _ = gates.switch_and_breakers(conn, ["path:a"], ["path:a"])
        expected = killswitch.engaged_switch(conn, ["path:a"])
    assert switch == expected
    assert switch is not None and switch.scope == "global"


def test_a_tag_added_twice_is_one_row_and_the_second_says_it_was_there(hansa: Hansa) -> None:
    command = TagSubject(subject_type="order", subject_id="o-1", tag="big",
                         idempotency_key="run-1:0")
    first = hansa.bus.execute(command)
    again = hansa.bus.execute(TagSubject(subject_type="order", subject_id="o-1", tag="big",
                                         idempotency_key="run-2:0"))
    with hansa.db.read() as conn:
        rows = conn.execute(sa.select(fs.tags.c.added_by)).all()
        undo = conn.execute(sa.select(fs.action_log.c.undo)
                            .order_by(fs.action_log.c.key)).scalars().all()
    assert (first, again) == (True, False)
    assert rows == [("run-1:0",)]
    assert [u["added"] for u in undo] == [True, False]
