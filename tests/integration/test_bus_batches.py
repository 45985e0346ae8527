"""A batch of deliveries in one transaction, the inbox rows written together: a failing
delivery is isolated (its writes undone, its inbox row taken back so the retry runs), and a
delivery already in the inbox, or repeated within the batch, never runs its handler again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.bus_helpers import (
    BusRig,
    Fault,
    Pinged,
    build_rig,
    effect_rows,
    inbox_rows,
)

from hansa.bus.dispatcher import Outcome
from hansa.kernel.clock import VirtualClock
from hansa.kernel.messages import Envelope


@pytest.fixture
def rig(db_url: str, clock: VirtualClock) -> Iterator[BusRig]:
    built = build_rig(db_url, "memory", clock=clock)
    yield built
    built.close()


def _envelopes(rig: BusRig, *ns: int) -> list[Envelope]:
    return [Envelope.wrap(Pinged(n=n), rig.clock.now()) for n in ns]


def _attempt(rig: BusRig, batch: list[tuple[str, Envelope]]) -> list[Outcome]:
    with rig.bus.uow() as uow:
        results = rig.app.dispatcher.attempt_in(
            uow, [(rig.bus.consumer(name), envelope, 1) for name, envelope in batch])
        uow.commit()
    return [result.outcome for result in results]


def test_a_failing_delivery_in_a_batch_is_undone_alone_and_its_retry_runs(rig: BusRig) -> None:
    fault = Fault(RuntimeError)
    rig.subscribe(Pinged, "steady")
    rig.subscribe(Pinged, "flaky", fault)
    one, two = _envelopes(rig, 1, 2)

    outcomes = _attempt(rig, [("steady", one), ("flaky", one), ("steady", two)])

    assert outcomes == [Outcome.HANDLED, Outcome.RETRY, Outcome.HANDLED]
    assert effect_rows(rig.db) == [("steady", 1), ("steady", 2)]
    assert inbox_rows(rig.db) == sorted([("steady", one.id), ("steady", two.id)])
    fault.clear()
    assert _attempt(rig, [("flaky", one)]) == [Outcome.HANDLED]
    assert effect_rows(rig.db) == [("steady", 1), ("steady", 2), ("flaky", 1)]


def test_a_delivery_handled_before_is_a_duplicate_and_the_rest_of_the_batch_runs(
        rig: BusRig) -> None:
    rig.subscribe(Pinged, "steady")
    one, two = _envelopes(rig, 1, 2)
    assert _attempt(rig, [("steady", one)]) == [Outcome.HANDLED]

    outcomes = _attempt(rig, [("steady", one), ("steady", two)])

    assert outcomes == [Outcome.DUPLICATE, Outcome.HANDLED]
    assert rig.calls == [("steady", 1), ("steady", 2)]
    assert effect_rows(rig.db) == [("steady", 1), ("steady", 2)]


def test_a_delivery_repeated_within_a_batch_runs_once(rig: BusRig) -> None:
    rig.subscribe(Pinged, "steady")
    (one,) = _envelopes(rig, 1)

    outcomes = _attempt(rig, [("steady", one), ("steady", one)])

    assert outcomes == [Outcome.HANDLED, Outcome.DUPLICATE]
    assert rig.calls == [("steady", 1)]
    assert inbox_rows(rig.db) == [("steady", one.id)]


def test_a_batch_that_fails_entirely_leaves_no_inbox_rows(rig: BusRig) -> None:
    rig.subscribe(Pinged, "broken", Fault(RuntimeError))
    one, two = _envelopes(rig, 1, 2)

    outcomes = _attempt(rig, [("broken", one), ("broken", two)])

    assert outcomes == [Outcome.RETRY, Outcome.RETRY]
    assert effect_rows(rig.db) == []
    assert inbox_rows(rig.db) == []


def test_an_empty_batch_writes_nothing(rig: BusRig) -> None:
    rig.subscribe(Pinged, "steady")

    assert _attempt(rig, []) == []
    assert inbox_rows(rig.db) == []
