"""Holidays through the real system (both dialects): six weeks of add-to-cart history in which
the US holidays (Columbus Day, Veterans Day) sell 2.5 times the usual; after the fit, the same
2.5x burst confirms a spike on an ordinary Tuesday and nothing on Thanksgiving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.demand_helpers import QUIET_ZIP, STORM_ZIP, build, carts

from hansa.bootstrap import Hansa
from hansa.demand import queries as demand
from hansa.demand.calendar import HolidayCalendar
from hansa.demand.messages import FitBaselines, IngestSignals
from hansa.kernel.clock import VirtualClock

US = HolidayCalendar(country="US", timezone="America/New_York")
FROM = datetime(2026, 10, 5, 4, tzinfo=UTC)  # Monday 00:00 in New York
WEEKS = 6
USUAL, ON_HOLIDAY = 6, 15


def _history(hansa: Hansa, clock: VirtualClock) -> None:
    for day in range(WEEKS * 7):
        hours = [FROM + timedelta(days=day, hours=h) for h in range(24)]
        batch = [carts(zip_code, at, ON_HOLIDAY if US.is_holiday(at) else USUAL)
                 for zip_code in (STORM_ZIP, QUIET_ZIP) for at in hours]
        clock.set(hours[-1] + timedelta(hours=1))
        hansa.bus.execute(IngestSignals(signals=tuple(batch), source="history"))
    hansa.bus.execute(FitBaselines(kind="add_to_cart", history_days=WEEKS * 7))


def _burst(hansa: Hansa, clock: VirtualClock, zip_code: str, at: datetime) -> list[str]:
    """The holiday's usual 2.5x over the last three hours (the last one half gone)."""
    clock.set(at + timedelta(minutes=30))
    batch = [carts(zip_code, at - timedelta(hours=2 - i), n)
             for i, n in enumerate([ON_HOLIDAY, ON_HOLIDAY, ON_HOLIDAY // 2 + 1])]
    fired: list[str] = hansa.bus.execute(IngestSignals(signals=tuple(batch),
                                                       source="pixel")).fired
    return fired


def test_a_holiday_surge_is_expected_and_the_same_surge_on_an_ordinary_day_is_a_spike(
        hansa: Hansa, clock: VirtualClock) -> None:
    build(hansa, clock)
    _history(hansa, clock)
    with hansa.db.read() as conn:
        baselines = demand.item_baselines(conn, "TEE-M", "add_to_cart")
    assert {round(b.holiday_factor, 1) for b in baselines.values()} == {2.5}
    assert all(abs(b.mean_per_hour - USUAL) < 0.01 for b in baselines.values())

    ordinary = datetime(2026, 11, 24, 23, tzinfo=UTC)  # Tuesday 18:00 in New York
    assert len(_burst(hansa, clock, QUIET_ZIP, ordinary)) == 1

    thanksgiving = datetime(2026, 11, 26, 23, tzinfo=UTC)  # Thursday 18:00 in New York
    assert _burst(hansa, clock, STORM_ZIP, thanksgiving) == []
    with hansa.db.read() as conn:
        spikes = demand.spikes(conn)
    assert len(spikes) == 1 and spikes[0]["postal_code"] == QUIET_ZIP


def test_a_backfilled_burst_is_counted_but_never_judged(hansa: Hansa, clock: VirtualClock
                                                        ) -> None:
    build(hansa, clock)
    _history(hansa, clock)
    ordinary = datetime(2026, 11, 24, 23, tzinfo=UTC)  # Tuesday 18:00 in New York
    clock.set(ordinary + timedelta(minutes=30))
    batch = tuple(carts(QUIET_ZIP, ordinary - timedelta(hours=2 - i), n)
                  for i, n in enumerate([ON_HOLIDAY, ON_HOLIDAY, ON_HOLIDAY // 2 + 1]))
    loaded = hansa.bus.execute(IngestSignals(signals=batch, source="history", backfill=True))
    assert (loaded.signals, loaded.fired) == (3, [])
    with hansa.db.read() as conn:
        assert demand.spikes(conn) == []
    live = hansa.bus.execute(IngestSignals(signals=(carts(QUIET_ZIP, ordinary, 1),),
                                           source="pixel"))
    assert len(live.fired) == 1  # the backfilled burst is in the window the detector reads
