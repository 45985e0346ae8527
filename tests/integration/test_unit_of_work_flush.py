"""A long unit of work may flush its events to the outbox early: same transaction, same
all-or-nothing, and savepoints still undo what was recorded inside them."""

from __future__ import annotations

import sqlalchemy as sa
from tests.integration.bus_helpers import Pinged

from hansa.bootstrap import Hansa
from hansa.bus.store import outbox


def _outbox(hansa: Hansa) -> list[str]:
    with hansa.db.read() as conn:
        return list(conn.execute(sa.select(outbox.c.subject).where(
            outbox.c.type == Pinged.event_type()).order_by(outbox.c.position)).scalars())


def _seen_after(hansa: Hansa, pings: int, flushes: int) -> list[tuple[str | None, dict]]:
    """What commit listeners see of `pings` events, each of the first `flushes` flushed at
    once after it was recorded, the rest written at commit."""
    seen: list[tuple[str | None, dict]] = []
    hansa.bus.on_commit(lambda envelopes: seen.extend((e.subject, e.data) for e in envelopes))
    with hansa.bus.uow() as uow:
        for n in range(1, pings + 1):
            uow.record(Pinged(n=n))
            if n <= flushes:
                uow.flush()
        uow.commit()
    return seen


def test_flushed_events_commit_in_order_and_listeners_see_their_data_after_one_flush(
        hansa: Hansa) -> None:
    seen = _seen_after(hansa, pings=2, flushes=1)

    assert _outbox(hansa) == ["ping-1", "ping-2"]
    assert seen == [("ping-1", {"n": 1, "note": ""}), ("ping-2", {"n": 2, "note": ""})]


def test_from_the_second_flush_on_listeners_see_flushed_events_without_data(
        hansa: Hansa) -> None:
    seen = _seen_after(hansa, pings=4, flushes=3)  # a long import: memory must stay flat

    assert _outbox(hansa) == ["ping-1", "ping-2", "ping-3", "ping-4"]
    assert seen == [("ping-1", {}), ("ping-2", {}), ("ping-3", {}),
                    ("ping-4", {"n": 4, "note": ""})]


def test_a_rollback_takes_flushed_events_with_it(hansa: Hansa) -> None:
    with hansa.bus.uow() as uow:
        uow.record(Pinged(n=1))
        uow.flush()
        uow.rollback()

    assert _outbox(hansa) == []


def test_a_savepoint_that_fails_undoes_the_events_it_flushed_and_keeps_the_others(
        hansa: Hansa) -> None:
    with hansa.bus.uow() as uow:
        uow.record(Pinged(n=1))
        uow.flush()
        uow.record(Pinged(n=2))
        try:
            with uow.savepoint():
                uow.record(Pinged(n=3))
                uow.flush()
                uow.record(Pinged(n=4))
                raise RuntimeError("the document failed half way")
        except RuntimeError:
            pass
        uow.record(Pinged(n=5))
        uow.commit()

    assert _outbox(hansa) == ["ping-1", "ping-2", "ping-5"]
    assert [e.subject for e in uow.envelopes] == ["ping-1", "ping-2", "ping-5"]


def test_inside_a_savepoint_only_its_own_events_are_flushed(hansa: Hansa) -> None:
    with hansa.bus.uow() as uow:
        with uow.savepoint():
            uow.record(Pinged(n=1))
            uow.flush()  # recorded inside: written now
            with hansa.db.read() as other:  # not committed: invisible to other connections
                assert other.execute(sa.select(sa.func.count()).select_from(outbox).where(
                    outbox.c.subject == "ping-1")).scalar() == 0
        uow.commit()

    assert _outbox(hansa) == ["ping-1"]
