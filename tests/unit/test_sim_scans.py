"""The world's carrier scans of one parcel: what happens, and what a missed scan hides."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hansa.logistics.model import TrackingStatus
from hansa.sim.geography import zip_place
from hansa.sim.scans import plan

HANDED_OVER = datetime(2026, 5, 4, 15, tzinfo=UTC)


def _plan(days: int, missed: bool):  # type: ignore[no-untyped-def]
    return plan(random.Random(7), HANDED_OVER, days, missed, zip_place("10001"),
                zip_place("60601"))


def test_a_parcel_is_scanned_on_acceptance_each_morning_on_the_way_and_on_delivery() -> None:
    found = _plan(4, missed=False)
    statuses = [s.status for s in found.scans]
    assert statuses == [TrackingStatus.PRE_TRANSIT] + [TrackingStatus.IN_TRANSIT] * 3 + [
        TrackingStatus.DELIVERED]
    times = [s.occurred_at for s in found.scans]
    assert times == sorted(times)
    assert found.scans[0].occurred_at == HANDED_OVER
    assert found.delivered_at.date() == (HANDED_OVER + timedelta(days=4)).date()
    assert found.missed_at is None


def test_a_missed_scan_hides_every_scan_on_the_way_until_delivery() -> None:
    seen, hidden = _plan(4, missed=True), _plan(4, missed=False)
    assert [s.status for s in seen.scans] == [TrackingStatus.PRE_TRANSIT,
                                              TrackingStatus.DELIVERED]
    assert seen.missed_at == hidden.scans[1].occurred_at  # the first scan that never came
    assert seen.delivered_at == hidden.delivered_at


def test_a_next_day_parcel_has_no_scan_on_the_way_to_miss() -> None:
    found = _plan(1, missed=True)
    assert [s.status for s in found.scans] == [TrackingStatus.PRE_TRANSIT,
                                               TrackingStatus.DELIVERED]
    assert found.missed_at is None
