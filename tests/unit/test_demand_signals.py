"""Signals mapped to item x zone x time; NWS alerts to the cells they cover; baseline methods."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hansa.demand.baseline import fit, method_for
from hansa.demand.model import SignalKind, window_buckets
from hansa.demand.signals import parse_alert, parse_signal
from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import us_zip_position, zone_of

STORM_ALERT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "demand" / "nws_storm_alert.json")
    .read_text())
NOW = datetime.fromisoformat("2026-03-16T15:30:00+00:00")


def test_a_cart_signal_maps_to_sku_zone_and_postal_area() -> None:
    s = parse_signal({"kind": "add_to_cart", "sku": "tee-m", "postal_code": "11201",
                      "count": 3}, NOW)
    position = us_zip_position("11201")
    assert position is not None
    assert (s.kind, s.item, s.zone, s.postal_code, s.country, s.value, s.at) == (
        SignalKind.ADD_TO_CART, "TEE-M", zone_of(position), "11201", "US", 3.0, NOW)


def test_category_and_zone_wide_signals() -> None:
    search = parse_signal({"kind": "search", "category": "Rain Gear", "lat": 40.7,
                           "lon": -74.0, "query": "umbrella"}, NOW)
    econ = parse_signal({"kind": "economic_indicator", "postal_code": "11201", "value": 4.1,
                         "indicator": "unemployment_rate"}, NOW)
    assert search.item == "category:rain gear" and search.detail == {"query": "umbrella"}
    assert econ.item == "" and econ.value == 4.1


@pytest.mark.parametrize("raw", [
    {"kind": "add_to_cart", "postal_code": "11201"},  # no item
    {"kind": "add_to_cart", "sku": "A", "postal_code": "00000"},  # unknown ZIP
    {"kind": "add_to_cart", "sku": "A"},  # no place
    {"kind": "add_to_cart", "sku": "A", "postal_code": "11201", "count": 1.5},
    {"kind": "teleport", "sku": "A", "postal_code": "11201"},
])
def test_bad_signals_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidData):
        parse_signal(raw, NOW)


def test_an_nws_alert_covers_the_cells_its_polygon_overlaps() -> None:
    alert = parse_alert(STORM_ALERT)
    brooklyn = us_zip_position("11201")
    assert brooklyn is not None and zone_of(brooklyn) in alert.cells
    assert (alert.event, alert.severity, alert.same) == ("Winter Storm Warning", "Severe",
                                                         ("036047", "036081"))
    assert alert.expires - alert.onset == timedelta(hours=30)


def test_a_zones_only_alert_is_kept_but_covers_no_cell() -> None:
    feature = {**STORM_ALERT, "geometry": None}
    assert parse_alert(feature).cells == ()


def test_the_window_counts_only_the_elapsed_part_of_the_current_hour() -> None:
    buckets = window_buckets(NOW, 3)
    assert [(b.hour, share) for b, share in buckets] == [(13, 1.0), (14, 1.0), (15, 0.5)]


def test_baseline_methods_by_history() -> None:
    assert method_for(np.ones(10)) == "none"
    assert method_for(np.ones(48)) == "mean"
    assert method_for(np.r_[np.zeros(80), np.ones(20)]) == "croston"
    assert method_for(np.ones(100)) == "seasonal-day"
    assert method_for(np.ones(400)) == "seasonal-day"
    assert method_for(np.ones(8 * 168)) == "seasonal-week"


def test_a_series_with_one_or_two_events_gets_its_flat_mean_not_croston() -> None:
    end = datetime.fromisoformat("2026-03-16T00:00:00+00:00")
    once = np.r_[np.ones(1), np.zeros(599)]  # one unit in 25 days, the series' first hour
    twice = np.r_[np.full(1, 2.0), np.zeros(300), np.ones(1), np.zeros(298)]
    assert method_for(once) == "mean" and method_for(twice) == "mean"
    assert method_for(np.r_[np.ones(3), np.zeros(597)]) == "croston"
    fitted = fit({"once": once, "twice": twice}, end)
    assert fitted["once"].mean_per_hour == pytest.approx(1 / 600)
    assert fitted["twice"].mean_per_hour == pytest.approx(3 / 600)


def test_a_seasonal_baseline_follows_the_hour_of_day() -> None:
    end = datetime.fromisoformat("2026-03-16T00:00:00+00:00")
    day = np.array([1.0] * 12 + [5.0] * 12)
    fitted = fit({"a": np.tile(day, 14), "b": np.ones(30)}, end)
    a = fitted["a"]
    assert a.method == "seasonal-day" and a.sigma == pytest.approx(0.0, abs=1e-6)
    assert a.expected(end) == pytest.approx(1.0) and a.expected(end.replace(hour=15)) == 5.0
    assert fitted["b"].method == "mean" and fitted["b"].mean_per_hour == 1.0
