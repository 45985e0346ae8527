"""NWS alerts that name only zones / counties (geometry null, geocode UGC and SAME, as
api.weather.gov publishes them) cover the places the merchant mapped those codes to."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hansa.bootstrap import Hansa
from hansa.demand import queries as demand
from hansa.demand.messages import IngestSignals, LoadZoneAreas
from hansa.demand.signals import parse_alert
from hansa.demand.zones import read_areas
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import us_zip_position, zone_of

ZONE_ALERT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "demand" / "nws_zone_alert.json")
    .read_text())
NOW = datetime.fromisoformat("2026-03-16T20:00:00+00:00")
BROOKLYN, QUEENS, MEMPHIS = "11201", "11101", "38118"
MAPPING = "code,postal_code\nNYZ075,11201\nNYZ075,11215\n036081,11101\n"


def _cell(zip_code: str) -> str:
    position = us_zip_position(zip_code)
    assert position is not None
    return zone_of(position)


def _covering(hansa: Hansa, zip_code: str) -> list[str]:
    with hansa.db.read() as conn:
        return [a["alert_id"] for a in demand.alerts_covering(conn, _cell(zip_code), NOW)]


def _ingest(hansa: Hansa, alert: dict[str, Any]) -> None:
    hansa.bus.execute(IngestSignals(signals=({"kind": "weather_alert", "alert": alert},),
                                    source="nws"))


def test_the_fixture_is_a_zone_alert_without_a_shape() -> None:
    alert = parse_alert(ZONE_ALERT)
    assert not alert.has_shape and alert.cells == ()
    assert alert.codes == ("NYZ075", "NYZ178", "036047", "036081")


def test_a_zone_alert_covers_the_mapped_places_once_the_mapping_is_loaded(
        hansa: Hansa, clock: VirtualClock) -> None:
    clock.set(NOW)
    _ingest(hansa, ZONE_ALERT)
    assert _covering(hansa, BROOKLYN) == []  # no mapping yet: evidence only

    loaded = hansa.bus.execute(LoadZoneAreas(areas=tuple(read_areas(MAPPING))))
    assert loaded["areas"] == 2 and loaded["alerts_updated"] == 1  # the alert in force
    alert_id = "urn:oid:2.49.0.1.840.0.zone1"
    assert _covering(hansa, BROOKLYN) == [alert_id]
    assert _covering(hansa, QUEENS) == [alert_id]  # by its SAME county code
    assert _covering(hansa, MEMPHIS) == []

    later = {**ZONE_ALERT, "properties": {**ZONE_ALERT["properties"], "id": "zone2"}}
    _ingest(hansa, later)  # ingested after the mapping: covers at once
    assert sorted(_covering(hansa, BROOKLYN)) == sorted([alert_id, "zone2"])


def test_a_zone_polygon_from_the_zones_endpoint_is_a_mapping_too(
        hansa: Hansa, clock: VirtualClock) -> None:
    clock.set(NOW)
    brooklyn = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": "https://api.weather.gov/zones/forecast/NYZ075",
        "geometry": {"type": "Polygon", "coordinates": [[
            [-74.04, 40.57], [-73.86, 40.57], [-73.86, 40.70], [-74.04, 40.70],
            [-74.04, 40.57]]]},
        "properties": {"id": "NYZ075", "type": "public", "name": "Kings (Brooklyn)"}}]}
    hansa.bus.execute(LoadZoneAreas(areas=tuple(read_areas(json.dumps(brooklyn)))))
    _ingest(hansa, ZONE_ALERT)
    assert _covering(hansa, BROOKLYN) == ["urn:oid:2.49.0.1.840.0.zone1"]
    with hansa.db.read() as conn:
        [row] = demand.zone_areas(conn)
    assert row["code"] == "NYZ075" and row["geometry"] and row["cells"] >= 1


@pytest.mark.parametrize(("areas", "message"), [
    ([{"code": "NYZ075", "postal_codes": ["11201"]}, {"code": "XYZ", "postal_codes": ["1"]}],
     "areas[1]: 'XYZ' is neither"),
    ([{"code": "NYZ075"}], "names no postal codes and no geometry"),
    ([{"code": "036047", "postal_codes": ["00000"]}], "unknown postal code 00000"),
])
def test_a_bad_mapping_is_refused_whole_with_the_entry_named(
        hansa: Hansa, clock: VirtualClock, areas: list[dict[str, Any]], message: str) -> None:
    clock.set(NOW)
    with pytest.raises(InvalidData, match=message.replace("[", r"\[").replace("]", r"\]")):
        hansa.bus.execute(LoadZoneAreas(areas=tuple(areas)))
    with hansa.db.read() as conn:
        assert demand.zone_areas(conn) == []


def test_a_csv_without_the_columns_is_refused() -> None:
    with pytest.raises(InvalidData, match="code,postal_code"):
        read_areas("zone;zip\nNYZ075;11201\n")


def test_expired_alerts_are_not_remapped(hansa: Hansa, clock: VirtualClock) -> None:
    clock.set(NOW)
    _ingest(hansa, ZONE_ALERT)
    clock.set(NOW + timedelta(days=5))
    loaded = hansa.bus.execute(LoadZoneAreas(areas=tuple(read_areas(MAPPING))))
    assert loaded["alerts_updated"] == 0


def test_a_coarser_zone_is_covered_by_an_alert_over_a_place_inside_it(
        hansa: Hansa, clock: VirtualClock) -> None:
    import h3

    clock.set(NOW)
    alert = {**ZONE_ALERT, "properties": {**ZONE_ALERT["properties"], "id": "by-postal",
                                          "postal_codes": [BROOKLYN]}}
    _ingest(hansa, alert)
    brooklyn = us_zip_position(BROOKLYN)
    memphis = us_zip_position(MEMPHIS)
    assert brooklyn is not None and memphis is not None
    region = h3.latlng_to_cell(brooklyn.lat, brooklyn.lon, 1)
    elsewhere = h3.latlng_to_cell(memphis.lat, memphis.lon, 1)
    with hansa.db.read() as conn:
        assert [a["alert_id"] for a in demand.alerts_covering(conn, region, NOW)] == [
            "by-postal"]
        assert demand.alerts_covering(conn, elsewhere, NOW) == []
        assert demand.alerts_covering(conn, "not-a-cell", NOW) == []
