"""A baseline fit in chunks (bounded memory) gives the baselines of one fit over everything:
the window, the Croston day shape and the holiday pool are the whole group's."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from hansa.demand import baseline
from hansa.demand.calendar import HolidayCalendar

END = datetime(2026, 12, 1, tzinfo=UTC)


def _series() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    out: dict[str, np.ndarray] = {}
    for i in range(40):  # every method: long and busy, two weeks, sparse, too short
        hours = [24 * 7 * 9, 24 * 14, 24 * 21, 30][i % 4] + int(rng.integers(0, 48))
        rate = [3.0, 1.5, 0.05, 1.0][i % 4]
        out[f"SKU-{i}\x1fz{i % 3}"] = rng.poisson(rate, size=hours).astype(float)
    return out


def test_chunks_fit_the_same_baselines_as_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    series, calendar = _series(), HolidayCalendar(country="US", timezone="America/New_York")
    whole = baseline.fit(series, END, calendar)
    monkeypatch.setattr(baseline, "FIT_CHUNK", 3)
    chunked = baseline.fit(series, END, calendar)

    assert {b.method for b in whole.values()} >= {"croston", "seasonal-day", "seasonal-week"}
    assert chunked.keys() == whole.keys()
    for key, b in whole.items():
        assert chunked[key].method == b.method
        assert chunked[key].rates == pytest.approx(b.rates, rel=1e-12, abs=1e-12), key
        assert chunked[key].sigma == pytest.approx(b.sigma, rel=1e-12)
        assert (chunked[key].holiday_factor, chunked[key].exposure) == (
            b.holiday_factor, b.exposure)
