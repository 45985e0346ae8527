"""The message-bus contract, held by every transport (in-process and NATS JetStream) on both
databases: fan-out, inbox dedupe, retries and dead letters, durable timers, order, atomicity."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.conftest import NATS_URL, require_service
from tests.integration.bus_helpers import (
    BusRig,
    Fault,
    Pinged,
    Ponged,
    build_rig,
    effects,
    inbox_rows,
    mark_all_unrelayed,
    unrelayed_count,
    vacuum,
)

from hansa.bus.dead_letters import list_dead_letters, replay
from hansa.bus.dispatcher import RetryPolicy
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import InvalidData

TRANSPORTS = ["memory", pytest.param("nats", marks=pytest.mark.nats)]


@pytest.fixture(params=TRANSPORTS)
def transport_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "nats":
        require_service("NATS JetStream", "127.0.0.1", 4222)
    return str(request.param)


@pytest.fixture
def rig(db_url: str, transport_kind: str, clock: VirtualClock) -> Iterator[BusRig]:
    """A bus on a migrated database with a fast retry policy; consumers subscribe, then drain."""
    built = build_rig(db_url, transport_kind, clock=clock, nats_url=NATS_URL)
    yield built
    built.close()


@pytest.fixture
def slow_rig(db_url: str, transport_kind: str, clock: VirtualClock) -> Iterator[BusRig]:
    """Like `rig`, with backoff of 1 min, 4 min, ... on the virtual clock."""
    policy = RetryPolicy(max_attempts=3, base=timedelta(minutes=1), factor=4)
    built = build_rig(db_url, transport_kind, clock=clock, retry=policy, nats_url=NATS_URL)
    yield built
    built.close()


# fan-out ------------------------------------------------------------------------------------
def test_an_event_reaches_each_subscribed_consumer_exactly_once(rig: BusRig) -> None:
    rig.subscribe(Pinged, "ping-audit")
    rig.subscribe(Ponged, "pong-audit")

    rig.publish(Pinged(n=1), Ponged(n=2))
    rig.drain()

    assert sorted(rig.calls) == [("ping-audit", 1), ("pong-audit", 2)]
    assert sorted(rig.effects()) == [("ping-audit", 1), ("pong-audit", 2)]
    assert unrelayed_count(rig.db) == 0


def test_two_consumers_of_one_event_each_get_it(rig: BusRig) -> None:
    rig.subscribe(Pinged, "billing")
    rig.subscribe(Pinged, "shipping")

    [event_id] = rig.publish(Pinged(n=7))
    rig.drain()

    assert sorted(rig.effects()) == [("billing", 7), ("shipping", 7)]
    assert inbox_rows(rig.db) == [("billing", event_id), ("shipping", event_id)]


def test_an_event_without_consumers_is_relayed_and_dropped_quietly(rig: BusRig) -> None:
    rig.subscribe(Ponged, "pong-only")

    rig.publish(Pinged(n=1))
    rig.drain()

    assert rig.calls == []
    assert unrelayed_count(rig.db) == 0


# duplicates ---------------------------------------------------------------------------------
def test_an_event_relayed_twice_before_delivery_is_handled_once_per_consumer(
    rig: BusRig,
) -> None:
    rig.subscribe(Pinged, "billing")
    rig.subscribe(Pinged, "shipping")
    rig.publish(Pinged(n=3))

    assert rig.relay_once() == 1
    mark_all_unrelayed(rig.db)  # crash after the hand-off, before the relay's commit
    rig.drain()

    assert sorted(rig.effects()) == [("billing", 3), ("shipping", 3)]
    assert sorted(rig.calls) == [("billing", 3), ("shipping", 3)]
    assert unrelayed_count(rig.db) == 0


def test_an_event_relayed_again_after_delivery_is_not_handled_again(rig: BusRig) -> None:
    rig.subscribe(Pinged, "billing")
    rig.subscribe(Pinged, "shipping")
    rig.publish(Pinged(n=4))
    rig.drain()

    mark_all_unrelayed(rig.db)
    rig.drain()

    assert sorted(rig.effects()) == [("billing", 4), ("shipping", 4)]
    assert unrelayed_count(rig.db) == 0


# retries and dead letters -------------------------------------------------------------------
def test_a_retryable_failure_dead_letters_after_three_attempts(rig: BusRig) -> None:
    rig.subscribe(Pinged, "flaky", Fault(RuntimeError))

    [event_id] = rig.publish(Pinged(n=5))
    rig.drain()

    [letter] = list_dead_letters(rig.bus)
    assert (letter.consumer, letter.event_id, letter.type) == (
        "flaky", event_id, "hansa.bustest.pinged.v1")
    assert letter.attempts == 3
    assert letter.terminal is False
    assert letter.error.startswith("RuntimeError: injected failure in flaky for n=5")
    assert rig.calls == [("flaky", 5)] * 3
    assert rig.effects() == []


def test_a_replayed_dead_letter_is_handled_exactly_once_after_the_fix(rig: BusRig) -> None:
    fault = Fault(RuntimeError)
    rig.subscribe(Pinged, "flaky", fault)
    rig.subscribe(Pinged, "steady")
    rig.publish(Pinged(n=6))
    rig.drain()
    [letter] = list_dead_letters(rig.bus)

    fault.clear()
    replay(rig.bus, letter.id)
    rig.drain()

    assert sorted(rig.effects()) == [("flaky", 6), ("steady", 6)]
    assert rig.calls.count(("flaky", 6)) == 4
    assert rig.calls.count(("steady", 6)) == 1
    assert list_dead_letters(rig.bus) == []
    [replayed] = list_dead_letters(rig.bus, include_replayed=True)
    assert replayed.replayed_at == rig.clock.now()


def test_a_failure_after_replay_dead_letters_again_and_is_not_lost(rig: BusRig) -> None:
    rig.subscribe(Pinged, "broken", Fault(RuntimeError))
    rig.publish(Pinged(n=8))
    rig.drain()
    [first] = list_dead_letters(rig.bus)

    replay(rig.bus, first.id)
    rig.drain()

    [second] = list_dead_letters(rig.bus)
    assert second.id != first.id
    assert (second.event_id, second.attempts) == (first.event_id, 3)
    assert rig.calls == [("broken", 8)] * 6


def test_a_terminal_error_dead_letters_on_the_first_attempt(rig: BusRig) -> None:
    rig.subscribe(Pinged, "strict", Fault(InvalidData))
    rig.subscribe(Pinged, "steady")

    rig.publish(Pinged(n=9))
    rig.drain()

    [letter] = list_dead_letters(rig.bus)
    assert (letter.consumer, letter.attempts, letter.terminal) == ("strict", 1, True)
    assert letter.error.startswith("hansa.kernel.errors.InvalidData: injected failure")
    assert sorted(rig.calls) == [("steady", 9), ("strict", 9)]
    assert rig.effects() == [("steady", 9)]


def test_a_constraint_violation_in_a_handler_is_a_failure_not_a_duplicate(rig: BusRig) -> None:
    def clashing(event: Pinged, uow: UnitOfWork) -> None:
        uow.conn.execute(effects.insert().values(id=1, consumer="clash", n=event.n))
        uow.conn.execute(effects.insert().values(id=1, consumer="clash", n=event.n))

    rig.bus.subscribe(Pinged, "clash", clashing)
    rig.publish(Pinged(n=15))
    rig.drain()

    [letter] = list_dead_letters(rig.bus)
    assert (letter.consumer, letter.attempts, letter.terminal) == ("clash", 3, False)
    assert letter.error.startswith("sqlalchemy.exc.IntegrityError")
    assert inbox_rows(rig.db) == []


def test_retries_wait_for_the_injected_clock(slow_rig: BusRig) -> None:
    rig = slow_rig
    rig.subscribe(Pinged, "flaky", Fault(RuntimeError))
    rig.publish(Pinged(n=10))

    rig.drain()
    assert len(rig.calls) == 1

    rig.clock.advance(timedelta(seconds=59))
    rig.drain()
    assert len(rig.calls) == 1

    rig.clock.advance(timedelta(seconds=1))  # RetryPolicy.delay(1) == 1 min
    rig.drain()
    assert len(rig.calls) == 2

    rig.clock.advance(timedelta(minutes=3, seconds=59))
    rig.drain()
    assert len(rig.calls) == 2
    assert list_dead_letters(rig.bus) == []

    rig.clock.advance(timedelta(seconds=1))  # RetryPolicy.delay(2) == 4 min
    rig.drain()
    assert len(rig.calls) == 3
    [letter] = list_dead_letters(rig.bus)
    assert letter.attempts == 3


def test_a_retry_that_succeeds_is_handled_once_and_leaves_no_dead_letter(
    slow_rig: BusRig,
) -> None:
    rig = slow_rig
    fault = Fault(RuntimeError)
    rig.subscribe(Pinged, "flaky", fault)
    rig.publish(Pinged(n=11))
    rig.drain()

    fault.clear()
    rig.clock.advance(timedelta(minutes=1))
    rig.drain()

    assert rig.calls == [("flaky", 11), ("flaky", 11)]
    assert rig.effects() == [("flaky", 11)]
    assert list_dead_letters(rig.bus, include_replayed=True) == []


# durable timers -----------------------------------------------------------------------------
def test_a_scheduled_event_waits_for_its_time_on_the_injected_clock(rig: BusRig) -> None:
    rig.subscribe(Pinged, "reship-release")
    due = rig.clock.now() + timedelta(hours=48)

    rig.publish(Pinged(n=12), deliver_at=due)
    rig.drain()
    assert rig.calls == []

    rig.clock.advance(timedelta(hours=47, minutes=59))
    rig.drain()
    assert rig.calls == []
    assert unrelayed_count(rig.db) == 1

    rig.clock.advance(timedelta(minutes=1))
    rig.drain()
    assert rig.calls == [("reship-release", 12)]
    assert unrelayed_count(rig.db) == 0


def test_a_due_event_is_not_held_back_by_an_earlier_timer(rig: BusRig) -> None:
    rig.subscribe(Pinged, "audit")

    rig.publish(Pinged(n=1), deliver_at=rig.clock.now() + timedelta(days=1))
    rig.publish(Pinged(n=2))
    rig.drain()

    assert rig.calls == [("audit", 2)]


# order and atomicity ------------------------------------------------------------------------
def test_events_reach_one_consumer_in_outbox_order(rig: BusRig) -> None:
    rig.subscribe(Pinged, "ledger")

    rig.publish(*[Pinged(n=n) for n in range(40)])
    for n in range(40, 60):
        rig.publish(Pinged(n=n))
    rig.drain()

    assert rig.effects() == [("ledger", n) for n in range(60)]


def test_outbox_order_holds_when_the_database_reuses_freed_space(rig: BusRig) -> None:
    rig.subscribe(Pinged, "ledger")

    for start in (0, 1000, 2000):
        rig.publish(*[Pinged(n=start + i) for i in range(150)])
        rig.relay_once()
        rig.app.worker.deliveries.deliver_once(limit=70)  # part of the backlog is done
        vacuum(rig.db)
        for batch in range(10):
            rig.publish(*[Pinged(n=start + 150 + batch * 10 + i) for i in range(10)])
        rig.drain()

    handled = [n for _, n in rig.effects()]
    assert handled == sorted(handled)
    assert len(handled) == 750


def test_a_handlers_writes_and_its_inbox_row_commit_together(rig: BusRig) -> None:
    rig.subscribe(Pinged, "writer")
    rig.subscribe(Ponged, "failing-writer", Fault(InvalidData))

    [ping_id, _] = rig.publish(Pinged(n=13), Ponged(n=14))
    rig.drain()

    assert rig.effects() == [("writer", 13)]
    assert inbox_rows(rig.db) == [("writer", ping_id)]
    assert sorted(rig.calls) == [("failing-writer", 14), ("writer", 13)]


def test_events_a_consumer_records_are_delivered_in_turn(rig: BusRig) -> None:
    rig.subscribe(Ponged, "pong-audit")

    def ping_to_pong(event: Pinged, uow: UnitOfWork) -> None:
        uow.record(Ponged(n=event.n * 10))

    rig.bus.subscribe(Pinged, "ping-to-pong", ping_to_pong)
    rig.publish(Pinged(n=2))
    rig.drain()

    assert rig.effects() == [("pong-audit", 20)]
    assert unrelayed_count(rig.db) == 0
