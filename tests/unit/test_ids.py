"""Identifiers: UUIDv7 strings that sort in creation order across milliseconds."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from hansa.kernel import ids
from hansa.kernel.ids import new_id

CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class FakeTime:
    """Stands in for the `time` module inside hansa.kernel.ids: a clock that reads a fixed ns."""

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def time_ns(self) -> int:
        return self.ns


def test_new_id_is_a_canonical_uuid_string() -> None:
    # given / when
    value = new_id()
    # then
    assert isinstance(value, str)
    assert CANONICAL.fullmatch(value) is not None
    assert str(uuid.UUID(value)) == value


def test_new_id_is_version_7_with_rfc_4122_variant() -> None:
    # given / when
    parsed = uuid.UUID(new_id())
    # then
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_new_id_carries_the_unix_milliseconds_in_its_first_48_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a clock at 2026-01-05 09:00:00.123 UTC
    millis = 1_767_603_600_123
    monkeypatch.setattr(ids, "time", FakeTime(millis * 1_000_000 + 999_999))
    # when
    parsed = uuid.UUID(new_id())
    # then
    assert parsed.int >> 80 == millis
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ids_from_later_milliseconds_sort_after_earlier_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a clock we step one millisecond at a time, across a hex-digit carry
    fake = FakeTime(0)
    monkeypatch.setattr(ids, "time", fake)
    generated = []
    # when
    for millis in [0xFFE, 0xFFF, 0x1000, 0x1001, 0xFFFF_FFFF, 0x1_0000_0000]:
        fake.ns = millis * 1_000_000
        generated.append(new_id())
    # then
    assert sorted(generated) == generated
    assert len(set(generated)) == len(generated)


def test_ids_made_on_the_real_clock_sort_in_time_order() -> None:
    # given / when ids made at least a millisecond apart
    generated = []
    for _ in range(5):
        generated.append(new_id())
        time.sleep(0.002)
    # then
    assert sorted(generated) == generated


def test_new_id_is_unique_over_100k_ids() -> None:
    # given / when
    generated = [new_id() for _ in range(100_000)]
    # then
    assert len(set(generated)) == 100_000


def test_ids_within_one_millisecond_still_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a clock frozen at one millisecond
    monkeypatch.setattr(ids, "time", FakeTime(1_767_603_600_000 * 1_000_000))
    # when
    generated = {new_id() for _ in range(1_000)}
    # then
    assert len(generated) == 1_000
