"""The relay marks what it reads as relayed in the same statement, and commits only when the
transport's hand-over (and the acks it may still be waiting for) went through."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest
from sqlalchemy.engine import Connection
from tests.integration.bus_helpers import BusRig, Pinged, build_rig, unrelayed_count

from hansa.bus.outbox import OutboxRow
from hansa.bus.relay import Relay
from hansa.kernel.clock import VirtualClock


class _Broker:
    """Takes the rows and answers later: the waiter raises when the acks went wrong."""

    name = "fake"

    def __init__(self, *, acks_fail: bool) -> None:
        self.acks_fail = acks_fail
        self.sent: list[str] = []

    def handoff(self, conn: Connection, rows: Sequence[OutboxRow]) -> Callable[[], None]:
        self.sent += [row.envelope.subject or "" for row in rows]

        def wait() -> None:
            if self.acks_fail:
                raise TimeoutError("no ack in time")

        return wait

    def consume_once(self, max_messages: int) -> int:
        return 0

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None


@pytest.fixture
def rig(db_url: str, clock: VirtualClock) -> Iterator[BusRig]:
    built = build_rig(db_url, "memory", clock=clock)
    yield built
    built.close()


def test_missing_acks_leave_the_rows_unrelayed_for_the_next_pass(rig: BusRig) -> None:
    rig.publish(Pinged(n=1), Pinged(n=2), Pinged(n=3))
    broker = _Broker(acks_fail=True)
    relay = Relay(rig.bus, broker, batch=2)

    with pytest.raises(TimeoutError):
        relay.relay_once()

    assert unrelayed_count(rig.db) == 3
    broker.acks_fail = False
    assert relay.relay_once() == 2
    assert relay.relay_once() == 1
    assert relay.relay_once() == 0
    assert broker.sent == ["ping-1", "ping-2", "ping-1", "ping-2", "ping-3"]
    assert unrelayed_count(rig.db) == 0


def test_rows_due_later_wait_and_the_rest_go_oldest_first(rig: BusRig) -> None:
    later = rig.clock.now().replace(year=rig.clock.now().year + 1)
    rig.publish(Pinged(n=9), deliver_at=later)
    rig.publish(Pinged(n=1), Pinged(n=2))
    broker = _Broker(acks_fail=False)

    assert Relay(rig.bus, broker).relay_once() == 2

    assert broker.sent == ["ping-1", "ping-2"]
    assert unrelayed_count(rig.db) == 1
