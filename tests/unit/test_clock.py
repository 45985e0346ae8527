"""Clocks: the wall clock and the virtual clock the simulator drives, always aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hansa.kernel.clock import Clock, SystemClock, VirtualClock, utc

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))


def test_system_clock_returns_aware_utc_now() -> None:
    # given
    clock = SystemClock()
    before = datetime.now(UTC)
    # when
    now = clock.now()
    # then
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_both_clocks_satisfy_the_clock_protocol() -> None:
    # given / when
    clocks: list[Clock] = [SystemClock(), VirtualClock(START)]
    # then
    assert all(isinstance(c.now(), datetime) for c in clocks)


def test_virtual_clock_starts_where_told() -> None:
    # given / when
    clock = VirtualClock(START)
    # then
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


def test_virtual_clock_has_a_fixed_default_start() -> None:
    # given / when
    clock = VirtualClock()
    # then
    assert clock.now() == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_virtual_clock_does_not_move_on_its_own() -> None:
    # given
    clock = VirtualClock(START)
    # when
    first, second = clock.now(), clock.now()
    # then
    assert first == second == START


def test_virtual_clock_normalises_its_start_to_utc() -> None:
    # given a start in UTC+1
    start = datetime(2026, 3, 1, 13, 0, tzinfo=BERLIN_WINTER)
    # when
    clock = VirtualClock(start)
    # then
    assert clock.now() == START
    assert clock.now().tzinfo is UTC
    assert clock.now().hour == 12


def test_virtual_clock_refuses_a_naive_start() -> None:
    # given / when / then
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(datetime(2026, 3, 1, 12, 0))


def test_advance_moves_the_clock_and_returns_the_new_time() -> None:
    # given
    clock = VirtualClock(START)
    # when
    returned = clock.advance(timedelta(days=30, minutes=5))
    # then
    expected = datetime(2026, 3, 31, 12, 5, tzinfo=UTC)
    assert returned == expected
    assert clock.now() == expected


def test_advance_by_zero_keeps_the_time() -> None:
    # given
    clock = VirtualClock(START)
    # when
    clock.advance(timedelta(0))
    # then
    assert clock.now() == START


def test_advance_refuses_to_go_backwards_and_leaves_the_time_alone() -> None:
    # given
    clock = VirtualClock(START)
    # when / then
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == START


def test_set_moves_the_clock_forward_and_normalises_to_utc() -> None:
    # given
    clock = VirtualClock(START)
    # when
    clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=BERLIN_WINTER))
    # then
    assert clock.now() == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_set_to_the_same_moment_is_allowed() -> None:
    # given
    clock = VirtualClock(START)
    # when
    clock.set(START)
    # then
    assert clock.now() == START


def test_set_refuses_to_go_backwards_and_leaves_the_time_alone() -> None:
    # given
    clock = VirtualClock(START)
    # when / then
    with pytest.raises(ValueError, match="backwards"):
        clock.set(START - timedelta(microseconds=1))
    assert clock.now() == START


def test_set_compares_instants_not_wall_times() -> None:
    # given 12:30 in UTC+1 is 11:30 UTC, earlier than the clock's 12:00 UTC
    clock = VirtualClock(START)
    # when / then
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2026, 3, 1, 12, 30, tzinfo=BERLIN_WINTER))
    assert clock.now() == START


def test_set_refuses_a_naive_moment_and_leaves_the_time_alone() -> None:
    # given
    clock = VirtualClock(START)
    # when / then
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2027, 1, 1))
    assert clock.now() == START


def test_utc_takes_naive_values_as_utc() -> None:
    # given / when
    moment = utc(datetime(2026, 3, 1, 12, 0))
    # then
    assert moment == START
    assert moment.tzinfo is UTC


def test_utc_converts_other_offsets_to_utc() -> None:
    # given / when
    moment = utc(datetime(2026, 3, 1, 13, 0, tzinfo=BERLIN_WINTER))
    # then
    assert moment == START
    assert moment.tzinfo is UTC
    assert moment.hour == 12


def test_utc_keeps_utc_values_unchanged() -> None:
    # given / when / then
    assert utc(START) == START
    assert utc(START).tzinfo is UTC
