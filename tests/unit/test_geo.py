"""Geography: great-circle distance, offline US ZIP centroids and h3 zones."""

from __future__ import annotations

import h3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hansa.kernel import geo
from hansa.kernel.geo import (
    DEFAULT_ZONE_RESOLUTION,
    Position,
    _ZipCentroids,
    haversine_km,
    us_zip_position,
    within_radius,
    zone_of,
)

JFK = Position(40.6413, -73.7781)
LHR = Position(51.4700, -0.4543)
KM_PER_DEGREE_LAT = 111.195  # mean Earth radius * pi / 180

positions = st.builds(
    Position,
    lat=st.floats(min_value=-90, max_value=90, allow_nan=False),
    lon=st.floats(min_value=-180, max_value=180, allow_nan=False),
)

# --- Position ---------------------------------------------------------------------------------


def test_position_accepts_the_edges_of_the_world() -> None:
    # given / when
    corners = [Position(90, 180), Position(-90, -180), Position(0, 0)]
    # then
    assert [(p.lat, p.lon) for p in corners] == [(90, 180), (-90, -180), (0, 0)]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(91, 0), (-91, 0), (0, 181), (0, -181), (float("nan"), 0), (0, float("inf"))],
)
def test_position_refuses_points_off_the_earth(lat: float, lon: float) -> None:
    # given / when / then
    with pytest.raises(ValueError, match="not a position on Earth"):
        Position(lat, lon)


# --- haversine_km -----------------------------------------------------------------------------


def test_haversine_jfk_to_heathrow_is_about_5540_km() -> None:
    # given / when
    distance = haversine_km(JFK, LHR)
    # then
    assert distance == pytest.approx(5540, abs=10)


def test_haversine_one_degree_of_latitude_is_about_111_km() -> None:
    # given / when
    distance = haversine_km(Position(0, 0), Position(1, 0))
    # then
    assert distance == pytest.approx(KM_PER_DEGREE_LAT, abs=0.01)


def test_haversine_pole_to_pole_is_half_the_circumference() -> None:
    # given / when
    distance = haversine_km(Position(90, 0), Position(-90, 0))
    # then
    assert distance == pytest.approx(180 * KM_PER_DEGREE_LAT, abs=0.1)


def test_haversine_across_the_antimeridian_is_short() -> None:
    # given / when
    distance = haversine_km(Position(0, 179.5), Position(0, -179.5))
    # then
    assert distance == pytest.approx(KM_PER_DEGREE_LAT, abs=0.01)


def test_haversine_of_a_point_to_itself_is_zero() -> None:
    # given / when / then
    assert haversine_km(JFK, JFK) == 0.0


@given(a=positions, b=positions)
def test_haversine_is_symmetric(a: Position, b: Position) -> None:
    # given / when / then
    assert haversine_km(a, b) == pytest.approx(haversine_km(b, a), abs=1e-9)


@given(a=positions, b=positions)
def test_haversine_is_never_negative_nor_longer_than_half_the_globe(
    a: Position, b: Position
) -> None:
    # given / when
    distance = haversine_km(a, b)
    # then
    assert 0.0 <= distance <= 180 * KM_PER_DEGREE_LAT + 0.1


@given(a=positions)
def test_haversine_of_any_point_to_itself_is_zero(a: Position) -> None:
    # given / when / then
    assert haversine_km(a, a) == 0.0


def test_within_radius_includes_the_boundary_and_excludes_beyond() -> None:
    # given
    distance = haversine_km(JFK, LHR)
    # when / then
    assert within_radius(JFK, distance, LHR) is True
    assert within_radius(JFK, distance - 1, LHR) is False
    assert within_radius(JFK, 0, JFK) is True


# --- us_zip_position --------------------------------------------------------------------------


def test_us_zip_position_puts_10001_in_manhattan() -> None:
    # given / when
    position = us_zip_position("10001")
    # then
    assert position is not None
    assert position.lat == pytest.approx(40.75, abs=0.02)
    assert position.lon == pytest.approx(-74.0, abs=0.02)


def test_us_zip_position_accepts_zip_plus_4_and_surrounding_spaces() -> None:
    # given / when / then
    assert us_zip_position("10001-1234") == us_zip_position("10001")
    assert us_zip_position(" 10001 ") == us_zip_position("10001")


def test_us_zip_position_keeps_leading_zeros() -> None:
    # given Cambridge, Massachusetts
    # when
    position = us_zip_position("02139")
    # then
    assert position is not None
    assert position.lat == pytest.approx(42.36, abs=0.05)
    assert position.lon == pytest.approx(-71.10, abs=0.05)


def test_us_zip_position_of_an_unknown_zip_is_none() -> None:
    # given / when / then
    assert us_zip_position("00000") is None
    assert us_zip_position("99999") is None


def test_the_zip_index_built_after_many_lookups_gives_the_one_by_one_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # given the answers looked up one by one
    codes = ["10001", "02139", "60601", "94103", "00000", "99999", "73301", "33101"]
    one_by_one = _ZipCentroids()
    singly = {code: one_by_one.get(code) for code in codes}
    # when a lookup table is indexed after the first two codes
    monkeypatch.setattr(geo, "INDEX_AFTER_LOOKUPS", 2)
    indexed = _ZipCentroids()
    answers = {code: indexed.get(code) for code in codes}
    # then
    assert answers == singly
    assert indexed._index is not None and one_by_one._index is None


@pytest.mark.parametrize(
    "zip_code",
    [
        "",
        "1000",
        "abcde",
        "1000a",
        "10001abc",
        "10001-12",
        "10001-12345",
        "10001 1234",
        "1 0001",
        "\uff11\uff10\uff10\uff10\uff11",  # full-width: isdigit() is True, zipcodes panics
        "\u0661\u0660\u0660\u0660\u0661",  # Arabic-Indic digits
    ],
)
def test_us_zip_position_of_a_malformed_zip_is_none(zip_code: str) -> None:
    # given / when / then
    assert us_zip_position(zip_code) is None


# --- zone_of ----------------------------------------------------------------------------------


def test_zone_of_returns_an_h3_cell_of_resolution_5() -> None:
    # given / when
    zone = zone_of(Position(40.75, -74.0))
    # then
    assert isinstance(zone, str)
    assert h3.is_valid_cell(zone)
    assert h3.get_resolution(zone) == DEFAULT_ZONE_RESOLUTION == 5
    assert zone == h3.latlng_to_cell(40.75, -74.0, 5)


def test_zone_of_honours_another_resolution() -> None:
    # given / when
    zone = zone_of(Position(40.75, -74.0), resolution=7)
    # then
    assert h3.get_resolution(zone) == 7
    assert h3.cell_to_parent(zone, 5) == zone_of(Position(40.75, -74.0))


def test_zone_of_is_the_same_for_two_points_1_km_apart_in_the_middle_of_a_cell() -> None:
    # given the centre of Manhattan's cell and points 0.5 km north and south of it
    cell = zone_of(Position(40.75, -74.0))
    centre_lat, centre_lon = h3.cell_to_latlng(cell)
    half_km_in_degrees = 0.5 / KM_PER_DEGREE_LAT
    north = Position(centre_lat + half_km_in_degrees, centre_lon)
    south = Position(centre_lat - half_km_in_degrees, centre_lon)
    assert haversine_km(north, south) == pytest.approx(1.0, abs=0.001)
    # when / then
    assert zone_of(north) == zone_of(south) == cell


def test_zone_of_differs_for_far_apart_points() -> None:
    # given / when / then
    assert zone_of(JFK) != zone_of(LHR)
